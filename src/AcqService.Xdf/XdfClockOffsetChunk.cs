namespace AcqService.Xdf;

/// <summary>A ClockOffset chunk (tag 4).</summary>
/// <param name="Offset">Byte offset of the chunk from the start of the file.</param>
/// <param name="StreamId">The stream the measurement belongs to.</param>
/// <param name="CollectionTime">When the offset was measured, expressed in the stream's own clock (seconds).</param>
/// <param name="OffsetValue">Seconds to add to a stream timestamp to map it into the recording machine's clock.</param>
public sealed record XdfClockOffsetChunk(long Offset, uint StreamId, double CollectionTime, double OffsetValue) : XdfChunk(Offset)
{
    /// <inheritdoc />
    public override XdfChunkTag Tag => XdfChunkTag.ClockOffset;
}
