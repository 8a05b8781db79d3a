using System.Collections.Concurrent;

namespace AcqService.Lsl.Managed;

/// <summary>Background discovery: keeps uid → (info, last seen) and forgets entries not seen for <c>forgetAfter</c>.</summary>
internal sealed class ManagedContinuousResolver : ILslContinuousResolver
{
    private readonly ConcurrentDictionary<string, (LslStreamInfo Info, long SeenAt)> _seen = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _loop;
    private readonly long _forgetAfterMs;
    private int _disposed;

    public ManagedContinuousResolver(ManagedLslBackend backend, string query, TimeSpan forgetAfter)
    {
        _forgetAfterMs = (long)Math.Max(0, forgetAfter.TotalMilliseconds);
        var resolver = new Resolver(backend);
        _loop = Task.Run(() => resolver.RunWavesAsync(query, continuous: true, info =>
        {
            _seen.AddOrUpdate(info.Uid, (info, Environment.TickCount64), (_, old) => (old.Info, Environment.TickCount64));
        }, _cts.Token));
    }

    /// <inheritdoc />
    public IReadOnlyList<LslStreamInfo> Results()
    {
        long cutoff = Environment.TickCount64 - _forgetAfterMs;
        foreach (var entry in _seen)
        {
            if (entry.Value.SeenAt < cutoff)
            {
                _seen.TryRemove(entry);
            }
        }
        return _seen.Values.Select(v => v.Info.Clone()).ToList();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _cts.Cancel();
        try
        {
            _loop.Wait(LslLimits.DisposeTimeout);
        }
        catch (AggregateException)
        {
        }
    }
}
