namespace AcqService.Xdf;

/// <summary>A recoverable problem found while reading an XDF file.</summary>
/// <param name="Offset">Byte offset from the start of the file where the problem was found (usually the chunk start).</param>
/// <param name="Message">Human-readable description, including what the reader did about it.</param>
public sealed record XdfDiagnostic(long Offset, string Message)
{
    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"@{Offset}: {Message}");
}
