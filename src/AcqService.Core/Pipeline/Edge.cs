using System.Threading.Channels;

namespace AcqService.Core.Pipeline;

/// <summary>
/// One bounded channel between two pipeline stages, with the policy that decides what happens when it is
/// full and counters for what went through and what was dropped. Created only by <see cref="EdgeFactory"/>
/// so that every edge in a session follows one policy table.
/// </summary>
/// <typeparam name="T">Item type.</typeparam>
public sealed class Edge<T>
{
    private readonly Channel<T> _channel;
    private long _written;
    private long _dropped;

    internal Edge(string name, EdgePolicy policy, bool singleWriter, Action<T>? onDropped)
    {
        Name = name;
        Policy = policy;
        var options = new BoundedChannelOptions(policy.Capacity)
        {
            SingleReader = true,
            SingleWriter = singleWriter,
            // Continuations run on the thread pool: a consumer's work must never run inline on a producer's thread.
            AllowSynchronousContinuations = false,
            FullMode = policy.Mode == EdgeMode.DropOldest ? BoundedChannelFullMode.DropOldest : BoundedChannelFullMode.Wait,
        };
        // In DropOldest mode TryWrite reports success even when it dropped an item; the callback is the only
        // signal, so that is where drops are counted (and where dropped chunks give back their reference).
        _channel = Channel.CreateBounded<T>(options, item =>
        {
            Interlocked.Increment(ref _dropped);
            onDropped?.Invoke(item);
        });
    }

    /// <summary>Edge name for logs and status (e.g. <c>aligner→erp</c>).</summary>
    public string Name { get; }

    /// <summary>The policy this edge was created with.</summary>
    public EdgePolicy Policy { get; }

    /// <summary>Items accepted so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Items dropped so far (display edges only; always 0 for the other modes).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Items currently queued.</summary>
    public int Queued => _channel.Reader.CanCount ? _channel.Reader.Count : -1;

    /// <summary>The consumer side.</summary>
    public ChannelReader<T> Reader => _channel.Reader;

    /// <summary>
    /// Writes one item according to the policy: waits (lossless), drops the oldest (display), or throws
    /// <see cref="EdgeOverflowException"/> (fail-when-full).
    /// </summary>
    public ValueTask WriteAsync(T item, CancellationToken cancellationToken)
    {
        if (_channel.Writer.TryWrite(item))
        {
            Interlocked.Increment(ref _written);
            return ValueTask.CompletedTask;
        }
        if (Policy.Mode == EdgeMode.FailWhenFull)
        {
            throw new EdgeOverflowException(Name, Policy.Capacity);
        }
        return WriteSlowAsync(item, cancellationToken);
    }

    private async ValueTask WriteSlowAsync(T item, CancellationToken cancellationToken)
    {
        await _channel.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _written);
    }

    /// <summary>Marks the edge complete, carrying <paramref name="error"/> to the consumer if the producer failed.</summary>
    public bool Complete(Exception? error = null) => _channel.Writer.TryComplete(error);

    /// <summary>Completes when the consumer side has drained and the writer completed (or faulted).</summary>
    public Task Completion => _channel.Reader.Completion;
}
