namespace AcqService.Xdf;

/// <summary>A StreamFooter chunk (tag 6). Footers are informational; LabRecorder's are known to be off by one sample.</summary>
/// <param name="Offset">Byte offset of the chunk from the start of the file.</param>
/// <param name="StreamId">The stream the footer describes.</param>
/// <param name="Footer">The parsed footer, including the raw XML.</param>
public sealed record XdfStreamFooterChunk(long Offset, uint StreamId, XdfStreamFooter Footer) : XdfChunk(Offset)
{
    /// <inheritdoc />
    public override XdfChunkTag Tag => XdfChunkTag.StreamFooter;
}
