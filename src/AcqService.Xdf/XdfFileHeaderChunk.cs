namespace AcqService.Xdf;

/// <summary>The FileHeader chunk (tag 1).</summary>
/// <param name="Offset">Byte offset of the chunk from the start of the file.</param>
/// <param name="Xml">The header XML exactly as stored (UTF-8 decoded).</param>
public sealed record XdfFileHeaderChunk(long Offset, string Xml) : XdfChunk(Offset)
{
    /// <inheritdoc />
    public override XdfChunkTag Tag => XdfChunkTag.FileHeader;
}
