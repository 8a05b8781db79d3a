using AcqService.Core.Model;

namespace AcqService.Core.Pipeline;

/// <summary>What an <see cref="AlignedItem"/> carries.</summary>
public enum AlignedItemKind : byte
{
    /// <summary>Samples of a signal stream with their absolute sample index.</summary>
    Samples,
    /// <summary>A marker mapped onto one signal stream (or dropped with a reason).</summary>
    Event,
    /// <summary>A gap in a signal stream.</summary>
    Gap,
    /// <summary>A stream ended.</summary>
    StreamEnded,
}

/// <summary>
/// A marker placed on a signal stream: the first sample at or after the marker time, both on the local
/// clock after clock correction. When the marker cannot be placed, <see cref="SampleIndex"/> is -1 and
/// <see cref="DropReason"/> says why; downstream stages log that as the marker's outcome.
/// </summary>
/// <param name="Marker">The marker as received (raw timestamp).</param>
/// <param name="SignalStream">Dense index of the signal stream it was placed on.</param>
/// <param name="SampleIndex">Absolute index (from the stream's first sample) of the first sample at or after the marker, or -1.</param>
/// <param name="MarkerTime">Marker time on the local clock (raw + the marker stream's clock offset).</param>
/// <param name="SampleTime">Local-clock time of that sample, or NaN.</param>
/// <param name="Condition">Condition name from the <see cref="EventClassifier"/>, or null if no rule matched.</param>
/// <param name="DropReason">Why the marker could not be placed, or null.</param>
public readonly record struct AlignedEvent(Marker Marker, int SignalStream, long SampleIndex, double MarkerTime, double SampleTime, string? Condition, DropReason? DropReason);

/// <summary>One message on an aligner → analyzer edge.</summary>
public readonly struct AlignedItem
{
    private AlignedItem(AlignedItemKind kind, int stream, SampleChunk? chunk, long firstSampleIndex, double clockOffset, AlignedEvent alignedEvent, StreamGap gap)
    {
        Kind = kind;
        Stream = stream;
        Chunk = chunk;
        FirstSampleIndex = firstSampleIndex;
        ClockOffset = clockOffset;
        Event = alignedEvent;
        Gap = gap;
    }

    /// <summary>What this item carries.</summary>
    public AlignedItemKind Kind { get; }

    /// <summary>Dense index of the signal stream concerned.</summary>
    public int Stream { get; }

    /// <summary>The samples (kind Samples); the receiver owns one reference and must release it.</summary>
    public SampleChunk? Chunk { get; }

    /// <summary>Absolute index of the chunk's first frame (Samples), or of the first sample after the gap (Gap).</summary>
    public long FirstSampleIndex { get; }

    /// <summary>Clock offset (local − stream clock) applied to this chunk's timestamps.</summary>
    public double ClockOffset { get; }

    /// <summary>The placed marker (kind Event).</summary>
    public AlignedEvent Event { get; }

    /// <summary>The gap (kind Gap).</summary>
    public StreamGap Gap { get; }

    /// <summary>Samples item.</summary>
    public static AlignedItem ForSamples(SampleChunk chunk, long firstSampleIndex, double clockOffset) =>
        new(AlignedItemKind.Samples, chunk.Stream, chunk, firstSampleIndex, clockOffset, default, default);

    /// <summary>Event item.</summary>
    public static AlignedItem ForEvent(AlignedEvent alignedEvent) =>
        new(AlignedItemKind.Event, alignedEvent.SignalStream, null, alignedEvent.SampleIndex, 0, alignedEvent, default);

    /// <summary>Gap item; <paramref name="nextSampleIndex"/> is the index the first sample after the gap gets.</summary>
    public static AlignedItem ForGap(StreamGap gap, long nextSampleIndex) =>
        new(AlignedItemKind.Gap, gap.Stream, null, nextSampleIndex, 0, default, gap);

    /// <summary>End-of-stream item.</summary>
    public static AlignedItem Ended(int stream, long totalSamples) =>
        new(AlignedItemKind.StreamEnded, stream, null, totalSamples, 0, default, default);
}
