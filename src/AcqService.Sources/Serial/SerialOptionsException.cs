namespace AcqService.Sources.Serial;

/// <summary>
/// A serial driver's <c>source</c> section of a device profile is invalid. Every entry of <see cref="Problems"/>
/// reads "<c>$.json.path: what is wrong</c>", ready to be listed in a <c>ProfileException</c>.
/// </summary>
public sealed class SerialOptionsException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SerialOptionsException(IReadOnlyList<string> problems)
        : base(string.Join("\n", problems)) => Problems = problems;

    /// <summary>Each problem as "$.path: what is wrong".</summary>
    public IReadOnlyList<string> Problems { get; }
}
