namespace AcqService.Xdf;

/// <summary>A Samples chunk (tag 3), with omitted timestamps already deduced from the stream's previous sample.</summary>
/// <param name="Offset">Byte offset of the chunk from the start of the file.</param>
/// <param name="StreamId">The stream the samples belong to.</param>
/// <param name="ChannelCount">Values per sample.</param>
/// <param name="Timestamps">One timestamp per sample, in the sending machine's LSL clock (seconds).</param>
/// <param name="NumericValues">Sample-major interleaved values (<c>sample * ChannelCount + channel</c>) for numeric streams; null for string streams.</param>
/// <param name="StringValues">Sample-major interleaved values for string streams; null for numeric streams.</param>
/// <param name="DeducedTimestampCount">How many timestamps were omitted in the file and deduced as previous + 1/nominal_srate.</param>
public sealed record XdfSamplesChunk(
    long Offset,
    uint StreamId,
    int ChannelCount,
    double[] Timestamps,
    double[]? NumericValues,
    string[]? StringValues,
    int DeducedTimestampCount) : XdfChunk(Offset)
{
    /// <inheritdoc />
    public override XdfChunkTag Tag => XdfChunkTag.Samples;

    /// <summary>Number of samples in the chunk.</summary>
    public int SampleCount => Timestamps.Length;
}
