using System.Collections.Concurrent;

namespace AcqService.Lsl.Managed;

/// <summary>
/// Recycles the per-sample value arrays of one inlet (decoder thread rents, puller or drop callback returns), so a
/// sustained high-rate stream does not allocate one array per sample and push buffered samples into older GC generations.
/// </summary>
internal sealed class SampleArrayPool
{
    private readonly ConcurrentQueue<double[]> _free = new();
    private readonly int _length;
    private readonly int _capacity;
    private int _count;

    public SampleArrayPool(int length, int capacity)
    {
        _length = length;
        _capacity = Math.Max(0, capacity);
    }

    /// <summary>An array of exactly the channel count (recycled or new; contents undefined).</summary>
    public double[] Rent()
    {
        if (_free.TryDequeue(out double[]? array))
        {
            Interlocked.Decrement(ref _count);
            return array;
        }
        return new double[_length];
    }

    /// <summary>Hands an array back once its values were copied out; surplus arrays are left to the GC.</summary>
    public void Return(double[]? array)
    {
        if (array is null || array.Length != _length)
        {
            return;
        }
        if (Interlocked.Increment(ref _count) <= _capacity)
        {
            _free.Enqueue(array);
        }
        else
        {
            Interlocked.Decrement(ref _count);
        }
    }
}
