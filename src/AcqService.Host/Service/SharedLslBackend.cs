using AcqService.Lsl;

namespace AcqService.Host.Service;

/// <summary>
/// The service's one LSL backend handed to each session without giving it away: a session disposes the backend it
/// was given when it ends, which must not close the station's watcher and simulator outlets.
/// </summary>
internal sealed class SharedLslBackend(ILslBackend inner) : ILslBackend
{
    public string Name => inner.Name;

    public string Version => inner.Version;

    public double LocalClock() => inner.LocalClock();

    public IReadOnlyList<LslStreamInfo> Resolve(string? predicate, int minimum, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        inner.Resolve(predicate, minimum, timeout, cancellationToken);

    public ILslContinuousResolver CreateContinuousResolver(string? predicate, TimeSpan forgetAfter) => inner.CreateContinuousResolver(predicate, forgetAfter);

    public ILslOutlet CreateOutlet(LslStreamInfo info, int chunkSize = 0, int maxBufferedSeconds = 360) => inner.CreateOutlet(info, chunkSize, maxBufferedSeconds);

    public ILslInlet CreateInlet(LslStreamInfo info, int maxBufferedSeconds = 360, int maxChunkLength = 0, bool recover = true) =>
        inner.CreateInlet(info, maxBufferedSeconds, maxChunkLength, recover);

    /// <summary>Does nothing: the station owns the backend.</summary>
    public void Dispose()
    {
    }
}
