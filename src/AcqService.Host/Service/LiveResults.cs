using AcqService.Core.Analysis;
using AcqService.Core.Pipeline;

namespace AcqService.Host.Service;

/// <summary>
/// The service's view of one running session's results: a result sink (display edges, so it can never slow the
/// session) that keeps the alpha series for the API, counts drops by reason and forwards epoch outcomes and alpha
/// updates to the <see cref="LiveFeed"/>. ERP averages are read from the analyzer's published snapshots.
/// </summary>
public sealed class LiveResults : IResultSink
{
    /// <summary>Alpha updates kept per stream for the API (at the default 0.5 s update interval: 20 minutes).</summary>
    public const int AlphaHistory = 2400;

    private readonly LiveFeed _feed;
    private readonly string _sessionId;
    private readonly IReadOnlyList<string> _regions;
    private readonly double _sessionStart;
    private readonly Lock _gate = new();
    private readonly Queue<AlphaPoint> _alpha = new();
    private readonly Dictionary<string, int> _drops = [];
    private int _accepted;
    private int _dropped;

    /// <summary>Creates the sink for one session.</summary>
    /// <param name="feed">Where live events go.</param>
    /// <param name="sessionId">Session id, carried by every event.</param>
    /// <param name="regions">Alpha region names, in the analyzer's order.</param>
    /// <param name="sessionStart">Session clock at start (event times are relative to it).</param>
    public LiveResults(LiveFeed feed, string sessionId, IReadOnlyList<string> regions, double sessionStart)
    {
        _feed = feed;
        _sessionId = sessionId;
        _regions = regions;
        _sessionStart = sessionStart;
    }

    /// <inheritdoc />
    public string Name => "live feed";

    /// <summary>Region names of the alpha series.</summary>
    public IReadOnlyList<string> Regions => _regions;

    /// <summary>Accepted epochs seen.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Dropped markers seen.</summary>
    public int Dropped => Volatile.Read(ref _dropped);

    /// <summary>Drops so far by category.</summary>
    public Dictionary<string, int> DropsByReason()
    {
        lock (_gate)
        {
            return new Dictionary<string, int>(_drops);
        }
    }

    /// <summary>The alpha series so far (oldest first), optionally only points after <paramref name="sinceSeconds"/>.</summary>
    public List<AlphaPoint> AlphaSeries(double sinceSeconds = double.NegativeInfinity)
    {
        lock (_gate)
        {
            return [.. _alpha.Where(p => p.SessionTime > sinceSeconds)];
        }
    }

    /// <inheritdoc />
    public Task RunAsync(Edge<AlphaUpdate> alpha, Edge<EpochOutcome> epochs, CancellationToken cancellationToken) =>
        Task.WhenAll(ReadAlphaAsync(alpha, cancellationToken), ReadEpochsAsync(epochs, cancellationToken));

    private async Task ReadAlphaAsync(Edge<AlphaUpdate> alpha, CancellationToken cancellationToken)
    {
        await foreach (AlphaUpdate update in alpha.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            // The update object is recycled by the analyzer: copy what is kept, now.
            var point = new AlphaPoint(update.StreamKey, update.Time - _sessionStart, [.. update.RegionAbsolute], [.. update.RegionRelative]);
            lock (_gate)
            {
                _alpha.Enqueue(point);
                if (_alpha.Count > AlphaHistory)
                {
                    _alpha.Dequeue();
                }
            }
            _feed.Publish("alpha", new AlphaEvent(_sessionId, point.Stream, point.SessionTime, _regions, point.Absolute, point.Relative));
        }
    }

    private async Task ReadEpochsAsync(Edge<EpochOutcome> epochs, CancellationToken cancellationToken)
    {
        await foreach (EpochOutcome outcome in epochs.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (outcome.Accepted)
            {
                Interlocked.Increment(ref _accepted);
            }
            else
            {
                Interlocked.Increment(ref _dropped);
                string category = outcome.Reason?.Category ?? "unknown";
                lock (_gate)
                {
                    _drops[category] = _drops.GetValueOrDefault(category) + 1;
                }
            }
            _feed.Publish("epoch", new EpochEvent(_sessionId, outcome.StreamKey, outcome.Marker.Label, outcome.MarkerTime - _sessionStart, outcome.Condition,
                outcome.Accepted, outcome.Reason?.ToString(), outcome.Reason?.Category, outcome.ConditionCount));
        }
    }
}

/// <summary>One alpha update.</summary>
/// <param name="Stream">EEG stream key.</param>
/// <param name="SessionTime">Seconds since the session started (end of the window).</param>
/// <param name="Absolute">Absolute alpha power per region (µV²).</param>
/// <param name="Relative">Alpha power relative to the broad band, per region.</param>
public sealed record AlphaPoint(string Stream, double SessionTime, double[] Absolute, double[] Relative);

// The feed's event payloads are named records rather than anonymous objects because the JSON source generator
// (needed for Native AOT) cannot describe anonymous types. Same properties in the same order as before.

/// <summary>The live feed's <c>alpha</c> event.</summary>
/// <param name="Session">Session id.</param>
/// <param name="Stream">EEG stream key.</param>
/// <param name="SessionTime">Seconds since the session started (end of the window).</param>
/// <param name="Regions">Region names (order of the values).</param>
/// <param name="Absolute">Absolute alpha power per region (µV²).</param>
/// <param name="Relative">Alpha power relative to the broad band, per region.</param>
internal sealed record AlphaEvent(string Session, string Stream, double SessionTime, IReadOnlyList<string> Regions, double[] Absolute, double[] Relative);

/// <summary>The live feed's <c>epoch</c> event: a marker epoched or dropped.</summary>
/// <param name="Session">Session id.</param>
/// <param name="Stream">EEG stream key.</param>
/// <param name="Label">Marker label.</param>
/// <param name="SessionTime">Marker time, seconds since the session started.</param>
/// <param name="Condition">Condition of the marker, or null.</param>
/// <param name="Accepted">True when the epoch was kept.</param>
/// <param name="Reason">Why it was dropped.</param>
/// <param name="Category">Drop category.</param>
/// <param name="ConditionCount">Epochs of the condition so far.</param>
internal sealed record EpochEvent(string Session, string Stream, string Label, double SessionTime, string? Condition, bool Accepted, string? Reason, string? Category,
    int ConditionCount);
