using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Lsl;
using AcqService.Sources.Drivers;
using AcqService.Sources.Profiles;
using Microsoft.Extensions.Logging;

namespace AcqService.Host.Service;

/// <summary>
/// Watches the station's LSL streams continuously, between and during sessions: present or absent, effective rate
/// against nominal, age of the last sample, gaps, clock offset, source_id and host. Each stream is watched on its own
/// (one missing amplifier does not hide the others) through the same LSL driver the sessions use, on its own inlet,
/// so watching never takes data from a session. A stream that vanishes shows as absent and is found again by itself.
/// Serial and in-process simulated streams cannot be opened twice; they are listed as watched by sessions only.
/// </summary>
public sealed partial class StreamWatcher
{
    /// <summary>Seconds of arrivals the effective rate is measured over.</summary>
    private const double RateWindowSeconds = 5;

    private readonly DeviceProfile _profile;
    private readonly SourceDriverRegistry _drivers;
    private readonly Func<ILslBackend?> _lsl;
    private readonly Func<double> _clock;
    private readonly TimeSpan _retry;
    private readonly ILogger _logger;
    private readonly Watched[] _watched;
    private readonly Lock _kick = new();
    private CancellationTokenSource _retryNow = new();

    /// <summary>Creates the watcher.</summary>
    /// <param name="profile">The station profile (as sessions receive it).</param>
    /// <param name="drivers">Source drivers.</param>
    /// <param name="lsl">The service's shared LSL backend (null when the profile uses none).</param>
    /// <param name="clock">The session clock.</param>
    /// <param name="retry">Pause between attempts to find an absent stream.</param>
    /// <param name="logger">Logging.</param>
    public StreamWatcher(DeviceProfile profile, SourceDriverRegistry drivers, Func<ILslBackend?> lsl, Func<double> clock, TimeSpan retry, ILogger logger)
    {
        _profile = profile;
        _drivers = drivers;
        _lsl = lsl;
        _clock = clock;
        _retry = retry;
        _logger = logger;
        _watched = [.. profile.Streams.Select(s => new Watched(s, drivers.Find(s.Source.Driver)?.UsesLsl == true))];
    }

    /// <summary>The health of every stream of the profile, now.</summary>
    public IReadOnlyList<StreamHealth> Snapshot()
    {
        double now = _clock();
        return [.. _watched.Select(w => w.Health(now))];
    }

    /// <summary>Looks for absent streams at once (LabRecorder's <c>update</c>).</summary>
    public void Refresh()
    {
        lock (_kick)
        {
            _retryNow.Cancel();
            _retryNow = new CancellationTokenSource();
        }
    }

    /// <summary>Watches until <paramref name="cancellationToken"/> is cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_watched.Where(w => w.IsLsl).Select(w => WatchAsync(w, cancellationToken)));

    private async Task WatchAsync(Watched watched, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await WatchOnceAsync(watched, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Absent or lost: say why, and look again shortly (the station must recover without anyone's help).
                watched.SetAbsent(ex.Message, _clock());
                LogStreamAbsent(_logger, watched.Profile.Key, ex.Message);
            }
            CancellationToken retryNow;
            lock (_kick)
            {
                retryNow = _retryNow.Token;
            }
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, retryNow);
            try
            {
                await Task.Delay(_retry, wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Refresh requested.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task WatchOnceAsync(Watched watched, CancellationToken cancellationToken)
    {
        ILslBackend lsl = _lsl() ?? throw new InvalidOperationException("no LSL backend");
        var single = new DeviceProfile
        {
            Schema = _profile.Schema,
            Name = _profile.Name,
            Description = _profile.Description,
            Streams = [watched.Profile],
            Conditions = _profile.Conditions,
            Regions = _profile.Regions,
            Simulation = _profile.Simulation,
        };
        var context = new SourceContext { Clock = _clock, Lsl = lsl, Logger = _logger };
        IReadOnlyList<ISource> sources = await _drivers.CreateAsync(single, context, cancellationToken).ConfigureAwait(false);
        try
        {
            var registry = new StreamRegistry();
            foreach (StreamDescriptor stream in sources.SelectMany(s => s.Streams))
            {
                registry.Add(stream);
            }
            StreamDescriptor descriptor = registry[0];
            watched.SetPresent(descriptor, _clock());
            Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Data<SourceItem>("watch " + watched.Profile.Key, singleWriter: false);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task running = Task.WhenAll(sources.Select(s => s.RunAsync(edge, stop.Token)))
                .ContinueWith(t => edge.Complete(t.Exception?.GetBaseException()), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            try
            {
                await foreach (SourceItem item in edge.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    double now = _clock();
                    switch (item.Kind)
                    {
                        case SourceItemKind.Samples:
                            watched.OnSamples(item.Chunk!.Count, now);
                            item.Chunk.Release();
                            break;
                        case SourceItemKind.Marker:
                            watched.OnSamples(1, now);
                            break;
                        case SourceItemKind.ClockOffset:
                            watched.OnOffset(item.Offset.Offset);
                            break;
                        case SourceItemKind.Gap:
                            watched.OnGap(item.Gap.Reason);
                            break;
                    }
                }
            }
            finally
            {
                await stop.CancelAsync().ConfigureAwait(false);
                await running.ConfigureAwait(false);
            }
            await edge.Completion.ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw new InvalidOperationException("the stream ended");
        }
        finally
        {
            foreach (IDisposable d in sources.OfType<IDisposable>())
            {
                d.Dispose();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Watched stream {Stream} is absent: {Reason}")]
    private static partial void LogStreamAbsent(ILogger logger, string stream, string reason);

    /// <summary>What is known of one stream; written by its watch task, read by anyone (copy-on-read, no torn values that matter).</summary>
    private sealed class Watched(StreamProfile profile, bool isLsl)
    {
        private readonly Lock _gate = new();
        private readonly Queue<(double Time, long Count)> _arrivals = new();
        private long _total;
        private double _lastArrival = double.NaN;
        private double _since = double.NaN;
        private int _gaps;
        private double? _offset;
        private string? _lastGap;
        private bool _present;
        private string? _reason;
        private StreamDescriptor? _descriptor;

        public StreamProfile Profile { get; } = profile;

        public bool IsLsl { get; } = isLsl;

        public void SetPresent(StreamDescriptor descriptor, double now)
        {
            lock (_gate)
            {
                _descriptor = descriptor;
                _present = true;
                _reason = null;
                _since = now;
                _arrivals.Clear();
            }
        }

        public void SetAbsent(string reason, double now)
        {
            lock (_gate)
            {
                _present = false;
                _reason = reason;
                _since = now;
                _arrivals.Clear();
            }
        }

        public void OnSamples(int count, double now)
        {
            lock (_gate)
            {
                _total += count;
                _lastArrival = now;
                _arrivals.Enqueue((now, _total));
                while (_arrivals.Count > 2 && now - _arrivals.Peek().Time > RateWindowSeconds)
                {
                    _arrivals.Dequeue();
                }
            }
        }

        public void OnOffset(double offset)
        {
            lock (_gate)
            {
                _offset = offset;
            }
        }

        public void OnGap(string reason)
        {
            lock (_gate)
            {
                _gaps++;
                _lastGap = reason;
            }
        }

        public StreamHealth Health(double now)
        {
            lock (_gate)
            {
                double nominal = Profile.SampleRateHz ?? 0;
                double? rate = null;
                if (_arrivals.Count >= 2)
                {
                    (double t0, long c0) = _arrivals.Peek();
                    (double t1, long c1) = (_lastArrival, _total);
                    // Arrivals come in chunks: the rate over the window between the first and the last chunk.
                    rate = t1 > t0 ? (c1 - c0) / (t1 - t0) : null;
                }
                double? age = double.IsNaN(_lastArrival) ? null : now - _lastArrival;
                string state;
                string? reason = _reason;
                if (!IsLsl)
                {
                    state = "session-only";
                    reason = $"driver '{Profile.Source.Driver}' opens the device for sessions only (a port or in-process simulator cannot be shared)";
                }
                else if (!_present)
                {
                    state = double.IsNaN(_since) ? "searching" : "absent";
                }
                else if (nominal > 0 && (age ?? (now - _since)) > Math.Max(2, 5 / nominal))
                {
                    state = "silent";
                    reason = $"no sample for {age ?? (now - _since):0.0} s";
                }
                else
                {
                    state = "present";
                }
                return new StreamHealth(Profile.Key, _descriptor?.Name ?? Profile.Name ?? Profile.Key, Profile.Type, Profile.Kind, nominal, state, rate,
                    age, _gaps, _lastGap, _offset, _descriptor?.SourceId, _descriptor?.Hostname, _total, reason);
            }
        }
    }
}

/// <summary>The health of one station stream.</summary>
/// <param name="Key">Stream key in the profile.</param>
/// <param name="Name">LSL name.</param>
/// <param name="Type">Stream type.</param>
/// <param name="Kind"><c>signal</c> or <c>markers</c>.</param>
/// <param name="NominalRateHz">Nominal rate (0 for markers).</param>
/// <param name="State"><c>present</c>, <c>silent</c> (connected, no data), <c>absent</c>, <c>searching</c>, or <c>session-only</c>.</param>
/// <param name="EffectiveRateHz">Samples per second over the last few seconds of arrivals.</param>
/// <param name="LastSampleAgeSeconds">Seconds since data last arrived.</param>
/// <param name="Gaps">Gaps seen since the service started watching.</param>
/// <param name="LastGap">Why the last gap happened.</param>
/// <param name="ClockOffsetSeconds">Latest clock offset (seconds to add to the stream's timestamps).</param>
/// <param name="SourceId">source_id of the stream found.</param>
/// <param name="Hostname">Computer publishing it.</param>
/// <param name="Samples">Samples received while watching.</param>
/// <param name="Reason">Why it is absent or silent.</param>
public sealed record StreamHealth(string Key, string Name, string Type, string Kind, double NominalRateHz, string State, double? EffectiveRateHz,
    double? LastSampleAgeSeconds, int Gaps, string? LastGap, double? ClockOffsetSeconds, string? SourceId, string? Hostname, long Samples, string? Reason);
