namespace AcqService.Sources.Lsl;

/// <summary>
/// An LSL source cannot start or cannot continue: stream not found, ambiguous predicate, profile mismatch, or
/// the stream was lost for good. The message is written for the person at the acquisition PC.
/// </summary>
public sealed class LslSourceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LslSourceException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public LslSourceException(string message, Exception inner) : base(message, inner)
    {
    }
}
