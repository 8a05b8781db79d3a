namespace AcqService.Xdf;

/// <summary>One decoded chunk of an XDF file, as returned by <see cref="XdfReader.TryReadChunk"/>.</summary>
/// <param name="Offset">Byte offset of the chunk's first byte (its length-width byte) from the start of the file.</param>
public abstract record XdfChunk(long Offset)
{
    /// <summary>The chunk's tag.</summary>
    public abstract XdfChunkTag Tag { get; }
}
