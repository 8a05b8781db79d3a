using System.Globalization;
using System.Text;
using System.Xml.Linq;
using AcqService.Core.Analysis;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Lsl;
using AcqService.Sources.Lsl;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AcqService.Sinks.Lsl;

/// <summary>
/// Re-publishes a session's derived results over LSL so other tools (neurofeedback displays, LabRecorder, a
/// stimulus PC) can use them live:
/// <list type="bullet">
/// <item>per analysed EEG stream an alpha outlet (double64, regular at the alpha update rate): one channel per EEG
/// channel (absolute µV²), then per region absolute (µV²) and relative power; labels, units and the estimator
/// settings are in <c>desc</c>; timestamps are the update times on the local clock;</item>
/// <item>one string marker outlet with an entry per epoch outcome, e.g.
/// <c>erp;condition=insert/real;n=12;accepted=1;stream=eeg</c> or
/// <c>erp;condition=insert/sham;n=11;accepted=0;reason=…;stream=eeg</c>, stamped at the marker's local time;</item>
/// <item>per analysed fNIRS stream (when given the session's <see cref="NirsAnalyzer"/>) a haemoglobin outlet
/// (double64, type <c>Haemoglobin</c>, nominal rate = the fNIRS rate): the live ΔHbO/ΔHbR per pair as the stage
/// computes them, channels <c>S1_D1 hbo</c>, <c>S1_D1 hbr</c>… (MNE's names) in µM, with source, detector and the
/// montage in <c>desc</c>; timestamps are the frames' local-clock times.</item>
/// </list>
/// It is an <see cref="IResultSink"/>: it reads display edges, so a slow network can only drop (counted) results,
/// never slow acquisition. Outlets are created in the constructor, so they are discoverable before data flows.
/// </summary>
public sealed partial class LslResultPublisher : IResultSink, IHaemoglobinSink, IDisposable
{
    private readonly Dictionary<string, (ILslOutlet Outlet, double[] Buffer)> _alpha = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ILslOutlet> _haemoglobin = new(StringComparer.Ordinal);
    private long _haemoglobinPushed;
    private readonly ILslOutlet _epochs;
    private readonly ILogger _logger;
    private long _alphaPushed;
    private long _epochsPushed;

    /// <summary>Creates the outlets for a session (before the session runs; the session then feeds it as a result sink).</summary>
    /// <param name="backend">LSL backend.</param>
    /// <param name="streams">The session's streams.</param>
    /// <param name="analyzer">The session's alpha analyzer (streams, channels and regions it reports).</param>
    /// <param name="alpha">The session's alpha settings (rate and estimator description).</param>
    /// <param name="namePrefix">Prefix of the stream names (default <c>AcqService</c>).</param>
    /// <param name="sourceIdPrefix">Prefix of the source ids (default <c>acqservice</c>); keep it stable so receivers recover across restarts.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="nirs">The session's fNIRS stage: one haemoglobin outlet per analysed stream, fed by the stage (it registers this publisher as its sink).</param>
    public LslResultPublisher(ILslBackend backend, StreamRegistry streams, AlphaAnalyzer analyzer, AlphaOptions alpha, string namePrefix = "AcqService", string sourceIdPrefix = "acqservice", ILogger? logger = null,
        NirsAnalyzer? nirs = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(streams);
        ArgumentNullException.ThrowIfNull(analyzer);
        ArgumentNullException.ThrowIfNull(alpha);
        _logger = logger ?? NullLogger.Instance;
        IReadOnlyList<string> regions = analyzer.RegionNames;
        try
        {
            foreach (string key in analyzer.StreamKeys)
            {
                StreamDescriptor stream = streams.Find(key)!;
                IReadOnlyList<string> labels = analyzer.ChannelLabels(key);
                var info = new LslStreamInfo
                {
                    Name = $"{namePrefix} alpha {key}",
                    Type = "AlphaPower",
                    ChannelCount = labels.Count + (2 * regions.Count),
                    NominalSrate = AlphaRate(stream.NominalRateHz, alpha.UpdateIntervalSeconds),
                    ChannelFormat = ChannelFormat.Double64,
                    SourceId = $"{sourceIdPrefix}-alpha-{key}",
                };
                info.WithChannels([
                    .. labels.Select(l => (l + "_abs", "uV2", "AlphaAbsolute")),
                    .. regions.Select(r => ("roi_" + r + "_abs", "uV2", "AlphaAbsolute")),
                    .. regions.Select(r => ("roi_" + r + "_rel", "ratio", "AlphaRelative")),
                ]);
                info.Desc.Add(Estimator(alpha, key));
                ILslOutlet outlet = backend.CreateOutlet(info);
                _alpha.Add(key, (outlet, new double[info.ChannelCount]));
                LogOutlet(_logger, LslDiscoveryHelp.Describe(outlet.Info));
            }
            var epochs = new LslStreamInfo
            {
                Name = $"{namePrefix} ERP outcomes",
                // Not "Markers": a session selecting its needle markers by type='Markers' must not pick this up.
                Type = "ErpOutcomes",
                ChannelCount = 1,
                NominalSrate = 0,
                ChannelFormat = ChannelFormat.String,
                SourceId = $"{sourceIdPrefix}-erp",
            };
            epochs.Desc.Add(new XElement("format", "erp;condition=<name|none>;n=<epochs in average>;accepted=<1|0>[;reason=<drop reason>];stream=<signal key>"));
            _epochs = backend.CreateOutlet(epochs);
            LogOutlet(_logger, LslDiscoveryHelp.Describe(_epochs.Info));
            foreach (string key in nirs?.StreamKeys ?? [])
            {
                ILslOutlet outlet = backend.CreateOutlet(HaemoglobinInfo(nirs!, key, namePrefix, sourceIdPrefix));
                _haemoglobin.Add(key, outlet);
                LogOutlet(_logger, LslDiscoveryHelp.Describe(outlet.Info));
            }
        }
        catch
        {
            foreach ((ILslOutlet outlet, _) in _alpha.Values)
            {
                outlet.Dispose();
            }
            _epochs?.Dispose();
            foreach (ILslOutlet outlet in _haemoglobin.Values)
            {
                outlet.Dispose();
            }
            throw;
        }
        if (_haemoglobin.Count > 0)
        {
            nirs!.AddSink(this);
        }
    }

    /// <inheritdoc />
    public string Name => "lsl results";

    /// <summary>Published alpha streams by signal key (info with uid and ports).</summary>
    public IReadOnlyDictionary<string, LslStreamInfo> AlphaStreams => _alpha.ToDictionary(p => p.Key, p => p.Value.Outlet.Info.Clone());

    /// <summary>The published ERP outcome stream.</summary>
    public LslStreamInfo EpochStream => _epochs.Info.Clone();

    /// <summary>Published haemoglobin streams by fNIRS stream key (info with uid and ports).</summary>
    public IReadOnlyDictionary<string, LslStreamInfo> HaemoglobinStreams => _haemoglobin.ToDictionary(p => p.Key, p => p.Value.Info.Clone());

    /// <summary>ΔHbO/ΔHbR frames pushed so far.</summary>
    public long HaemoglobinPushed => Interlocked.Read(ref _haemoglobinPushed);

    /// <summary>Alpha updates pushed so far.</summary>
    public long AlphaPushed => Interlocked.Read(ref _alphaPushed);

    /// <summary>Epoch outcomes pushed so far.</summary>
    public long EpochsPushed => Interlocked.Read(ref _epochsPushed);

    /// <summary>
    /// Called right after an alpha update was pushed to its outlet, on the publisher's task (set before the session
    /// runs). For latency measurement (<c>bench latency</c>): it must return at once and not throw.
    /// </summary>
    public Action<AlphaUpdate>? AlphaPublished { get; set; }

    /// <summary>Called right after an epoch outcome was pushed to the ERP outcome outlet; same rules as <see cref="AlphaPublished"/>.</summary>
    public Action<EpochOutcome>? EpochPublished { get; set; }

    /// <summary>Text of one epoch outcome as published.</summary>
    public static string Format(in EpochOutcome outcome)
    {
        var text = new StringBuilder(96);
        text.Append("erp;condition=").Append(Clean(outcome.Condition ?? "none"))
            .Append(";n=").Append(outcome.ConditionCount.ToString(CultureInfo.InvariantCulture))
            .Append(";accepted=").Append(outcome.Accepted ? '1' : '0');
        if (!outcome.Accepted && outcome.Reason?.ToString() is string reason)
        {
            text.Append(";reason=").Append(Clean(reason));
        }
        text.Append(";stream=").Append(Clean(outcome.StreamKey));
        return text.ToString();
    }

    /// <inheritdoc />
    public Task RunAsync(Edge<AlphaUpdate> alpha, Edge<EpochOutcome> epochs, CancellationToken cancellationToken) =>
        Task.WhenAll(
            StageRunner.DrainAsync(alpha, PushAlpha, cancellationToken),
            StageRunner.DrainAsync(epochs, PushEpoch, cancellationToken));

    private void PushAlpha(AlphaUpdate update)
    {
        if (!_alpha.TryGetValue(update.StreamKey, out (ILslOutlet Outlet, double[] Buffer) target))
        {
            return;
        }
        // The update object is recycled by the analyzer: copy synchronously, then push the copy.
        double[] values = target.Buffer;
        update.Absolute.CopyTo(values, 0);
        update.RegionAbsolute.CopyTo(values, update.Absolute.Length);
        update.RegionRelative.CopyTo(values, update.Absolute.Length + update.RegionAbsolute.Length);
        target.Outlet.PushChunk(values, [update.Time]);
        Interlocked.Increment(ref _alphaPushed);
        AlphaPublished?.Invoke(update);
    }

    private void PushEpoch(EpochOutcome outcome)
    {
        _epochs.PushChunk([Format(outcome)], [outcome.MarkerTime]);
        Interlocked.Increment(ref _epochsPushed);
        EpochPublished?.Invoke(outcome);
    }

    /// <inheritdoc />
    public void Write(string streamKey, ReadOnlySpan<double> haemoglobin, ReadOnlySpan<double> times)
    {
        // Called on the fNIRS stage's task; an outlet push only queues, so the stage is never held up by the network.
        if (times.Length > 0 && _haemoglobin.TryGetValue(streamKey, out ILslOutlet? outlet))
        {
            outlet.PushChunk(haemoglobin, times);
            Interlocked.Add(ref _haemoglobinPushed, times.Length);
        }
    }

    /// <summary>The haemoglobin outlet's info: channels with source/detector/chromophore and the stream's montage.</summary>
    private static LslStreamInfo HaemoglobinInfo(NirsAnalyzer nirs, string key, string namePrefix, string sourceIdPrefix)
    {
        StreamDescriptor stream = nirs.Stream(key);
        IReadOnlyList<string> labels = nirs.OutputLabels(key);
        string unit = nirs.Unit == "uM" ? "µM" : "M";
        var info = new LslStreamInfo
        {
            Name = $"{namePrefix} haemoglobin {key}",
            // Not "NIRS": a session selecting its fNIRS device by type must not pick up derived results.
            Type = "Haemoglobin",
            ChannelCount = labels.Count,
            NominalSrate = stream.NominalRateHz,
            ChannelFormat = ChannelFormat.Double64,
            SourceId = $"{sourceIdPrefix}-haemoglobin-{key}",
        };
        NirsMontage? montage = nirs.Montage(key);
        var channels = new XElement("channels");
        foreach (string label in labels)
        {
            // "S1-D1 hbo" → source 1, detector 1, chromophore hbo; published as MNE names it, "S1_D1 hbo".
            int space = label.LastIndexOf(' ');
            string pair = label[..space], chromophore = label[(space + 1)..];
            string[] parts = pair.Split('-');
            channels.Add(new XElement("channel",
                new XElement("label", pair.Replace('-', '_') + " " + chromophore),
                new XElement("type", chromophore.ToUpperInvariant() == "HBO" ? "HbO" : "HbR"),
                new XElement("unit", unit),
                new XElement("source", parts[0].TrimStart('S')),
                new XElement("detector", parts[1].TrimStart('D'))));
        }
        info.Desc.Add(channels);
        if (montage?.ToDescription(stream.Channels).Element("montage") is XElement probe)
        {
            info.Desc.Add(probe);
        }
        info.Desc.Add(new XElement("haemoglobin", new XElement("signal_stream", key),
            new XElement("method", "intensity → optical density (baseline: mean of the first Haemoglobin:BaselineSeconds) → modified Beer–Lambert law → causal low-pass; as in hrf_averages")));
        return info;
    }

    private static double AlphaRate(double signalRate, double intervalSeconds) =>
        signalRate / Math.Max(1, Math.Round(intervalSeconds * signalRate));

    private static XElement Estimator(AlphaOptions alpha, string key) => new("alpha",
        new XElement("signal_stream", key),
        new XElement("band_hz", Invariant($"{alpha.BandLowHz}-{alpha.BandHighHz}")),
        new XElement("broad_band_hz", Invariant($"{alpha.BroadLowHz}-{alpha.BroadHighHz}")),
        new XElement("window_s", Invariant($"{alpha.WindowSeconds}")),
        new XElement("welch_segment_s", Invariant($"{alpha.SegmentSeconds}")),
        new XElement("welch_overlap", Invariant($"{alpha.Overlap}")),
        new XElement("welch_window", alpha.Window.ToString()),
        new XElement("detrend", alpha.Detrend.ToString()),
        new XElement("update_interval_s", Invariant($"{alpha.UpdateIntervalSeconds}")));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Keeps the key=value list parseable: ';' separates fields, so it may not appear inside one.</summary>
    private static string Clean(string value) => value.Replace(';', ',').Replace('\n', ' ').Replace('\r', ' ');

    /// <summary>Closes the outlets.</summary>
    public void Dispose()
    {
        foreach ((ILslOutlet outlet, _) in _alpha.Values)
        {
            outlet.Dispose();
        }
        _epochs.Dispose();
        foreach (ILslOutlet outlet in _haemoglobin.Values)
        {
            outlet.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Result outlet: {Stream}")]
    private static partial void LogOutlet(ILogger logger, string stream);
}
