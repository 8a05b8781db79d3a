using System.Diagnostics;

namespace AcqService.Core.Model;

/// <summary>
/// A block of consecutive samples of one signal stream: interleaved values (frame-major,
/// <c>Data[frame * ChannelCount + channel]</c>) and one raw timestamp per frame in the source's own clock
/// (seconds, LSL clock). Chunks are pooled and reference counted so that the steady-state path allocates
/// nothing: whoever receives a chunk from a channel calls <see cref="Release"/> exactly once when done.
/// </summary>
[DebuggerDisplay("stream {Stream}, {Count} frames × {ChannelCount} ch, t0 = {FirstTimestamp}")]
public sealed class SampleChunk
{
    private readonly ChunkPool? _pool;
    /// <summary>Outstanding references; the chunk returns to its pool when this drops to zero.</summary>
    private int _references;

    /// <summary>Creates an unpooled chunk (tests, one-off use).</summary>
    public SampleChunk(int stream, int channelCount, int capacityFrames)
        : this(null, stream, channelCount, capacityFrames)
    {
    }

    internal SampleChunk(ChunkPool? pool, int stream, int channelCount, int capacityFrames)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channelCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityFrames, 1);
        _pool = pool;
        Stream = stream;
        ChannelCount = channelCount;
        // Pooled chunks live as long as their pool, so they go to the pinned-object heap: the collector never copies
        // them (the few a full pool turns away are freed with generation 2). On the ordinary heap every collection during the pool's warm-up moved all chunks in flight (tens of MB
        // when a file is replayed at full speed), and that copying cost more than filling the chunks.
        Data = pool is null ? new double[channelCount * capacityFrames] : GC.AllocateArray<double>(channelCount * capacityFrames, pinned: true);
        Timestamps = pool is null ? new double[capacityFrames] : GC.AllocateArray<double>(capacityFrames, pinned: true);
        _references = 1;
    }

    /// <summary>Dense index of the stream these samples belong to.</summary>
    public int Stream { get; }

    /// <summary>Values per frame.</summary>
    public int ChannelCount { get; }

    /// <summary>Maximum frames this chunk can hold.</summary>
    public int Capacity => Timestamps.Length;

    /// <summary>Frames currently held (≤ <see cref="Capacity"/>).</summary>
    public int Count { get; set; }

    /// <summary>
    /// Local-clock time (<see cref="LocalClock"/>, seconds) at which the session received these samples: set by the
    /// source that takes them from the transport (an LSL inlet's pull), NaN when the source does not set it (simulated
    /// and replayed data). Only read for latency measurement (<c>bench latency</c>); no analysis depends on it.
    /// </summary>
    public double ReceivedAt { get; set; } = double.NaN;

    /// <summary>Backing store for values; only the first <c>Count × ChannelCount</c> entries are meaningful.</summary>
    public double[] Data { get; }

    /// <summary>Backing store for raw timestamps; only the first <see cref="Count"/> entries are meaningful.</summary>
    public double[] Timestamps { get; }

    /// <summary>The meaningful values.</summary>
    public ReadOnlySpan<double> Values => Data.AsSpan(0, Count * ChannelCount);

    /// <summary>The meaningful timestamps.</summary>
    public ReadOnlySpan<double> Times => Timestamps.AsSpan(0, Count);

    /// <summary>Raw timestamp of the first frame.</summary>
    public double FirstTimestamp => Count > 0 ? Timestamps[0] : double.NaN;

    /// <summary>Raw timestamp of the last frame.</summary>
    public double LastTimestamp => Count > 0 ? Timestamps[Count - 1] : double.NaN;

    /// <summary>Values of one frame.</summary>
    public Span<double> Frame(int frame) => Data.AsSpan(frame * ChannelCount, ChannelCount);

    /// <summary>Adds <paramref name="count"/> references, for fan-out to several consumers.</summary>
    public void Retain(int count = 1)
    {
        int after = Interlocked.Add(ref _references, count);
        Debug.Assert(after > count, "retained a chunk that was already released");
    }

    /// <summary>Drops one reference; the last one returns the chunk to its pool.</summary>
    public void Release()
    {
        int after = Interlocked.Decrement(ref _references);
        Debug.Assert(after >= 0, "chunk released more often than retained");
        if (after == 0)
        {
            _pool?.Return(this);
        }
    }

    internal void ResetForRent()
    {
        Count = 0;
        ReceivedAt = double.NaN;
        Volatile.Write(ref _references, 1);
    }
}
