using System.Globalization;
using System.Threading.Channels;
using AcqService.Core.Analysis;
using AcqService.Core.Analysis.Quality;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Lsl;
using AcqService.Sources.Drivers;
using AcqService.Sources.Lsl;
using AcqService.Sources.Simulation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AcqService.Sessions.Check;

/// <summary>
/// The pre-session signal check (<c>acq check</c>, and the lab service's API): creates a profile's sources with the
/// drivers, as a session would, takes <see cref="CheckRequest.Seconds"/> of data from them, stops them and judges every
/// stream (effective vs nominal rate, clock offset, gaps) and every channel (<see cref="SignalQuality"/>: RMS, flat,
/// railed, line noise, high-frequency noise). Nothing is recorded. Holds no per-check state, so one checker serves
/// many checks, one after another or at once.
/// </summary>
public sealed partial class SignalChecker
{
    /// <summary>After the requested seconds, how long sources may still deliver (a live simulator ends by itself; LSL inlets are stopped).</summary>
    private static readonly TimeSpan s_grace = TimeSpan.FromSeconds(0.5);

    /// <summary>How long stopped sources, and then the collector, get to return before the check goes on without them.</summary>
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(10);

    private readonly SourceDriverRegistry _drivers;
    private readonly Func<ILslBackend> _createLsl;
    private readonly ILoggerFactory _loggers;

    /// <summary>Creates a checker.</summary>
    /// <param name="drivers">Source drivers (as the session factory's).</param>
    /// <param name="createLsl">Creates the LSL backend when the profile needs one; may throw <see cref="SessionSetupException"/>.</param>
    /// <param name="loggers">Logging.</param>
    public SignalChecker(SourceDriverRegistry drivers, Func<ILslBackend> createLsl, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(drivers);
        ArgumentNullException.ThrowIfNull(createLsl);
        _drivers = drivers;
        _createLsl = createLsl;
        _loggers = loggers ?? NullLoggerFactory.Instance;
    }

    /// <summary>Runs the check; returns the report (its <see cref="CheckReport.Worst"/> says whether to start recording).</summary>
    /// <exception cref="SessionSetupException">Invalid request or settings (usage error), or the sources could not be created (device not found).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the sources were stopped and disposed.</exception>
    public async Task<CheckReport> RunAsync(CheckRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckThresholds thresholds = (request.Thresholds ?? request.Settings.Check).Clone();
        List<string> problems = [.. thresholds.Validate(), .. request.Settings.Simulation.Validate().Select(p => "Simulation: " + p)];
        if (!(request.Seconds >= CheckRequest.MinSeconds && request.Seconds <= CheckRequest.MaxSeconds))
        {
            problems.Insert(0, FormattableString.Invariant($"the check takes {CheckRequest.MinSeconds}–{CheckRequest.MaxSeconds} seconds of data (was {request.Seconds})"));
        }
        if (problems.Count > 0)
        {
            throw new SessionSetupException("invalid settings:\n  " + string.Join("\n  ", problems), isUsageError: true);
        }

        Func<double> clock = request.Clock ?? LocalClock.Now;
        ILogger logger = _loggers.CreateLogger("AcqService.Check");
        ILslBackend? lsl = _drivers.UsesLsl(request.Profile) ? _createLsl() : null;
        IReadOnlyList<ISource> sources;
        try
        {
            var context = new SourceContext
            {
                Clock = clock,
                Simulation = request.Settings.Simulation,
                Pace = SimulationPace.Live,
                DurationSeconds = request.Seconds,
                Lsl = lsl,
                Logger = _loggers.CreateLogger("AcqService.Sources"),
            };
            sources = await _drivers.CreateAsync(request.Profile, context, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or LslSourceException or IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            lsl?.Dispose();
            if (ex is OperationCanceledException)
            {
                throw;
            }
            // A wrong field or label is the operator's to fix (exit 2); a device that is not there is not (exit 3).
            throw new SessionSetupException($"{request.ProfileSource}: {ex.Message}", isUsageError: ex is ArgumentException or NotSupportedException, ex);
        }
        catch
        {
            lsl?.Dispose();
            throw;
        }

        try
        {
            var registry = new StreamRegistry();
            foreach (StreamDescriptor stream in sources.SelectMany(s => s.Streams))
            {
                registry.Add(stream);
            }
            LogStarting(logger, registry.Count, request.Seconds);
            Collected[] collected = await CollectAsync(sources, registry, request.Seconds, logger, cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            StreamCheck[] streams = [.. collected.Select(c => Judge(c, thresholds, request.Seconds))];
            return new CheckReport
            {
                Time = DateTimeOffset.UtcNow,
                Profile = request.Profile.Name,
                ProfileSource = request.ProfileSource,
                Seconds = request.Seconds,
                Thresholds = thresholds,
                Streams = streams,
                Worst = streams.Length == 0 ? CheckVerdict.Fail : streams.Max(s => s.Verdict),
            };
        }
        finally
        {
            foreach (IDisposable disposable in sources.OfType<IDisposable>())
            {
                disposable.Dispose();
            }
            lsl?.Dispose();
        }
    }

    /// <summary>Runs the sources for the requested time into one edge and collects what arrives, per stream.</summary>
    private static async Task<Collected[]> CollectAsync(IReadOnlyList<ISource> sources, StreamRegistry registry, double seconds, ILogger logger, CancellationToken cancellationToken)
    {
        Collected[] collected = [.. registry.Streams.Select(s => new Collected(s))];
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Data<SourceItem>("sources→check", singleWriter: false);
        Task consumer = ConsumeAsync(edge, collected);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(TimeSpan.FromSeconds(seconds) + s_grace);
        Task[] runs = [.. sources.Select(source => RunSourceAsync(source, edge, collected, logger, stop.Token))];
        Task all = Task.WhenAll(runs);
        // Every source returns when its duration is over (simulators) or when stopped; one that ignores the stop is left behind.
        TimeSpan limit = TimeSpan.FromSeconds(seconds) + s_grace + s_stopTimeout;
        if (await Task.WhenAny(all, Task.Delay(limit, CancellationToken.None)).ConfigureAwait(false) != all)
        {
            for (int i = 0; i < sources.Count; i++)
            {
                if (!runs[i].IsCompleted)
                {
                    foreach (StreamDescriptor s in sources[i].Streams)
                    {
                        collected[s.Index].AddError($"source '{sources[i].Name}' did not stop within {s_stopTimeout.TotalSeconds:0} s of the end of the check");
                    }
                }
            }
        }
        edge.Complete();
        if (await Task.WhenAny(consumer, Task.Delay(s_stopTimeout, CancellationToken.None)).ConfigureAwait(false) != consumer)
        {
            // Cannot happen while the collector only copies; kept so a bug shows as a message, not a hang.
            throw new InvalidOperationException("the signal check's collector did not finish");
        }
        await consumer.ConfigureAwait(false);
        return collected;
    }

    private static async Task RunSourceAsync(ISource source, Edge<SourceItem> edge, Collected[] collected, ILogger logger, CancellationToken stop)
    {
        try
        {
            await source.RunAsync(edge, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The end of the check (or the caller's cancellation).
        }
        catch (ChannelClosedException)
        {
            // The check went on without this source (it did not stop in time); its streams already say so.
        }
        catch (Exception ex)
        {
            LogSourceFailed(logger, ex, source.Name);
            foreach (StreamDescriptor s in source.Streams)
            {
                collected[s.Index].AddError($"source '{source.Name}' failed: {ex.Message}");
            }
        }
    }

    /// <summary>Copies every item out of the edge and gives each chunk back at once (the sources' pools stay small).</summary>
    private static async Task ConsumeAsync(Edge<SourceItem> edge, Collected[] collected)
    {
        while (await edge.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (edge.Reader.TryRead(out SourceItem item))
            {
                if (item.Stream < 0 || item.Stream >= collected.Length)
                {
                    item.Chunk?.Release();
                    continue;
                }
                Collected c = collected[item.Stream];
                switch (item.Kind)
                {
                    case SourceItemKind.Samples:
                        SampleChunk chunk = item.Chunk!;
                        try
                        {
                            c.Add(chunk);
                        }
                        finally
                        {
                            chunk.Release();
                        }
                        break;
                    case SourceItemKind.Marker:
                        c.Markers++;
                        break;
                    case SourceItemKind.ClockOffset:
                        c.LastOffset = item.Offset.Offset;
                        break;
                    case SourceItemKind.Gap:
                        c.Gaps++;
                        break;
                }
            }
        }
    }

    /// <summary>Judges one stream: rate, source errors, gaps, then every channel.</summary>
    private static StreamCheck Judge(Collected c, CheckThresholds t, double seconds)
    {
        StreamDescriptor s = c.Stream;
        var reasons = new List<string>(c.Errors);
        CheckVerdict verdict = c.Errors.Count > 0 ? CheckVerdict.Fail : CheckVerdict.Pass;
        if (s.Kind != StreamKind.Signal)
        {
            return new StreamCheck
            {
                Key = s.Key, Kind = "markers", Name = s.Name, Type = s.Type, SourceId = s.SourceId, Hostname = s.Hostname,
                NominalRateHz = s.NominalRateHz, RateVerdict = CheckVerdict.Pass, ClockOffsetSeconds = c.LastOffset, Markers = c.Markers,
                Gaps = c.Gaps, Verdict = verdict, Reasons = reasons,
            };
        }

        // The requested seconds, the most recent ones: a source that is stopped rather than ending by itself (LSL inlets)
        // delivers for the grace period too, and an inlet may start with what its outlet had buffered.
        int skip = Math.Max(0, c.Times.Count - (int)Math.Ceiling(seconds * s.NominalRateHz));
        int frames = c.Times.Count - skip;
        double? effective = EffectiveRate(c.Times.GetRange(skip, frames));
        CheckVerdict rateVerdict;
        if (frames == 0)
        {
            rateVerdict = CheckVerdict.Fail;
            reasons.Add(FormattableString.Invariant($"no data: no samples arrived in {seconds:0.###} s"));
        }
        else if (effective is not double rate)
        {
            rateVerdict = CheckVerdict.Fail;
            reasons.Add(FormattableString.Invariant($"no rate: {frames} sample(s) with no time between them"));
        }
        else
        {
            double off = Math.Abs((rate / s.NominalRateHz) - 1);
            rateVerdict = off >= t.RateFailFraction ? CheckVerdict.Fail : off >= t.RateWarnFraction ? CheckVerdict.Warn : CheckVerdict.Pass;
            if (rateVerdict != CheckVerdict.Pass)
            {
                double limit = rateVerdict == CheckVerdict.Fail ? t.RateFailFraction : t.RateWarnFraction;
                reasons.Add(FormattableString.Invariant($"rate: {rate:0.00} Hz effective vs {s.NominalRateHz:0.###} Hz nominal, {100 * off:0.00} % off ≥ {100 * limit:G4} %"));
            }
        }
        verdict = Max(verdict, rateVerdict);
        if (c.Gaps > 0)
        {
            verdict = Max(verdict, CheckVerdict.Warn);
            reasons.Add($"gaps: the source reported {c.Gaps} gap(s) in the data");
        }

        // Per channel in µV (electrophysiology) or the channel's own unit; one spectrum each, shared with mains detection.
        int n = s.ChannelCount;
        var samples = new double[n][];
        var spectra = new PowerSpectrum?[n];
        var electrical = new bool[n];
        for (int ch = 0; ch < n; ch++)
        {
            electrical[ch] = IsElectrical(s, s.Channels[ch]);
            double scale = electrical[ch] ? Units.ToMicrovolts(s.Channels[ch].Unit) : 1;
            samples[ch] = new double[frames];
            for (int f = 0; f < frames; f++)
            {
                samples[ch][f] = c.Values[((skip + f) * n) + ch] * scale;
            }
            spectra[ch] = electrical[ch] && frames > 0 ? SignalQuality.Spectrum(samples[ch], s.NominalRateHz, t.SegmentSeconds) : null;
        }
        double? mains = frames == 0 || !electrical.Any(e => e) ? null
            : t.MainsHz ?? SignalQuality.ChooseMains(spectra.OfType<PowerSpectrum>(), t.MainsHalfWidthHz);
        var channels = new List<ChannelCheck>(n);
        for (int ch = 0; ch < n; ch++)
        {
            ChannelDescriptor descriptor = s.Channels[ch];
            string unit = electrical[ch] ? "µV" : descriptor.Unit;
            if (frames == 0)
            {
                channels.Add(new ChannelCheck { Label = descriptor.Label, Unit = unit, Verdict = CheckVerdict.Fail, Reasons = ["no data"] });
                continue;
            }
            ChannelQuality q = SignalQuality.Measure(samples[ch], spectra[ch], mains ?? 50, t);
            QualityJudgement j = SignalQuality.Judge(q, t, mains ?? 50, amplitudeCriteria: electrical[ch]);
            channels.Add(new ChannelCheck
            {
                Label = descriptor.Label, Unit = unit, Rms = q.Rms, PeakToPeak = q.PeakToPeak, Flat = j.Flat, RailedFraction = q.RailedFraction,
                LineNoiseRatio = electrical[ch] ? q.LineNoiseRatio : null, HfNoise = electrical[ch] ? q.HfNoise : null, Verdict = j.Verdict, Reasons = j.Reasons,
            });
            verdict = Max(verdict, j.Verdict);
        }
        return new StreamCheck
        {
            Key = s.Key, Kind = "signal", Name = s.Name, Type = s.Type, SourceId = s.SourceId, Hostname = s.Hostname, NominalRateHz = s.NominalRateHz,
            EffectiveRateHz = effective, RateVerdict = rateVerdict, ClockOffsetSeconds = c.LastOffset, Samples = frames, Gaps = c.Gaps, MainsHz = mains,
            Verdict = verdict, Reasons = reasons, Channels = channels,
        };
    }

    /// <summary>
    /// Samples per second from the raw timestamps: the inverse of the least-squares slope of timestamp over sample
    /// index, so the stamping jitter of single samples (or whole chunks stamped together) averages out. Null with fewer
    /// than two samples or no time between them.
    /// </summary>
    internal static double? EffectiveRate(IReadOnlyList<double> times)
    {
        int count = times.Count;
        if (count < 2)
        {
            return null;
        }
        // Centred sums (index about its mean, times relative to the first) keep the arithmetic exact enough for hours-long clocks.
        double meanIndex = (count - 1) / 2.0, t0 = times[0], meanTime = 0;
        for (int i = 0; i < count; i++)
        {
            meanTime += times[i] - t0;
        }
        meanTime /= count;
        double sxy = 0, sxx = 0;
        for (int i = 0; i < count; i++)
        {
            double di = i - meanIndex;
            sxy += di * (times[i] - t0 - meanTime);
            sxx += di * di;
        }
        double slope = sxy / sxx;
        return slope > 0 && double.IsFinite(slope) ? 1 / slope : null;
    }

    /// <summary>Electrophysiological channels (µV thresholds apply): by channel type, or the stream's type when the channel has none.</summary>
    private static bool IsElectrical(StreamDescriptor stream, ChannelDescriptor channel)
    {
        string type = string.IsNullOrWhiteSpace(channel.Type) ? stream.Type : channel.Type;
        return type.Trim().ToUpperInvariant() is "EEG" or "EOG" or "EMG" or "ECG" or "EKG" or "EXG";
    }

    private static CheckVerdict Max(CheckVerdict a, CheckVerdict b) => a > b ? a : b;

    [LoggerMessage(Level = LogLevel.Information, Message = "signal check: {Streams} stream(s), {Seconds} s of data")]
    private static partial void LogStarting(ILogger logger, int streams, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "signal check: source '{Source}' failed")]
    private static partial void LogSourceFailed(ILogger logger, Exception error, string source);

    /// <summary>What arrived for one stream. Written by the collector only; read after it has finished.</summary>
    private sealed class Collected(StreamDescriptor stream)
    {
        private readonly List<string> _errors = [];

        public StreamDescriptor Stream { get; } = stream;

        public List<double> Values { get; } = [];

        public List<double> Times { get; } = [];

        public int Markers { get; set; }

        public int Gaps { get; set; }

        public double? LastOffset { get; set; }

        public IReadOnlyList<string> Errors
        {
            get
            {
                lock (_errors)
                {
                    return [.. _errors];
                }
            }
        }

        /// <summary>Source errors arrive from the source tasks, hence the lock.</summary>
        public void AddError(string error)
        {
            lock (_errors)
            {
                _errors.Add(error);
            }
        }

        public void Add(SampleChunk chunk)
        {
            if (chunk.ChannelCount != Stream.ChannelCount)
            {
                AddError(string.Create(CultureInfo.InvariantCulture, $"a chunk had {chunk.ChannelCount} channels, the stream declares {Stream.ChannelCount}"));
                return;
            }
            Values.AddRange(chunk.Values);
            Times.AddRange(chunk.Times);
        }
    }
}
