namespace AcqService.Xdf;

/// <summary>Options for <see cref="XdfReader"/>.</summary>
public sealed record XdfReaderOptions
{
    /// <summary>Largest chunk (length field value) the reader accepts; longer ones are treated as corruption. Default 256 MiB.</summary>
    public long MaxChunkBytes { get; init; } = XdfConstants.DefaultMaxChunkBytes;

    /// <summary>
    /// When true, the timestamp and value arrays of a numeric <see cref="XdfSamplesChunk"/> are reused for a later chunk
    /// of the same stream with the same sample count, so they are valid only until the next read. A consumer that copies
    /// each chunk before reading the next (a replay into pooled chunks) then allocates nothing per chunk; one that keeps
    /// chunks must copy them. Recorders write pulls of a few recurring sizes, so up to 64 sizes per stream are kept.
    /// Off by default: every chunk has arrays of its own.
    /// </summary>
    public bool ReuseSampleArrays { get; init; }

    /// <summary>Most diagnostics kept; later ones are only counted, so a file full of garbage cannot grow the list without bound.</summary>
    public int MaxDiagnostics { get; init; } = 1000;
}
