namespace AcqService.Xdf;

/// <summary>A Boundary chunk (tag 5): a resynchronisation point with no payload of interest.</summary>
/// <param name="Offset">Byte offset of the chunk from the start of the file.</param>
public sealed record XdfBoundaryChunk(long Offset) : XdfChunk(Offset)
{
    /// <inheritdoc />
    public override XdfChunkTag Tag => XdfChunkTag.Boundary;
}
