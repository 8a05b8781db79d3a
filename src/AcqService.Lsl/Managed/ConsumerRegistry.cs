namespace AcqService.Lsl.Managed;

/// <summary>
/// The inlets currently connected to one outlet. Pushes read <see cref="Current"/> without a lock (an immutable
/// snapshot array); connections add and remove under a lock by replacing the array.
/// </summary>
internal sealed class ConsumerRegistry
{
    private readonly object _gate = new();
    private volatile OutletConsumer[] _consumers = [];

    /// <summary>The connected consumers now (an array that is never modified after it was published).</summary>
    public OutletConsumer[] Current => _consumers;

    /// <summary>Number of connected consumers.</summary>
    public int Count => _consumers.Length;

    /// <summary>Registers a consumer whose handshake completed.</summary>
    public void Add(OutletConsumer consumer)
    {
        lock (_gate)
        {
            _consumers = [.. _consumers, consumer];
        }
    }

    /// <summary>Removes a consumer whose connection ended.</summary>
    public void Remove(OutletConsumer consumer)
    {
        lock (_gate)
        {
            _consumers = _consumers.Where(c => c != consumer).ToArray();
        }
    }

    /// <summary>Forgets every consumer (outlet disposed).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _consumers = [];
        }
    }
}
