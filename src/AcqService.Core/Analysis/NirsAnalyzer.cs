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

    /// <summary>Creates the stage for the registry's fNIRS streams (none: the stage does nothing).</summary>
    /// <param name="registry">The session's streams.</param>
    /// <param name="options">Conversion settings.</param>
    /// <param name="window">Epoch window and baseline of the averages.</param>
    /// <exception cref="ArgumentException">Invalid settings for a stream (the message names it).</exception>
    public NirsAnalyzer(StreamRegistry registry, HaemoglobinOptions options, HaemodynamicWindow window)
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
            if (!labels.All(l => NirsLayout.TryParseLabel(l, out _, out _)))
            {
                continue; // e.g. a stream that already carries HbO/HbR: nothing to convert here
            }
            string[] problems = [.. options.Validate(stream.NominalRateHz)];
            if (problems.Length > 0)
            {
                throw new ArgumentException($"stream '{stream.Key}': " + string.Join("; ", problems));
            }
            var converter = new HaemoglobinConverter(NirsLayout.FromLabels(labels), stream.NominalRateHz, options);
            var averager = new HaemodynamicAverager(stream.Key, converter.OutputLabels, stream.NominalRateHz,
                window.TminSeconds, window.TmaxSeconds, window.BaselineStartSeconds, window.BaselineEndSeconds);
            _streams[stream.Index] = new NirsStream(stream, converter, averager);
        }
    }

    /// <summary>True when the session has an fNIRS stream to analyse.</summary>
    public bool IsActive => _streams.Any(s => s is not null);

    /// <summary>Keys of the analysed streams.</summary>
    public IEnumerable<string> StreamKeys => _streams.Where(s => s is not null).Select(s => s!.Stream.Key);

    /// <summary>Haemodynamic averages per stream and condition (read after the stage has completed).</summary>
    public IReadOnlyList<ConditionAverage> Averages => [.. _streams.Where(s => s is not null).SelectMany(s => s!.Averager.Averages)];

    /// <summary>Output unit of the averages (<c>uM</c> or <c>M</c>).</summary>
    public string Unit => _streams.FirstOrDefault(s => s is not null)?.Converter.OutputUnit ?? "uM";

    /// <summary>Epochs averaged so far (any thread; approximate while running).</summary>
    public int Accepted => _streams.Sum(s => s is null ? 0 : Volatile.Read(ref s.Accepted));

    /// <summary>Motion-artefact events detected so far per stream (documented rule: <see cref="Dsp.DerivativeArtifactDetector"/>).</summary>
    public IReadOnlyDictionary<string, long> ArtifactEvents =>
        _streams.Where(s => s?.Converter.ArtifactDetector is not null).ToDictionary(s => s!.Stream.Key, s =>
        {
            Dsp.DerivativeArtifactDetector detector = s!.Converter.ArtifactDetector!;
            return Enumerable.Range(0, detector.Channels).Sum(c => detector.EventCount(c));
        });

    /// <summary>Consumes one aligned item and releases the chunk reference it receives.</summary>
    public void Process(AlignedItem item)
    {
        NirsStream? stream = (uint)item.Stream < (uint)_streams.Length ? _streams[item.Stream] : null;
        switch (item.Kind)
        {
            case AlignedItemKind.Samples:
                stream?.Append(item.Chunk!);
                item.Chunk!.Release();
                break;
            case AlignedItemKind.Event:
                if (stream is not null && item.Event.DropReason is null && item.Event.Condition is string condition)
                {
                    stream.Averager.AddEvent(condition, item.Event.SampleIndex);
                    Volatile.Write(ref stream.Accepted, stream.Averager.Accepted);
                }
                break;
        }
    }

    private static bool IsNirs(StreamDescriptor s) =>
        s.Type.Equals("NIRS", StringComparison.OrdinalIgnoreCase) || s.Type.Equals("fNIRS", StringComparison.OrdinalIgnoreCase);

    private sealed class NirsStream(StreamDescriptor stream, HaemoglobinConverter converter, HaemodynamicAverager averager)
    {
        private double[] _haemoglobin = [];

        public int Accepted;

        public StreamDescriptor Stream { get; } = stream;

        public HaemoglobinConverter Converter { get; } = converter;

        public HaemodynamicAverager Averager { get; } = averager;

        public void Append(SampleChunk chunk)
        {
            int needed = chunk.Count * Converter.OutputChannels;
            if (_haemoglobin.Length < needed)
            {
                _haemoglobin = new double[chunk.Capacity * Converter.OutputChannels];
            }
            int frames = Converter.Process(chunk.Values, _haemoglobin.AsSpan(0, needed));
            Averager.Append(_haemoglobin.AsSpan(0, frames * Converter.OutputChannels));
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
}
