using AcqService.Core.Analysis;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;

namespace AcqService.Core.Tests;

/// <summary>Builds registries, chunks and item sequences for the pipeline tests.</summary>
internal static class TestStreams
{
    public static StreamDescriptor Signal(string key, double rate, params string[] labels) =>
        new(key, StreamKind.Signal, key, "EEG", [.. (labels.Length == 0 ? ["Cz"] : labels).Select(l => new ChannelDescriptor(l, "uV", "EEG"))], rate, ChannelFormat.Float32);

    public static StreamDescriptor Markers(string key = "markers") =>
        new(key, StreamKind.Markers, key, "Markers", [new ChannelDescriptor("marker", "", "Marker")], 0, ChannelFormat.String);

    public static StreamRegistry Registry(params StreamDescriptor[] streams)
    {
        var registry = new StreamRegistry();
        foreach (StreamDescriptor s in streams)
        {
            registry.Add(s);
        }
        return registry;
    }

    /// <summary>An unpooled chunk holding frames [from, from + count) of <paramref name="times"/> and of <paramref name="values"/> (frame-major).</summary>
    public static SampleChunk Chunk(int stream, int channels, double[] times, double[]? values, int from, int count)
    {
        var chunk = new SampleChunk(stream, channels, Math.Max(1, count));
        times.AsSpan(from, count).CopyTo(chunk.Timestamps);
        if (values is not null)
        {
            values.AsSpan(from * channels, count * channels).CopyTo(chunk.Data);
        }
        chunk.Count = count;
        return chunk;
    }

    /// <summary>Regular timestamps t0 + i / rate.</summary>
    public static double[] Times(int count, double rate, double t0 = 10.0) =>
        [.. Enumerable.Range(0, count).Select(i => t0 + (i / rate))];

    /// <summary>Items for one signal stream cut into chunks of <paramref name="chunkFrames"/>.</summary>
    public static IEnumerable<SourceItem> Chunked(int stream, int channels, double[] times, double[]? values, int chunkFrames, int from = 0, int? to = null)
    {
        int end = to ?? times.Length;
        for (int i = from; i < end; i += chunkFrames)
        {
            yield return SourceItem.ForSamples(Chunk(stream, channels, times, values, i, Math.Min(chunkFrames, end - i)));
        }
    }

    public static SourceItem Mark(int stream, double time, string label = "stim") => SourceItem.ForMarker(new Marker(stream, time, label));

    public static Aligner Aligner(StreamRegistry registry, AlignerOptions? options = null, params ConditionRule[] rules) =>
        new(registry, options ?? new AlignerOptions(), new EventClassifier(rules.Length == 0 ? [new ConditionRule("stim", "^stim")] : rules));

    /// <summary>Runs items through an aligner and returns everything it produced (chunks released).</summary>
    public static List<AlignedItem> Align(Aligner aligner, IEnumerable<SourceItem> items, bool endAll = true)
    {
        var all = new List<AlignedItem>();
        var buffer = new List<AlignedItem>();
        foreach (SourceItem item in items)
        {
            buffer.Clear();
            aligner.Process(item, buffer);
            all.AddRange(buffer);
        }
        if (endAll)
        {
            buffer.Clear();
            aligner.EndAll(buffer);
            all.AddRange(buffer);
        }
        foreach (AlignedItem a in all)
        {
            a.Chunk?.Release();
        }
        return all;
    }

    public static List<AlignedEvent> Events(IEnumerable<AlignedItem> items) =>
        [.. items.Where(i => i.Kind == AlignedItemKind.Event).Select(i => i.Event)];

    /// <summary>
    /// Aligner + ERP analyzer driven synchronously, the way the session's stages are (aligned items in order).
    /// </summary>
    public sealed class ErpHarness
    {
        private readonly List<AlignedItem> _aligned = [];

        public ErpHarness(StreamRegistry registry, EpochOptions epochs, AlignerOptions? aligner = null, params ConditionRule[] rules)
        {
            Aligner = TestStreams.Aligner(registry, aligner, rules);
            Erp = new ErpAnalyzer(registry, epochs);
        }

        public Aligner Aligner { get; }

        public ErpAnalyzer Erp { get; }

        public List<EpochOutcome> Outcomes { get; } = [];

        public void Feed(SourceItem item)
        {
            _aligned.Clear();
            Aligner.Process(item, _aligned);
            Forward();
        }

        public void Feed(IEnumerable<SourceItem> items)
        {
            foreach (SourceItem item in items)
            {
                Feed(item);
            }
        }

        public void End()
        {
            _aligned.Clear();
            Aligner.EndAll(_aligned);
            Forward();
        }

        private void Forward()
        {
            foreach (AlignedItem a in _aligned)
            {
                Erp.Process(a, Outcomes);
            }
        }
    }
}
