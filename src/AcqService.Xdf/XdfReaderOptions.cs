namespace AcqService.Xdf;

/// <summary>Options for <see cref="XdfReader"/>.</summary>
public sealed record XdfReaderOptions
{
    /// <summary>Largest chunk (length field value) the reader accepts; longer ones are treated as corruption. Default 256 MiB.</summary>
    public long MaxChunkBytes { get; init; } = XdfConstants.DefaultMaxChunkBytes;

    /// <summary>Most diagnostics kept; later ones are only counted, so a file full of garbage cannot grow the list without bound.</summary>
    public int MaxDiagnostics { get; init; } = 1000;
}
