using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using AcqService.Core.Analysis;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sinks;
using AcqService.Sources.Simulation;
using AcqService.Sessions;

namespace AcqService.Benchmarks;

/// <summary>
/// Times the analysis pipeline on pre-generated simulated EEG with needle markers: first the offline path
/// (aligner + ERP + alpha called synchronously on one thread, what <c>analyze</c> and every stage's inner loop
/// do), then the same recording end to end through <see cref="AcquisitionSession"/> with its channels and
/// result writers. Data is generated before timing so the simulator's cost is not counted.
/// </summary>
internal static class PipelineBenchmark
{
    /// <summary>Seconds at the start of a recording excluded from the steady-state allocation figure (buffers fill, window fills).</summary>
    private const double SteadyStateAfterSeconds = 10;

    private static readonly string[] Labels64 =
    [
        "Fp1", "AF7", "AF3", "F1", "F3", "F5", "F7", "FT7", "FC5", "FC3", "FC1", "C1", "C3", "C5", "T7", "TP7",
        "CP5", "CP3", "CP1", "P1", "P3", "P5", "P7", "P9", "PO7", "PO3", "O1", "Iz", "Oz", "POz", "Pz", "CPz",
        "Fpz", "Fp2", "AF8", "AF4", "AFz", "Fz", "F2", "F4", "F6", "F8", "FT8", "FC6", "FC4", "FC2", "FCz", "Cz",
        "C2", "C4", "C6", "T8", "TP8", "CP6", "CP4", "CP2", "P2", "P4", "P6", "P8", "P10", "PO8", "PO4", "O2",
    ];

    internal sealed class Settings
    {
        public int Channels { get; set; } = 64;
        public double Rate { get; set; } = 1000;
        public double Seconds { get; set; } = 600;
        public int ChunkFrames { get; set; } = 10;
        public int Repetitions { get; set; } = 5;
        public bool Session { get; set; } = true;
    }

    /// <summary>A pre-generated recording: items in arrival order; chunks are unpooled and keep one reference of their own.</summary>
    private sealed record Recording(Settings Settings, string[] Labels, SourceItem[] Items, int Chunks, long Frames, int Markers)
    {
        public long ChannelSamples => Frames * Settings.Channels;

        public StreamDescriptor[] Descriptors() =>
        [
            new("eeg", StreamKind.Signal, "BenchEEG", "EEG", [.. Labels.Select(l => new ChannelDescriptor(l, "uV", "EEG"))], Settings.Rate, ChannelFormat.Float32, "bench-eeg"),
            new("needle", StreamKind.Markers, "BenchNeedle", "Markers", [new ChannelDescriptor("marker", "", "Marker")], 0, ChannelFormat.String, "bench-needle"),
        ];

        public StreamRegistry Registry()
        {
            var registry = new StreamRegistry();
            foreach (StreamDescriptor d in Descriptors())
            {
                registry.Add(d);
            }
            return registry;
        }
    }

    private readonly record struct OfflineResult(double Seconds, double CpuSeconds, int Accepted, int Dropped, long Updates);

    public static async Task<int> RunAsync(Settings settings, TextWriter output)
    {
        IFormatProvider ci = CultureInfo.InvariantCulture;
        var generation = Stopwatch.StartNew();
        Recording recording = Generate(settings);
        generation.Stop();

        output.WriteLine(string.Create(ci, $"AcqService pipeline benchmark, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC"));
        output.WriteLine(string.Create(ci, $"machine: {BenchMachine.Description}"));
        output.WriteLine(string.Create(ci, $"data:    {settings.Channels} ch × {settings.Rate:0} Hz × {settings.Seconds:0} s = {recording.ChannelSamples:N0} channel-samples in {recording.Chunks:N0} chunks of {settings.ChunkFrames} frames, {recording.Markers} needle markers (generated in {generation.Elapsed.TotalSeconds:F1} s, not timed)"));
        output.WriteLine(string.Create(ci, $"load:    {BenchMachine.LoadAverage()} (load average before the run; other processes share the cores)"));
        output.WriteLine("filter:  band-pass 0.1–30 Hz order 2 + 50 Hz notch; epochs −0.2..0.8 s; alpha: 2 s window, 1 s Hann segments, 50 % overlap, update 0.5 s");
        output.WriteLine();

        // Offline path: one warm-up run (JIT tiering, caches), then timed repetitions; the median is reported.
        OfflineResult warm = RunOffline(recording);
        var offline = new List<OfflineResult>();
        for (int r = 0; r < settings.Repetitions; r++)
        {
            offline.Add(RunOffline(recording));
        }
        double offlineMedian = Median(offline.Select(o => o.Seconds));
        (double steadyBytesPerChunk, int steadyChunks, long steadyBytes, double allBytesPerChunk) = MeasureAllocations(recording);
        output.WriteLine(string.Create(ci, $"offline path (Aligner.Process + ErpAnalyzer.Process + AlphaAnalyzer.Process, synchronous, one thread), median of {settings.Repetitions} after 1 warm-up:"));
        Report(output, recording, offlineMedian, offline.Select(o => o.Seconds));
        double cpuMedian = Median(offline.Select(o => o.CpuSeconds));
        output.WriteLine(string.Create(ci, $"  CPU time:    {cpuMedian:F3} s (median; process CPU time, which the load does not inflate as it does wall time) = {recording.ChannelSamples / cpuMedian / 1e6:F1} M channel-samples per CPU-second"));
        output.WriteLine(string.Create(ci, $"  outcome:     {warm.Accepted} epochs accepted, {warm.Dropped} markers dropped, {warm.Updates} alpha updates"));
        output.WriteLine(string.Create(ci, $"  allocation:  {steadyBytesPerChunk:F1} B/chunk in steady state ({steadyBytes} B over {steadyChunks:N0} chunks after the first {SteadyStateAfterSeconds:0} s without markers or epochs, alpha updates included)"));
        output.WriteLine(string.Create(ci, $"               {allBytesPerChunk:F1} B/chunk over every item of the run (epochs, drop reasons and condition counts included)"));
        (double alignerSeconds, double erpSeconds, double alphaSeconds) = MeasureStages(recording);
        double stages = alignerSeconds + erpSeconds + alphaSeconds;
        output.WriteLine(string.Create(ci, $"  by stage:    aligner {alignerSeconds:F3} s ({alignerSeconds / stages:P0}), ERP {erpSeconds:F3} s ({erpSeconds / stages:P0}), alpha {alphaSeconds:F3} s ({alphaSeconds / stages:P0}) (one more run, each call timed)"));

        if (settings.Session)
        {
            int repetitions = Math.Max(1, Math.Min(3, settings.Repetitions));
            var session = new List<SessionResult>();
            for (int r = 0; r < repetitions; r++)
            {
                session.Add(await RunSessionAsync(recording).ConfigureAwait(false));
            }
            SessionResult typical = session.OrderBy(s => s.StreamingSeconds).ElementAt(session.Count / 2);
            double steadyChannelSamples = (double)typical.StreamingChunks * settings.ChunkFrames * settings.Channels;
            output.WriteLine();
            output.WriteLine(string.Create(ci, $"end to end (AcquisitionSession: replay source → edges → aligner → erp / alpha stages → drop log, alpha CSV), median of {repetitions}:"));
            output.WriteLine(string.Create(ci, $"  streaming:   {steadyChannelSamples / typical.StreamingSeconds / 1e6:F1} M channel-samples/s = {typical.StreamingChunks * settings.ChunkFrames / settings.Rate / typical.StreamingSeconds:F0}× real time (last 90 % of the chunks, measured at the source)"));
            output.WriteLine(string.Create(ci, $"  allocation:  {(double)typical.StreamingBytes / typical.StreamingChunks:F1} B/chunk while streaming, all threads (edges, stage loops, drop log and alpha CSV writers)"));
            output.WriteLine(string.Create(ci, $"  whole run:   {Median(session.Select(s => s.TotalSeconds)):F3} s = {settings.Seconds / Median(session.Select(s => s.TotalSeconds)):F0}× real time, including session start-up and the end-of-session files (erp_averages.csv/json, summary)"));
        }

        double rate = recording.ChannelSamples / offlineMedian;
        bool met = rate >= 5e6 && steadyBytesPerChunk == 0;
        output.WriteLine();
        output.WriteLine(string.Create(ci, $"target ≥ 5 M channel-samples/s and 0 B/chunk on the offline path: {(met ? "met" : "MISSED")} ({rate / 1e6:F1} M/s, {steadyBytesPerChunk:F1} B/chunk)"));
        return 0;
    }

    private static void Report(TextWriter output, Recording recording, double median, IEnumerable<double> all)
    {
        double[] times = [.. all];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  time:        {median:F3} s (min {times.Min():F3}, max {times.Max():F3})"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  throughput:  {recording.ChannelSamples / median / 1e6:F1} M channel-samples/s = {recording.Settings.Seconds / median:F0}× real time ({recording.Chunks / median / 1e3:F0} k chunks/s)"));
    }

    private static Recording Generate(Settings settings)
    {
        var simulation = new SimulationSettings { ChunkSamples = settings.ChunkFrames };
        string[] labels = [.. Enumerable.Range(0, settings.Channels).Select(c => c < Labels64.Length ? Labels64[c] : $"E{c + 1}")];
        NeedleSchedule schedule = NeedleSchedule.Create(simulation, settings.Seconds);
        var simulator = new EegSimulator(simulation, schedule, [.. labels.Select(l => new ChannelDescriptor(l, "uV", "EEG"))], settings.Rate);
        NeedleEvent[] events = [.. schedule.Events.OrderBy(e => e.Time)];
        var jitter = new Random(20261121);
        const double origin = 1000.0;
        long total = (long)Math.Round(settings.Seconds * settings.Rate);
        var items = new List<SourceItem>((int)(total / settings.ChunkFrames) + events.Length + 1);
        int cursor = 0, chunks = 0;
        for (long produced = 0; produced < total;)
        {
            int frames = (int)Math.Min(settings.ChunkFrames, total - produced);
            var chunk = new SampleChunk(0, settings.Channels, settings.ChunkFrames);
            simulator.Generate(chunk.Data, frames);
            for (int i = 0; i < frames; i++)
            {
                // 0.1 ms Gaussian stamping jitter, as the simulator's default.
                double gaussian = Math.Sqrt(-2 * Math.Log(1 - jitter.NextDouble())) * Math.Cos(2 * Math.PI * jitter.NextDouble());
                chunk.Timestamps[i] = origin + ((produced + i) / settings.Rate) + (simulation.TimestampJitterSeconds * gaussian);
            }
            chunk.Count = frames;
            produced += frames;
            // Markers due by the end of the chunk arrive before it, as at the simulator's fast pace.
            while (cursor < events.Length && events[cursor].Time <= produced / settings.Rate)
            {
                NeedleEvent e = events[cursor++];
                items.Add(SourceItem.ForMarker(new Marker(1, origin + e.Time, e.Label, e.Code)));
            }
            items.Add(SourceItem.ForSamples(chunk));
            chunks++;
        }
        return new Recording(settings, labels, [.. items], chunks, total, cursor);
    }

    private static SessionPlan Plan() => new() { Conditions = NeedlingDefaults.Conditions(), Regions = NeedlingDefaults.Regions() };

    /// <summary>The synchronous per-item path shared by the timed runs and the allocation measurement.</summary>
    private sealed class OfflinePipeline
    {
        private readonly Aligner _aligner;
        private readonly ErpAnalyzer _erp;
        private readonly AlphaAnalyzer _alpha;
        private readonly List<AlignedItem> _aligned = new(64);
        private readonly List<EpochOutcome> _outcomes = new(64);
        private readonly List<AlphaUpdate> _updates = new(64);

        public OfflinePipeline(Recording recording)
        {
            StreamRegistry registry = recording.Registry();
            SessionPlan plan = Plan();
            _aligner = new Aligner(registry, plan.Aligner, new EventClassifier(plan.Conditions));
            _erp = new ErpAnalyzer(registry, plan.Epochs);
            _alpha = new AlphaAnalyzer(registry, plan.Alpha, plan.Regions);
        }

        public long Updates { get; private set; }

        /// <summary>When true, the Stopwatch ticks spent in each stage are summed into the three fields below.</summary>
        public bool TimeStages;

        public long AlignerTicks;

        public long ErpTicks;

        public long AlphaTicks;

        public int Accepted => _erp.Accepted;

        public int Dropped => _erp.Dropped;

        /// <summary>Processes one item; returns true when it placed a marker or produced an epoch outcome.</summary>
        public bool Process(in SourceItem item)
        {
            // The pipeline consumes one reference; the recording keeps its own for the next repetition.
            item.Chunk?.Retain();
            _aligned.Clear();
            long t0 = TimeStages ? Stopwatch.GetTimestamp() : 0;
            _aligner.Process(item, _aligned);
            if (TimeStages)
            {
                AlignerTicks += Stopwatch.GetTimestamp() - t0;
            }
            return Dispatch();
        }

        public void End()
        {
            _aligned.Clear();
            _aligner.EndAll(_aligned);
            Dispatch();
        }

        private bool Dispatch()
        {
            bool events = false;
            for (int n = 0; n < _aligned.Count; n++)
            {
                AlignedItem item = _aligned[n];
                // Two consumers, as the aligner stage fans out: one reference each.
                item.Chunk?.Retain();
                _outcomes.Clear();
                long t0 = TimeStages ? Stopwatch.GetTimestamp() : 0;
                _erp.Process(item, _outcomes);
                long t1 = TimeStages ? Stopwatch.GetTimestamp() : 0;
                _updates.Clear();
                _alpha.Process(item, _updates);
                if (TimeStages)
                {
                    long t2 = Stopwatch.GetTimestamp();
                    ErpTicks += t1 - t0;
                    AlphaTicks += t2 - t1;
                }
                Updates += _updates.Count;
                events |= item.Kind == AlignedItemKind.Event || _outcomes.Count > 0;
            }
            return events;
        }
    }

    private static OfflineResult RunOffline(Recording recording)
    {
        var pipeline = new OfflinePipeline(recording);
        SourceItem[] items = recording.Items;
        using var process = Process.GetCurrentProcess();
        TimeSpan cpuBefore = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < items.Length; i++)
        {
            pipeline.Process(items[i]);
        }
        pipeline.End();
        watch.Stop();
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        return new OfflineResult(watch.Elapsed.TotalSeconds, cpu, pipeline.Accepted, pipeline.Dropped, pipeline.Updates);
    }

    /// <summary>Seconds spent in the aligner, the ERP analyzer and the alpha analyzer over one run (timestamps around each call).</summary>
    private static (double Aligner, double Erp, double Alpha) MeasureStages(Recording recording)
    {
        var pipeline = new OfflinePipeline(recording) { TimeStages = true };
        foreach (SourceItem item in recording.Items)
        {
            pipeline.Process(item);
        }
        pipeline.End();
        double f = Stopwatch.Frequency;
        return (pipeline.AlignerTicks / f, pipeline.ErpTicks / f, pipeline.AlphaTicks / f);
    }

    /// <summary>Bytes allocated by this thread for each item, summed over steady-state chunks and over everything.</summary>
    private static (double SteadyBytesPerChunk, int SteadyChunks, long SteadyBytes, double AllBytesPerChunk) MeasureAllocations(Recording recording)
    {
        var pipeline = new OfflinePipeline(recording);
        long steadyBytes = 0, allBytes = 0;
        int steadyChunks = 0, allocating = 0;
        long largest = 0;
        double steadyFrom = recording.Items.First(i => i.Kind == SourceItemKind.Samples).Chunk!.FirstTimestamp + SteadyStateAfterSeconds;
        foreach (SourceItem item in recording.Items)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            bool events = pipeline.Process(item);
            long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            allBytes += bytes;
            if (item.Kind == SourceItemKind.Samples && !events && item.Chunk!.FirstTimestamp >= steadyFrom)
            {
                steadyBytes += bytes;
                steadyChunks++;
                if (bytes > 0)
                {
                    if (Environment.GetEnvironmentVariable("BENCH_TRACE_ALLOC") is not null)
                    {
                        Console.Error.WriteLine($"  allocating chunk at {item.Chunk.FirstTimestamp - steadyFrom + SteadyStateAfterSeconds:F3} s: {bytes} B");
                    }
                    allocating++;
                    largest = Math.Max(largest, bytes);
                }
            }
        }
        pipeline.End();
        if (allocating > 0)
        {
            Console.Error.WriteLine($"note: {allocating} steady-state chunks allocated (largest {largest} B)");
        }
        return (steadyChunks > 0 ? (double)steadyBytes / steadyChunks : double.NaN, steadyChunks, steadyBytes, (double)allBytes / recording.Chunks);
    }

    private readonly record struct SessionResult(double TotalSeconds, double StreamingSeconds, long StreamingBytes, int StreamingChunks);

    private static async Task<SessionResult> RunSessionAsync(Recording recording)
    {
        string folder = Path.Combine(Path.GetTempPath(), "acq-bench", Guid.NewGuid().ToString("N"));
        try
        {
            var source = new ReplaySource(recording.Descriptors(), recording.Items);
            var session = new AcquisitionSession([source], Plan(), folder, new SessionMetadata(), () => 1000.0);
            var watch = Stopwatch.StartNew();
            SessionSummary summary = await session.RunAsync(CancellationToken.None).ConfigureAwait(false);
            watch.Stop();
            if (summary.Errors.Count > 0)
            {
                throw new InvalidOperationException("benchmark session failed: " + string.Join("; ", summary.Errors));
            }
            return new SessionResult(watch.Elapsed.TotalSeconds, source.SteadySeconds, source.SteadyBytes, source.SteadyChunks);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>
    /// Writes the pre-generated items as fast as the pipeline accepts them, and samples clock and allocated bytes
    /// (all threads) once the first 10 % of the chunks are in and again after the last write: that span is the
    /// steady streaming phase, without session start-up (buffers, files) and end-of-session output.
    /// </summary>
    private sealed class ReplaySource(StreamDescriptor[] streams, SourceItem[] items) : ISource
    {
        public string Name => "replay";

        public IReadOnlyList<StreamDescriptor> Streams => streams;

        public double SteadySeconds { get; private set; }

        public long SteadyBytes { get; private set; }

        public int SteadyChunks { get; private set; }

        public async Task RunAsync(Edge<SourceItem> output, CancellationToken cancellationToken)
        {
            int chunks = items.Count(i => i.Kind == SourceItemKind.Samples);
            int mark = chunks / 10, written = 0;
            long startTicks = 0, startBytes = 0;
            foreach (SourceItem item in items)
            {
                if (item.Kind == SourceItemKind.Samples && written++ == mark)
                {
                    startTicks = Stopwatch.GetTimestamp();
                    startBytes = GC.GetTotalAllocatedBytes(precise: false);
                }
                item.Chunk?.Retain();
                await output.WriteAsync(item, cancellationToken).ConfigureAwait(false);
            }
            SteadySeconds = Stopwatch.GetElapsedTime(startTicks).TotalSeconds;
            SteadyBytes = GC.GetTotalAllocatedBytes(precise: false) - startBytes;
            SteadyChunks = chunks - mark;
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }


}
