namespace AcqService.Xdf;

/// <summary>Thrown when a byte stream is not an XDF file at all (e.g. wrong magic); recoverable corruption is reported as <see cref="XdfDiagnostic"/> instead.</summary>
public sealed class XdfFormatException : Exception
{
    /// <summary>Creates the exception for a problem at <paramref name="offset"/>.</summary>
    /// <param name="offset">Byte offset from the start of the file where the problem was found.</param>
    /// <param name="message">What was wrong.</param>
    public XdfFormatException(long offset, string message)
        : base(FormattableString.Invariant($"{message} (at byte offset {offset})"))
    {
        Offset = offset;
    }

    /// <summary>Byte offset from the start of the file where the problem was found.</summary>
    public long Offset { get; }
}
