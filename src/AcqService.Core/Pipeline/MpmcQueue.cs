using System.Runtime.InteropServices;

namespace AcqService.Core.Pipeline;

/// <summary>
/// Bounded multi-producer multi-consumer queue (D. Vyukov's sequence-numbered ring). Lock-free and
/// allocation-free after construction: each cell carries a sequence number that says whether it is ready
/// for the next enqueue or dequeue, so producers and consumers only race on one CAS each.
/// </summary>
internal sealed class MpmcQueue<T>
    where T : class
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Cell
    {
        public long Sequence;
        public T? Item;
    }

    private readonly Cell[] _cells;
    private readonly long _mask;
    /// <summary>Next position to enqueue at. Padded away from <see cref="_dequeuePosition"/> to avoid false sharing.</summary>
    private PaddedLong _enqueuePosition;
    private PaddedLong _dequeuePosition;

    public MpmcQueue(int capacity)
    {
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, capacity));
        _cells = new Cell[size];
        _mask = size - 1;
        for (int i = 0; i < size; i++)
        {
            _cells[i].Sequence = i;
        }
    }

    public bool TryEnqueue(T item)
    {
        long position = Volatile.Read(ref _enqueuePosition.Value);
        while (true)
        {
            ref Cell cell = ref _cells[position & _mask];
            long sequence = Volatile.Read(ref cell.Sequence);
            long difference = sequence - position;
            if (difference == 0)
            {
                long seen = Interlocked.CompareExchange(ref _enqueuePosition.Value, position + 1, position);
                if (seen == position)
                {
                    cell.Item = item;
                    Volatile.Write(ref cell.Sequence, position + 1);
                    return true;
                }
                position = seen;
            }
            else if (difference < 0)
            {
                return false; // full
            }
            else
            {
                position = Volatile.Read(ref _enqueuePosition.Value);
            }
        }
    }

    public bool TryDequeue([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? item)
    {
        long position = Volatile.Read(ref _dequeuePosition.Value);
        while (true)
        {
            ref Cell cell = ref _cells[position & _mask];
            long sequence = Volatile.Read(ref cell.Sequence);
            long difference = sequence - (position + 1);
            if (difference == 0)
            {
                long seen = Interlocked.CompareExchange(ref _dequeuePosition.Value, position + 1, position);
                if (seen == position)
                {
                    item = cell.Item!;
                    cell.Item = null;
                    Volatile.Write(ref cell.Sequence, position + _mask + 1);
                    return true;
                }
                position = seen;
            }
            else if (difference < 0)
            {
                item = null;
                return false; // empty
            }
            else
            {
                position = Volatile.Read(ref _dequeuePosition.Value);
            }
        }
    }

}

/// <summary>A long on its own cache line (explicit layout is not allowed inside generic types).</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct PaddedLong
{
    [FieldOffset(64)]
    public long Value;
}
