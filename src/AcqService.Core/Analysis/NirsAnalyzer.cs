using AcqService.Core.Model;
using AcqService.Core.Pipeline;

namespace AcqService.Core.Analysis;

/// <summary>
/// The live fNIRS stage: for every signal stream of type <c>NIRS</c>/<c>fNIRS</c> whose channel labels name
/// source–detector pairs and wavelengths (<c>S1-D1 760</c>), raw intensity → optical density → ΔHbO/ΔHbR
/// (<see cref="HaemoglobinConverter"/>), and needle-locked haemodynamic averages per condition
/// (<see cref="HaemodynamicAverager"/>, window <see cref="HaemodynamicWindow"/>). The same aligned events that give an
/// EEG stream its ERP epochs give the fNIRS stream its haemodynamic epochs: one needle event, placed on each stream's
/// own samples, whatever the two rates. Allocation-free per chunk once the largest chunk has been seen.
/// </summary>
public sealed class NirsAnalyzer
{
    private readonly NirsStream?[] _streams;
    private readonly List<IHaemoglobinSink> _sinks = [];

    /// <summary>Creates the stage for the registry's fNIRS streams (none: the stage does nothing).</summary>
    /// <param name="registry">The session's streams.</param>
    /// <param name="options">Conversion settings.</param>
    /// <param name="window">Epoch window, baseline, rejection and pre/post windows of the averages.</param>
    /// <param name="regions">
    /// Regions for the pre/post summaries: every region whose channels name pairs of the stream (<c>S1-D1</c>); the
    /// region <c>all</c> (every long pair) is always summarised.
    /// </param>
    /// <exception cref="ArgumentException">Invalid settings for a stream (the message names it).</exception>
    public NirsAnalyzer(StreamRegistry registry, HaemoglobinOptions options, HaemodynamicWindow window, IReadOnlyDictionary<string, List<string>>? regions = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _streams = new NirsStream?[registry.Count];
        foreach (StreamDescriptor stream in registry.Streams)
        {
            if (stream.Kind != StreamKind.Signal || !IsNirs(stream))
            {
                continue;
            }
            string[] labels = [.. stream.Channels.Select(c => c.Label)];
            NirsMontage? montage;
            try
            {
                // The probe as the device (or its profile) describes it in desc — source, detector, wavelength, distance
                // per channel, pathlength factors — else from labels like "S1-D1 760". Non-intensity channels (frame
                // counter, accelerometers, HbO/HbR a device computed itself) are not part of it.
                montage = NirsMontage.Parse(stream.DescriptionXml, labels);
            }
            catch (FormatException ex)
            {
                throw new ArgumentException($"stream '{stream.Key}': {ex.Message}", ex);
            }
            if (montage is null || montage.Carries != "intensity")
            {
                // A device that streams ΔHbO/ΔHbR itself (Aurora "Hb states", OxySoft O2Hb/HHb): averaged as they come.
                IReadOnlyList<(string Pair, int HbO, int HbR, double ToMicromolar)> given = NirsMontage.HaemoglobinPairs(stream.DescriptionXml, stream.Channels);
                if (given.Count > 0 && montage?.Carries is null or "haemoglobin" or "intensity")
                {
                    string[] outputLabels = [.. given.SelectMany(p => new[] { $"{p.Pair} hbo", $"{p.Pair} hbr" })];
                    var passAverager = new HaemodynamicAverager(stream.Key, outputLabels, stream.NominalRateHz,
                        window.TminSeconds, window.TmaxSeconds, window.BaselineStartSeconds, window.BaselineEndSeconds,
                        rules: Rules(window, [.. given.Select(p => (p.Pair, false))], [], false, regions));
                    _streams[stream.Index] = new NirsStream(stream, null, passAverager, montage, _sinks)
                    {
                        Passthrough = [.. given.SelectMany(p => new[] { p.HbO, p.HbR })],
                        PassthroughScale = [.. given.SelectMany(p => new[] { p.ToMicromolar, p.ToMicromolar })],
                        Labels = outputLabels,
                    };
                }
                continue;
            }
            NirsLayout layout = NirsMontageLayout.ToLayout(montage, stream.ChannelCount);
            HaemoglobinOptions streamOptions = WithPathlengthFactors(options, montage, layout);
            string[] problems = [.. streamOptions.Validate(stream.NominalRateHz)];
            if (problems.Length > 0)
            {
                throw new ArgumentException($"stream '{stream.Key}': " + string.Join("; ", problems));
            }
            var converter = new HaemoglobinConverter(layout, stream.NominalRateHz, streamOptions);
            var averager = new HaemodynamicAverager(stream.Key, converter.OutputLabels, stream.NominalRateHz,
                window.TminSeconds, window.TmaxSeconds, window.BaselineStartSeconds, window.BaselineEndSeconds,
                rules: Rules(window, [.. layout.Pairs.Select(p => (p.Name, p.IsShort))], converter.ArtifactChannelNames, converter.ArtifactDetector is not null, regions));
            _streams[stream.Index] = new NirsStream(stream, converter, averager, montage, _sinks) { Labels = converter.OutputLabels };
        }
    }

    /// <summary>True when the session has an fNIRS stream to analyse.</summary>
    public bool IsActive => _streams.Any(s => s is not null);

    /// <summary>Keys of the analysed streams.</summary>
    public IEnumerable<string> StreamKeys => _streams.Where(s => s is not null).Select(s => s!.Stream.Key);

    /// <summary>Haemodynamic averages per stream and condition (read after the stage has completed).</summary>
    public IReadOnlyList<ConditionAverage> Averages => [.. _streams.Where(s => s is not null).SelectMany(s => s!.Averager.Averages)];

    /// <summary>Output unit of the averages (<c>uM</c> or <c>M</c>).</summary>
    public string Unit => _streams.FirstOrDefault(s => s?.Converter is not null)?.Converter!.OutputUnit ?? "uM";

    /// <summary>Haemodynamic epoch outcomes of every stream (read after the stage has completed), stream by stream in decision order.</summary>
    public IReadOnlyList<EpochOutcome> Outcomes => [.. _streams.Where(s => s is not null).SelectMany(s => s!.Averager.Outcomes)];

    /// <summary>Pre/post summaries per stream, condition, region and chromophore (read after the stage has completed).</summary>
    public IReadOnlyList<HaemodynamicConditionSummary> Summaries => [.. _streams.Where(s => s is not null).SelectMany(s => s!.Averager.Summaries())];

    /// <summary>Haemodynamic epochs rejected (motion artefact, peak-to-peak) so far.</summary>
    public int Rejected => _streams.Sum(s => s?.Averager.Rejected ?? 0);

    /// <summary>Epochs averaged so far (any thread; approximate while running).</summary>
    public int Accepted => _streams.Sum(s => s is null ? 0 : Volatile.Read(ref s.Accepted));

    /// <summary>Motion-artefact events detected so far per stream (documented rule: <see cref="Dsp.DerivativeArtifactDetector"/>).</summary>
    public IReadOnlyDictionary<string, long> ArtifactEvents =>
        _streams.Where(s => s?.Converter?.ArtifactDetector is not null).ToDictionary(s => s!.Stream.Key, s =>
        {
            Dsp.DerivativeArtifactDetector detector = s!.Converter!.ArtifactDetector!;
            return Enumerable.Range(0, detector.Channels).Sum(c => detector.EventCount(c));
        });

    /// <summary>
    /// Adds a consumer of the live ΔHbO/ΔHbR frames (before the stage runs). It is called on the stage's task with
    /// each converted chunk, so it must copy what it keeps and must not block (an LSL outlet's push only queues).
    /// </summary>
    public void AddSink(IHaemoglobinSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _sinks.Add(sink);
    }

    /// <summary>
    /// When true, each accepted haemodynamic epoch publishes an immutable copy of its condition's average for readers on
    /// other threads (<see cref="LatestAverages"/>: the control API and dashboard).
    /// </summary>
    public bool PublishAverages
    {
        get => _streams.Any(s => s?.Averager.PublishAverages == true);
        set
        {
            foreach (NirsStream? s in _streams)
            {
                if (s is not null)
                {
                    s.Averager.PublishAverages = value;
                }
            }
        }
    }

    /// <summary>The latest published haemodynamic averages of every fNIRS stream (any thread).</summary>
    public IReadOnlyList<ErpAverageSnapshot> LatestAverages => [.. _streams.Where(s => s is not null).SelectMany(s => s!.Averager.LatestAverages)];

    /// <summary>Output channel labels (<c>S1-D1 hbo</c>, <c>S1-D1 hbr</c>, …) of an analysed stream.</summary>
    /// <exception cref="ArgumentException">Not an analysed stream.</exception>
    public IReadOnlyList<string> OutputLabels(string streamKey) => Find(streamKey).Labels;

    /// <summary>The probe of an analysed stream (pairs, wavelengths, positions) as the stage uses it; null for a stream that carries ΔHbO/ΔHbR itself.</summary>
    /// <exception cref="ArgumentException">Not an analysed stream.</exception>
    public NirsMontage? Montage(string streamKey) => Find(streamKey).Montage;

    /// <summary>The analysed stream's descriptor.</summary>
    /// <exception cref="ArgumentException">Not an analysed stream.</exception>
    public StreamDescriptor Stream(string streamKey) => Find(streamKey).Stream;

    private NirsStream Find(string key) => _streams.FirstOrDefault(s => s?.Stream.Key == key) ?? throw new ArgumentException($"'{key}' is not an analysed fNIRS stream", nameof(key));

    /// <summary>Consumes one aligned item and releases the chunk reference it receives.</summary>
    public void Process(AlignedItem item)
    {
        NirsStream? stream = (uint)item.Stream < (uint)_streams.Length ? _streams[item.Stream] : null;
        switch (item.Kind)
        {
            case AlignedItemKind.Samples:
                stream?.Append(item.Chunk!, item.ClockOffset);
                item.Chunk!.Release();
                break;
            case AlignedItemKind.Event:
                if (stream is not null)
                {
                    // Every event gets an outcome (epoch, or a drop tagged haemodynamic), as every ERP marker does.
                    stream.Averager.AddEvent(item.Event);
                    Volatile.Write(ref stream.Accepted, stream.Averager.Accepted);
                }
                break;
            case AlignedItemKind.StreamEnded:
                stream?.Averager.Finish();
                break;
        }
    }

    /// <summary>
    /// The session's options with the pathlength factors the stream declares for its two wavelengths (a device profile's
    /// fixed or age-dependent DPF/PPF), when it declares them for every pair's wavelengths; otherwise unchanged.
    /// </summary>
    private static HaemoglobinOptions WithPathlengthFactors(HaemoglobinOptions options, NirsMontage montage, NirsLayout layout)
    {
        NirsPair first = layout.Pairs[0];
        if (!layout.Pairs.All(p => p.Wavelength1Nm == first.Wavelength1Nm && p.Wavelength2Nm == first.Wavelength2Nm)
            || !montage.PathlengthFactors.TryGetValue(first.Wavelength1Nm, out double f1) || !montage.PathlengthFactors.TryGetValue(first.Wavelength2Nm, out double f2))
        {
            return options;
        }
        HaemoglobinOptions copy = options.Copy();
        copy.PathlengthFactor1 = f1;
        copy.PathlengthFactor2 = f2;
        return copy;
    }

    private static HaemodynamicEpochRules Rules(HaemodynamicWindow window, (string Name, bool IsShort)[] layout, IReadOnlyList<string> motionChannels, bool detects,
        IReadOnlyDictionary<string, List<string>>? regions)
    {
        int[] longPairs = [.. Enumerable.Range(0, layout.Length).Where(p => !layout[p].IsShort)];
        var list = new List<(string, int[])> { ("all", longPairs.Length > 0 ? longPairs : [.. Enumerable.Range(0, layout.Length)]) };
        foreach ((string name, List<string> members) in regions ?? new Dictionary<string, List<string>>())
        {
            int[] pairs = [.. members.Select(m => Enumerable.Range(0, layout.Length).FirstOrDefault(p => layout[p].Name.Equals(m.Replace('_', '-'), StringComparison.OrdinalIgnoreCase), -1)).Where(p => p >= 0)];
            if (pairs.Length > 0 && name != "all")
            {
                list.Add((name, pairs));
            }
        }
        return new HaemodynamicEpochRules
        {
            RejectMotion = window.RejectMotionArtifacts && detects,
            RejectPeakToPeak = window.RejectPeakToPeak,
            MotionChannelNames = motionChannels,
            PreStartSeconds = window.PreStartSeconds,
            PreEndSeconds = window.PreEndSeconds,
            PostStartSeconds = window.PostStartSeconds,
            PostEndSeconds = window.PostEndSeconds,
            Regions = list,
        };
    }

    private static bool IsNirs(StreamDescriptor s) =>
        s.Type.Equals("NIRS", StringComparison.OrdinalIgnoreCase) || s.Type.Equals("fNIRS", StringComparison.OrdinalIgnoreCase);

    private sealed class NirsStream(StreamDescriptor stream, HaemoglobinConverter? converter, HaemodynamicAverager averager, NirsMontage? montage, List<IHaemoglobinSink> sinks)
    {
        private double[] _haemoglobin = [];
        private double[] _times = [];

        public int Accepted;

        public StreamDescriptor Stream { get; } = stream;

        /// <summary>The intensity → ΔHbO/ΔHbR conversion; null when the device streams ΔHbO/ΔHbR itself.</summary>
        public HaemoglobinConverter? Converter { get; } = converter;

        /// <summary>Without a converter: stream channel of each output (HbO, HbR per pair) and its factor to µM.</summary>
        public int[] Passthrough { get; init; } = [];

        public double[] PassthroughScale { get; init; } = [];

        public IReadOnlyList<string> Labels { get; init; } = [];

        private int OutputChannels => Converter?.OutputChannels ?? Passthrough.Length;

        public HaemodynamicAverager Averager { get; } = averager;

        public NirsMontage? Montage { get; } = montage;

        public void Append(SampleChunk chunk, double clockOffset)
        {
            int outputs = OutputChannels;
            int needed = chunk.Count * outputs;
            if (_haemoglobin.Length < needed)
            {
                _haemoglobin = new double[chunk.Capacity * outputs];
            }
            int frames;
            if (Converter is not null)
            {
                frames = Converter.Process(chunk.Values, _haemoglobin.AsSpan(0, needed));
                Averager.Append(_haemoglobin.AsSpan(0, frames * outputs), Converter.ArtifactFrames);
            }
            else
            {
                frames = chunk.Count;
                ReadOnlySpan<double> values = chunk.Values;
                int channels = Stream.ChannelCount;
                for (int f = 0; f < frames; f++)
                {
                    for (int o = 0; o < outputs; o++)
                    {
                        _haemoglobin[(f * outputs) + o] = values[(f * channels) + Passthrough[o]] * PassthroughScale[o];
                    }
                }
                Averager.Append(_haemoglobin.AsSpan(0, frames * outputs));
            }
            if (sinks.Count > 0)
            {
                if (_times.Length < chunk.Capacity)
                {
                    _times = new double[chunk.Capacity];
                }
                // Frames on the local clock (raw + the stream's clock offset), as the aligner places markers.
                ReadOnlySpan<double> raw = chunk.Times;
                for (int i = 0; i < frames; i++)
                {
                    _times[i] = raw[i] + clockOffset;
                }
                foreach (IHaemoglobinSink sink in sinks)
                {
                    sink.Write(Stream.Key, _haemoglobin.AsSpan(0, frames * outputs), _times.AsSpan(0, frames));
                }
            }
            Volatile.Write(ref Accepted, Averager.Accepted);
        }
    }
}

/// <summary>Epoch window and baseline of the needle-locked haemodynamic averages (section <c>Haemodynamic</c>).</summary>
public sealed class HaemodynamicWindow
{
    /// <summary>Epoch start relative to the needle event, seconds.</summary>
    public double TminSeconds { get; set; } = -5;

    /// <summary>Epoch end, seconds.</summary>
    public double TmaxSeconds { get; set; } = 20;

    /// <summary>Baseline start, seconds.</summary>
    public double BaselineStartSeconds { get; set; } = -5;

    /// <summary>Baseline end (inclusive), seconds.</summary>
    public double BaselineEndSeconds { get; set; }

    /// <summary>Reject an epoch when the motion-artefact detector (<c>Haemoglobin:DetectArtifacts</c>) flagged a frame inside it.</summary>
    public bool RejectMotionArtifacts { get; set; } = true;

    /// <summary>
    /// Reject an epoch when a channel's baseline-corrected peak-to-peak ΔHbO/ΔHbR exceeds this (µM, or M when
    /// <c>Haemoglobin:Micromolar</c> is false); null = off. Needle responses are around 1 µM; 20 µM only catches
    /// artefacts (a shifted optode, a saturated detector).
    /// </summary>
    public double? RejectPeakToPeak { get; set; } = 20;

    /// <summary>Pre window of the pre/post summary: start (s relative to the event; clipped to the epoch).</summary>
    public double PreStartSeconds { get; set; } = -5;

    /// <summary>Pre window end (s, inclusive).</summary>
    public double PreEndSeconds { get; set; }

    /// <summary>Post window start (s; the haemodynamic response peaks about 5–8 s after a stimulus).</summary>
    public double PostStartSeconds { get; set; } = 5;

    /// <summary>Post window end (s, inclusive).</summary>
    public double PostEndSeconds { get; set; } = 15;
}

/// <summary>A consumer of the live ΔHbO/ΔHbR frames of <see cref="NirsAnalyzer"/> (e.g. an LSL outlet).</summary>
public interface IHaemoglobinSink
{
    /// <summary>
    /// One converted chunk: <paramref name="haemoglobin"/> is frames × channels interleaved in
    /// <see cref="NirsAnalyzer.OutputLabels"/> order (µM unless <c>Haemoglobin:Micromolar</c> is false),
    /// <paramref name="times"/> the frames' local-clock times. The spans are reused after the call returns.
    /// </summary>
    void Write(string streamKey, ReadOnlySpan<double> haemoglobin, ReadOnlySpan<double> times);
}
