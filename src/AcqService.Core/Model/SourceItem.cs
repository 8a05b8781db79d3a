namespace AcqService.Core.Model;

/// <summary>What a <see cref="SourceItem"/> carries.</summary>
public enum SourceItemKind : byte
{
    /// <summary>A <see cref="SampleChunk"/> of a signal stream.</summary>
    Samples,
    /// <summary>A <see cref="Model.Marker"/>.</summary>
    Marker,
    /// <summary>A <see cref="Model.ClockOffset"/> measurement.</summary>
    ClockOffset,
    /// <summary>A <see cref="StreamGap"/>.</summary>
    Gap,
    /// <summary>The stream ended (source finished or gave up); no more items for it.</summary>
    StreamEnded,
}

/// <summary>
/// One message on the source → aligner edge. A struct with a kind tag rather than a class hierarchy so that
/// writing it to a channel allocates nothing.
/// </summary>
public readonly struct SourceItem
{
    private SourceItem(SourceItemKind kind, int stream, SampleChunk? chunk, Marker marker, ClockOffset offset, StreamGap gap)
    {
        Kind = kind;
        Stream = stream;
        Chunk = chunk;
        Marker = marker;
        Offset = offset;
        Gap = gap;
    }

    /// <summary>What this item carries.</summary>
    public SourceItemKind Kind { get; }

    /// <summary>Dense stream index.</summary>
    public int Stream { get; }

    /// <summary>The samples (kind <see cref="SourceItemKind.Samples"/>); the receiver owns one reference.</summary>
    public SampleChunk? Chunk { get; }

    /// <summary>The marker (kind <see cref="SourceItemKind.Marker"/>).</summary>
    public Marker Marker { get; }

    /// <summary>The clock offset (kind <see cref="SourceItemKind.ClockOffset"/>).</summary>
    public ClockOffset Offset { get; }

    /// <summary>The gap (kind <see cref="SourceItemKind.Gap"/>).</summary>
    public StreamGap Gap { get; }

    /// <summary>Wraps a chunk.</summary>
    public static SourceItem ForSamples(SampleChunk chunk) => new(SourceItemKind.Samples, chunk.Stream, chunk, default, default, default);

    /// <summary>Wraps a marker.</summary>
    public static SourceItem ForMarker(Marker marker) => new(SourceItemKind.Marker, marker.Stream, null, marker, default, default);

    /// <summary>Wraps a clock offset.</summary>
    public static SourceItem ForOffset(ClockOffset offset) => new(SourceItemKind.ClockOffset, offset.Stream, null, default, offset, default);

    /// <summary>Wraps a gap.</summary>
    public static SourceItem ForGap(StreamGap gap) => new(SourceItemKind.Gap, gap.Stream, null, default, default, gap);

    /// <summary>End of a stream.</summary>
    public static SourceItem Ended(int stream) => new(SourceItemKind.StreamEnded, stream, null, default, default, default);
}
