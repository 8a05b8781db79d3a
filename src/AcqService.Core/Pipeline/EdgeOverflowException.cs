namespace AcqService.Core.Pipeline;

/// <summary>A <see cref="EdgeMode.FailWhenFull"/> edge was full: its consumer could not keep up.</summary>
public sealed class EdgeOverflowException : Exception
{
    /// <summary>Creates the exception for the named edge.</summary>
    public EdgeOverflowException(string edge, int capacity)
        : base($"pipeline edge '{edge}' is full ({capacity} items): its consumer cannot keep up, so the session stops rather than lose data silently")
    {
        Edge = edge;
    }

    /// <summary>Name of the edge that overflowed.</summary>
    public string Edge { get; }
}
