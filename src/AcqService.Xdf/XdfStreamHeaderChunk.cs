namespace AcqService.Xdf;

/// <summary>A StreamHeader chunk (tag 2) with its parsed core fields.</summary>
/// <param name="Offset">Byte offset of the chunk from the start of the file.</param>
/// <param name="Header">The parsed header, including the raw XML.</param>
public sealed record XdfStreamHeaderChunk(long Offset, XdfStreamHeader Header) : XdfChunk(Offset)
{
    /// <inheritdoc />
    public override XdfChunkTag Tag => XdfChunkTag.StreamHeader;

    /// <summary>The stream id from the chunk.</summary>
    public uint StreamId => Header.StreamId;
}
