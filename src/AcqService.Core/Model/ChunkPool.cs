using AcqService.Core.Pipeline;

namespace AcqService.Core.Model;

/// <summary>
/// Pool of <see cref="SampleChunk"/>s of one stream and one capacity. Renting and returning are lock-free
/// (a bounded MPMC ring), so producers and consumers on different threads never contend on a lock, and once
/// the pool has warmed up no chunk is allocated.
/// </summary>
public sealed class ChunkPool
{
    private readonly MpmcQueue<SampleChunk> _free;
    private long _allocated;

    /// <summary>Creates a pool.</summary>
    /// <param name="stream">Dense stream index stamped into every chunk.</param>
    /// <param name="channelCount">Channels per frame.</param>
    /// <param name="capacityFrames">Frames per chunk.</param>
    /// <param name="maxPooled">Free chunks kept; more are left to the GC (rounded up to a power of two).</param>
    public ChunkPool(int stream, int channelCount, int capacityFrames, int maxPooled = 1024)
    {
        Stream = stream;
        ChannelCount = channelCount;
        CapacityFrames = capacityFrames;
        _free = new MpmcQueue<SampleChunk>(maxPooled);
    }

    /// <summary>Stream index of the chunks.</summary>
    public int Stream { get; }

    /// <summary>Channels per frame.</summary>
    public int ChannelCount { get; }

    /// <summary>Capacity of each chunk in frames.</summary>
    public int CapacityFrames { get; }

    /// <summary>Chunks allocated so far (a steady state shows this number constant).</summary>
    public long Allocated => Interlocked.Read(ref _allocated);

    /// <summary>Rents an empty chunk with one reference held by the caller.</summary>
    public SampleChunk Rent()
    {
        if (_free.TryDequeue(out SampleChunk? chunk))
        {
            chunk.ResetForRent();
            return chunk;
        }
        Interlocked.Increment(ref _allocated);
        return new SampleChunk(this, Stream, ChannelCount, CapacityFrames);
    }

    internal void Return(SampleChunk chunk) => _free.TryEnqueue(chunk);
}
