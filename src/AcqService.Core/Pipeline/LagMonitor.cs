using System.Globalization;
using AcqService.Core.Model;

namespace AcqService.Core.Pipeline;

/// <summary>
/// Watches how far the analysis is behind each live signal stream, how fast it processes, and which streams have
/// gone quiet; decides when the session is overloaded.
/// <para>
/// The hot paths only publish: the aligner stage writes each stream's received sample count
/// (<see cref="OnArrived"/>), and every analyzer step wrapped by <see cref="Observe{TOut}"/> writes the newest
/// sample index and local-clock time it has processed. Those are plain <see cref="Volatile"/> writes into
/// preallocated arrays: no lock, no allocation. Everything else happens in <see cref="Poll"/>, called about twice
/// a second by <see cref="RunAsync"/> (or directly, with an injected clock, by tests).
/// </para>
/// <para>
/// Lag of a stream = (now − local time of the newest sample every analyzer has processed) minus the smallest such
/// latency seen (the transport and chunking delay every sample has anyway), and 0 while the analyzers have
/// processed everything received. Measuring against the stream's own best latency keeps the number meaningful
/// when the sample times are not "now" (replaying a recording faster than real time shows no lag).
/// "Caught up" compares with the count <see cref="OnArrived"/> publishes, so the aligner stage must be given the
/// monitor; otherwise a stream that stops sending would read as a growing lag.
/// The session is overloaded when a lag exceeds <see cref="AlignerOptions.MaxLagSeconds"/> and is still growing;
/// the verdict names the rate the analysis sustained (all streams, over the last min(10 s, MaxLagSeconds) of
/// polls) and the rate the streams deliver at their nominal rates.
/// </para>
/// </summary>
public sealed class LagMonitor
{
    /// <summary>Poll snapshots kept for the processed-rate window.</summary>
    private const int History = 64;

    private readonly StreamRegistry _streams;
    private readonly AlignerOptions _options;
    private readonly Func<double> _clock;
    private readonly long[] _arrived;
    /// <summary>Never disposed: it has no timer, and the token must stay usable for as long as anyone holds it.</summary>
    private readonly CancellationTokenSource _overloadSource = new();
    private Progress[] _consumers = [];
    private readonly object _pollLock = new();

    // Poll state (under _pollLock; polls are rare).
    private bool _started;
    private readonly long[] _lastArrived;
    private readonly double[] _lastDataAt;
    private readonly double[] _minLatency;
    private readonly double[] _lastLag;
    private readonly double[] _pollTimes = new double[History];
    private readonly long[,] _pollProcessed;
    private long _polls;
    private LagStatus? _latest;
    private OverloadVerdict? _verdict;

    /// <summary>Creates a monitor for the signal streams of <paramref name="streams"/>.</summary>
    /// <param name="streams">The session's streams (registered already).</param>
    /// <param name="options">Lag, overload and no-data settings.</param>
    /// <param name="clock">Local clock in seconds (the clock the corrected sample times are on).</param>
    public LagMonitor(StreamRegistry streams, AlignerOptions options, Func<double>? clock = null)
    {
        _streams = streams;
        _options = options;
        _clock = clock ?? LocalClock.Now;
        int n = streams.Count;
        _arrived = new long[n];
        _lastArrived = new long[n];
        _lastDataAt = new double[n];
        _minLatency = new double[n];
        _lastLag = new double[n];
        _pollProcessed = new long[History, n];
        Array.Fill(_minLatency, double.PositiveInfinity);
    }

    /// <summary>Raised once, on the polling thread, when the session is judged overloaded.</summary>
    public event Action<OverloadVerdict>? Overloaded;

    /// <summary>Cancelled when the session is judged overloaded (link it to the sources' stop).</summary>
    public CancellationToken OverloadToken => _overloadSource.Token;

    /// <summary>The overload verdict, or null while the analysis keeps up.</summary>
    public OverloadVerdict? Verdict => Volatile.Read(ref _verdict);

    /// <summary>The result of the latest poll, or null before the first (any thread).</summary>
    public LagStatus? Latest => Volatile.Read(ref _latest);

    /// <summary>The settings in use.</summary>
    public AlignerOptions Options => _options;

    /// <summary>The aligner stage received samples: <paramref name="total"/> is the stream's sample count so far.</summary>
    public void OnArrived(int stream, long total) => Volatile.Write(ref _arrived[stream], total);

    /// <summary>
    /// Wraps an analyzer step so that it publishes, per signal stream, the newest sample it has processed.
    /// Call once per analyzer before the pipeline starts. The wrapper reads the chunk before the step runs
    /// (the step releases it) and publishes after the step has processed it; it allocates nothing per item.
    /// </summary>
    public StageStep<AlignedItem, TOut> Observe<TOut>(StageStep<AlignedItem, TOut> step)
    {
        ArgumentNullException.ThrowIfNull(step);
        var progress = new Progress(_streams.Count);
        lock (_pollLock)
        {
            _consumers = [.. _consumers, progress];
        }
        return (in AlignedItem item, List<TOut> outputs) =>
        {
            if (item.Kind != AlignedItemKind.Samples || item.Chunk is not { Count: > 0 } chunk)
            {
                step(in item, outputs);
                return;
            }
            int stream = item.Stream;
            long next = item.FirstSampleIndex + chunk.Count;
            double newest = chunk.LastTimestamp + item.ClockOffset;
            step(in item, outputs);
            progress.Publish(stream, next, newest);
        };
    }

    /// <summary>Polls every <paramref name="interval"/> until cancelled (the session runs this beside its stages).</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        using CancellationTokenRegistration stop = timer.StopOn(cancellationToken);
        Poll(_clock());
        while (await timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            Poll(_clock());
        }
    }

    /// <summary>
    /// Takes one measurement at local time <paramref name="now"/>: lag, processed rate and silence per signal
    /// stream; raises the overload verdict when due. Thread-safe; meant to be called about twice a second.
    /// </summary>
    public LagStatus Poll(double now)
    {
        OverloadVerdict? raised = null;
        LagStatus status;
        lock (_pollLock)
        {
            Progress[] consumers = _consumers;
            int n = _streams.Count;
            if (!_started)
            {
                // Silence is counted from the first poll (the session's start), so a stream that never sends shows too.
                Array.Fill(_lastDataAt, now);
                _started = true;
            }
            long slot = _polls % History;
            _pollTimes[slot] = now;
            var entries = new List<StreamLag>(n);
            double window = _options.MaxLagSeconds > 0 ? Math.Min(10, _options.MaxLagSeconds) : 10;
            long from = RateWindowStart(now, window);
            double span = from >= 0 ? now - _pollTimes[from] : 0;
            double sustained = 0, delivered = 0, worstLag = 0;
            bool growing = false;
            StreamDescriptor? worst = null;
            for (int s = 0; s < n; s++)
            {
                StreamDescriptor stream = _streams[s];
                if (stream.Kind != StreamKind.Signal)
                {
                    continue;
                }
                long arrived = Volatile.Read(ref _arrived[s]);
                if (arrived != _lastArrived[s])
                {
                    _lastArrived[s] = arrived;
                    _lastDataAt[s] = now;
                }
                long processed = long.MaxValue;
                double newest = double.PositiveInfinity;
                foreach (Progress consumer in consumers)
                {
                    (long p, double t) = consumer.Read(s);
                    processed = Math.Min(processed, p);
                    newest = Math.Min(newest, t);
                }
                if (consumers.Length == 0)
                {
                    processed = arrived;
                    newest = double.NaN;
                }
                _pollProcessed[slot, s] = processed;

                double lag = 0;
                if (processed > 0 && double.IsFinite(newest))
                {
                    double latency = now - newest;
                    _minLatency[s] = Math.Min(_minLatency[s], latency);
                    lag = arrived > 0 && processed >= arrived ? 0 : Math.Max(0, latency - _minLatency[s]);
                }
                double rate = span > 0 ? (processed - _pollProcessed[from, s]) / span : double.NaN;
                double channels = stream.ChannelCount;
                entries.Add(new StreamLag(stream.Key, lag, now - _lastDataAt[s], rate * channels, processed, arrived));
                if (double.IsFinite(rate))
                {
                    sustained += rate * channels;
                }
                delivered += stream.NominalRateHz * channels;
                if (lag > worstLag)
                {
                    worstLag = lag;
                    worst = stream;
                    growing = lag >= _lastLag[s];
                }
                _lastLag[s] = lag;
            }
            _polls++;
            if (_verdict is null && _options.MaxLagSeconds > 0 && worst is not null && worstLag > _options.MaxLagSeconds && growing)
            {
                raised = new OverloadVerdict(worst.Key, worstLag, sustained, delivered, worst.ChannelCount, now, span,
                    Describe(worst, worstLag, sustained, delivered));
                Volatile.Write(ref _verdict, raised);
            }
            status = new LagStatus(now, entries, _verdict);
            Volatile.Write(ref _latest, status);
        }
        if (raised is not null)
        {
            // Outside the lock: subscribers (the session) may stop sources and log.
            Overloaded?.Invoke(raised);
            _overloadSource.Cancel();
        }
        return status;
    }

    /// <summary>
    /// The poll slot the processed rate is measured from: the newest earlier poll at least <paramref name="window"/>
    /// seconds old, else the oldest kept; -1 before the second poll.
    /// </summary>
    private long RateWindowStart(double now, double window)
    {
        long oldest = Math.Max(0, _polls - History + 1);
        long from = -1;
        for (long k = _polls - 1; k >= oldest; k--)
        {
            from = k % History;
            if (now - _pollTimes[from] >= window)
            {
                break;
            }
        }
        return from;
    }

    private static string Describe(StreamDescriptor stream, double lag, double sustained, double delivered)
    {
        CultureInfo ci = CultureInfo.InvariantCulture;
        double perStreamHz = sustained / stream.ChannelCount;
        string hz = perStreamHz >= 1000 ? (perStreamHz / 1000).ToString("F1", ci) + " kHz" : perStreamHz.ToString("F0", ci) + " Hz";
        return string.Create(ci, $"analysis fell {lag:F1} s behind '{stream.Key}' and kept falling behind: it could sustain about {Mega(sustained)} channel-samples/s (≈ {hz} at {stream.ChannelCount} channels); the streams deliver {Mega(delivered)}");

        static string Mega(double value) => double.IsFinite(value)
            ? (value >= 1e6 ? (value / 1e6).ToString("F1", CultureInfo.InvariantCulture) + " M" : (value / 1e3).ToString("F1", CultureInfo.InvariantCulture) + " k")
            : "?";
    }

    /// <summary>One analyzer's progress per stream, written by its thread only.</summary>
    private sealed class Progress(int streams)
    {
        private readonly long[] _processed = new long[streams];
        private readonly double[] _newest = new double[streams];

        public void Publish(int stream, long next, double newest)
        {
            // Time first, count second: a reader that sees the count also sees a time at least that new.
            Volatile.Write(ref _newest[stream], newest);
            Volatile.Write(ref _processed[stream], next);
        }

        public (long Processed, double Newest) Read(int stream)
        {
            long processed = Volatile.Read(ref _processed[stream]);
            double newest = Volatile.Read(ref _newest[stream]);
            return (processed, processed > 0 ? newest : double.NaN);
        }
    }
}

/// <summary>One stream's line in a <see cref="LagStatus"/>.</summary>
/// <param name="StreamKey">Stream key.</param>
/// <param name="LagSeconds">How far the analysis is behind the stream (0 when caught up).</param>
/// <param name="SilentSeconds">Seconds since the stream last delivered samples (or since the session started).</param>
/// <param name="ProcessedChannelSamplesPerSecond">Channel-samples/s the analyzers processed over the rate window (NaN at first).</param>
/// <param name="Processed">Samples every analyzer has processed.</param>
/// <param name="Arrived">Samples the aligner has received.</param>
public sealed record StreamLag(string StreamKey, double LagSeconds, double SilentSeconds, double ProcessedChannelSamplesPerSecond, long Processed, long Arrived)
{
    /// <summary>True when the stream has delivered nothing for at least <see cref="AlignerOptions.NoDataSeconds"/>.</summary>
    public bool IsSilent(AlignerOptions options) => SilentSeconds >= options.NoDataSeconds;

    /// <summary>
    /// Status text for this stream: <c>no data for 7 s</c> when silent, <c>lag 3.2 s</c> when the analysis is further
    /// behind than <see cref="AlignerOptions.LagDisplaySeconds"/>, otherwise empty.
    /// </summary>
    public string ToStatus(AlignerOptions options) =>
        IsSilent(options) ? string.Create(CultureInfo.InvariantCulture, $"no data for {Math.Floor(SilentSeconds):F0} s")
        : LagSeconds > options.LagDisplaySeconds ? string.Create(CultureInfo.InvariantCulture, $"lag {LagSeconds:F1} s")
        : "";
}

/// <summary>A <see cref="LagMonitor"/> measurement.</summary>
/// <param name="Time">Local clock of the poll.</param>
/// <param name="Streams">Per signal stream.</param>
/// <param name="Verdict">The overload verdict, if one was raised.</param>
public sealed record LagStatus(double Time, IReadOnlyList<StreamLag> Streams, OverloadVerdict? Verdict);

/// <summary>The analysis cannot keep up with the live streams.</summary>
/// <param name="StreamKey">The stream it fell furthest behind.</param>
/// <param name="LagSeconds">That lag when the verdict was raised.</param>
/// <param name="SustainedChannelSamplesPerSecond">Channel-samples/s the analysis processed (all streams) over the last seconds.</param>
/// <param name="DeliveredChannelSamplesPerSecond">Channel-samples/s the streams deliver at their nominal rates.</param>
/// <param name="ChannelCount">Channels of that stream (to express the sustainable rate in Hz).</param>
/// <param name="Time">Local clock of the poll that raised the verdict.</param>
/// <param name="RateWindowSeconds">The sustained rate is measured over the last this many seconds before <paramref name="Time"/>.</param>
/// <param name="Message">One sentence for the log and the session's end reason.</param>
public sealed record OverloadVerdict(string StreamKey, double LagSeconds, double SustainedChannelSamplesPerSecond, double DeliveredChannelSamplesPerSecond,
    int ChannelCount, double Time, double RateWindowSeconds, string Message);
