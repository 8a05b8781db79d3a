using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sinks;
using AcqService.Sources.Simulation;
using AcqService.Sources.Xdf;
using AcqService.Xdf;
using AcqService.Sessions;
using AcqService.Sinks.Xdf;

namespace AcqService.Benchmarks;

/// <summary>
/// XDF benchmark (console entry, not a timed test): streaming read speed and peak memory of <see cref="XdfReader"/>
/// on a large and a small file, write speed of <see cref="XdfWriter"/> and <see cref="XdfRecorderSink"/> for a
/// 256-channel 2 kHz amplifier, and <c>analyze</c> end to end (replay + session + session folder) of one hour of
/// simulated 64-channel EEG. Files are generated untimed in a temporary folder and deleted at the end.
/// </summary>
/// <remarks>
/// Peak memory is measured in a child process (<c>xdf-read FILE</c>) because <see cref="Process.PeakWorkingSet64"/>
/// covers the whole process lifetime: in this process it would include the generators' buffers.
/// </remarks>
internal static partial class XdfBench
{
    private const string Usage =
        "usage: bench xdf [--parts reader,writer,analyze] [--gigabytes 1] [--small-megabytes 100] [--writer-seconds 120] [--writer-channels 256] [--writer-rate 2000] [--writer-chunk 20] [--analyze-seconds 3600] [--dir PATH] [--keep]";

    /// <summary>Below this much free space the benchmark refuses to start (the largest files are about 1 GB each).</summary>
    private const long MinimumFreeBytes = 3L * 1024 * 1024 * 1024;

    private const uint EegId = 1;
    private const uint MarkerId = 2;

    private static readonly IFormatProvider s_ci = CultureInfo.InvariantCulture;

    private static readonly string[] s_labels64 =
    [
        "Fp1", "AF7", "AF3", "F1", "F3", "F5", "F7", "FT7", "FC5", "FC3", "FC1", "C1", "C3", "C5", "T7", "TP7",
        "CP5", "CP3", "CP1", "P1", "P3", "P5", "P7", "P9", "PO7", "PO3", "O1", "Iz", "Oz", "POz", "Pz", "CPz",
        "Fpz", "Fp2", "AF8", "AF4", "AFz", "Fz", "F2", "F4", "F6", "F8", "FT8", "FC6", "FC4", "FC2", "FCz", "Cz",
        "C2", "C4", "C6", "T8", "TP8", "CP6", "CP4", "CP2", "P2", "P4", "P6", "P8", "P10", "PO8", "PO4", "O2",
    ];

    private sealed class Settings
    {
        public HashSet<string> Parts { get; set; } = ["reader", "writer", "analyze"];
        public double Gigabytes { get; set; } = 1;
        public double SmallMegabytes { get; set; } = 100;
        public double WriterSeconds { get; set; } = 120;
        public int WriterChannels { get; set; } = 256;
        public double WriterRate { get; set; } = 2000;
        public int WriterChunk { get; set; } = 20;
        public double AnalyzeSeconds { get; set; } = 3600;
        public string? Directory { get; set; }
        public bool Keep { get; set; }

        public static Settings Parse(string[] args)
        {
            var s = new Settings();
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
                double Number() => double.Parse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture);
                switch (args[i])
                {
                    case "--parts":
                        s.Parts = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                        if (s.Parts.Except(["reader", "writer", "analyze"]).FirstOrDefault() is string bad)
                        {
                            throw new FormatException($"unknown part '{bad}'");
                        }
                        break;
                    case "--gigabytes":
                        s.Gigabytes = Number();
                        break;
                    case "--small-megabytes":
                        s.SmallMegabytes = Number();
                        break;
                    case "--writer-seconds":
                        s.WriterSeconds = Number();
                        break;
                    case "--writer-channels":
                        s.WriterChannels = (int)Number();
                        break;
                    case "--writer-rate":
                        s.WriterRate = Number();
                        break;
                    case "--writer-chunk":
                        s.WriterChunk = (int)Number();
                        break;
                    case "--analyze-seconds":
                        s.AnalyzeSeconds = Number();
                        break;
                    case "--dir":
                        s.Directory = Value();
                        break;
                    case "--keep":
                        s.Keep = true;
                        break;
                    default:
                        throw new FormatException($"unknown option '{args[i]}'");
                }
            }
            if (s.Gigabytes <= 0 || s.SmallMegabytes <= 0 || s.WriterSeconds <= 0 || s.WriterChannels < 1 || s.WriterRate <= 0 || s.WriterChunk < 1 || s.AnalyzeSeconds < 30)
            {
                throw new FormatException("sizes, durations and counts must be positive (analyze ≥ 30 s)");
            }
            return s;
        }
    }

    /// <summary>Runs the selected parts and prints their tables; returns the process exit code (0 ok, 1 failure or refused, 2 bad arguments).</summary>
    /// <param name="args">Arguments after the <c>xdf</c> verb.</param>
    public static async Task<int> RunAsync(string[] args)
    {
        Settings settings;
        try
        {
            settings = Settings.Parse(args);
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine($"xdf bench: {ex.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }

        string root = Path.Combine(settings.Directory ?? Path.GetTempPath(), "acq-xbench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        // Every part deletes its file before the next starts, so the peak is the largest single file (plus a session folder).
        long free = new DriveInfo(root).AvailableFreeSpace;
        if (free < MinimumFreeBytes)
        {
            Directory.Delete(root, recursive: true);
            Console.Error.WriteLine(string.Create(s_ci, $"xdf bench: only {free / 1e9:F1} GB free under {root}; refusing to start (needs ≥ {MinimumFreeBytes / 1e9:F1} GB for the generated files)"));
            return 1;
        }

        Console.WriteLine(string.Create(s_ci, $"AcqService XDF benchmark, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC"));
        Console.WriteLine(string.Create(s_ci, $"machine: {BenchMachine.Description}"));
        Console.WriteLine(string.Create(s_ci, $"load:    {BenchMachine.LoadAverage()} (load average before the run)"));
        Console.WriteLine(string.Create(s_ci, $"files:   {root} ({free / 1e9:F1} GB free; {(settings.Keep ? "kept (--keep)" : "each deleted after its part")})"));
#if DEBUG
        Console.WriteLine("warning: Debug build; run with -c Release for meaningful figures");
#endif
        try
        {
            bool met = true;
            if (settings.Parts.Contains("reader"))
            {
                met &= await RunReaderAsync(settings, root).ConfigureAwait(false);
            }
            if (settings.Parts.Contains("writer"))
            {
                met &= await RunWriterAsync(settings, root).ConfigureAwait(false);
            }
            if (settings.Parts.Contains("analyze"))
            {
                met &= await RunAnalyzeAsync(settings, root).ConfigureAwait(false);
            }
            Console.WriteLine();
            Console.WriteLine(met ? "all targets met" : "some targets MISSED (see above)");
            return 0;
        }
        finally
        {
            if (!settings.Keep && Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    // ---------------------------------------------------------------- reader

    private static async Task<bool> RunReaderAsync(Settings settings, string root)
    {
        Console.WriteLine();
        Console.WriteLine("reader: XdfReader.TryReadChunk over the whole file, in a child process (peak working set of its own)");
        Console.WriteLine("        file: 64 ch float32 at 1 kHz (jittered timestamps) in chunks of 500 samples + a string marker stream every 7 s, clock offsets every 5 s, boundaries every 10 s");
        var rows = new List<(string Name, ReadResult Result)>();
        foreach ((string name, long bytes) in new[] { ("small", (long)(settings.SmallMegabytes * 1e6)), ("large", (long)(settings.Gigabytes * 1e9)) })
        {
            string path = Path.Combine(root, $"reader-{name}.xdf");
            var generation = Stopwatch.StartNew();
            (long size, double seconds) = GenerateReaderFile(path, bytes);
            Console.WriteLine(string.Create(s_ci, $"        {name}: {size / 1e6:F0} MB = {seconds / 3600:F2} h of data (generated in {generation.Elapsed.TotalSeconds:F1} s, not timed)"));
            // Cold first (page cache dropped for this file), then warm (file now cached): the two ends of what a user sees.
            rows.Add(($"{name} cold", await ReadInChildAsync(path, cold: true).ConfigureAwait(false)));
            rows.Add(($"{name} warm", await ReadInChildAsync(path, cold: false).ConfigureAwait(false)));
            Discard(path, settings);
        }

        Console.WriteLine();
        Console.WriteLine("  | file | size MB | read s | MB/s | M samples/s | M ch-samples/s | peak WS MB | WS before read MB | gen0/1/2 GCs | allocated MB |");
        Console.WriteLine("  |---|---:|---:|---:|---:|---:|---:|---:|---|---:|");
        foreach ((string name, ReadResult r) in rows)
        {
            Console.WriteLine(string.Create(s_ci,
                $"  | {name}{(r.CacheDropped ? "" : name.EndsWith("cold", StringComparison.Ordinal) ? " (drop failed)" : "")} | {r.Bytes / 1e6:F0} | {r.Seconds:F2} | {r.Bytes / 1e6 / r.Seconds:F0} | {r.Samples / 1e6 / r.Seconds:F2} | {r.Values / 1e6 / r.Seconds:F0} | {r.PeakWorkingSet / 1048576.0:F0} | {r.StartWorkingSet / 1048576.0:F0} | {r.Gen0}/{r.Gen1}/{r.Gen2} | {r.Allocated / 1048576.0:F0} |"));
        }
        ReadResult large = rows.First(r => r.Name == "large warm").Result;
        ReadResult small = rows.First(r => r.Name == "small warm").Result;
        double slowest = rows.Min(r => r.Result.Bytes / 1e6 / r.Result.Seconds);
        double peak = rows.Max(r => r.Result.PeakWorkingSet) / 1048576.0;
        bool met = slowest >= 200 && peak < 200;
        Console.WriteLine(string.Create(s_ci, $"  peak working set large / small file: {large.PeakWorkingSet / 1048576.0:F0} / {small.PeakWorkingSet / 1048576.0:F0} MB for a {large.Bytes / (double)small.Bytes:F0}× larger file"));
        Console.WriteLine(string.Create(s_ci, $"  target ≥ 200 MB/s and < 200 MB peak: {(met ? "met" : "MISSED")} (slowest {slowest:F0} MB/s, highest peak {peak:F0} MB)"));
        return met;
    }

    /// <summary>Writes a LabRecorder-like file of at least <paramref name="targetBytes"/>; returns its size and data seconds.</summary>
    private static (long Bytes, double Seconds) GenerateReaderFile(string path, long targetBytes)
    {
        const int channels = 64, chunk = 500;
        const double rate = 1000;
        float[] values = SimulatedFloats(channels, rate, (int)rate + chunk);
        var random = new Random(20261121);
        var stamps = new double[chunk];
        const double origin = 1000.0;
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        long produced = 0;
        using (var writer = new XdfWriter(file, leaveOpen: true))
        {
            writer.AddStream(EegId, EegInfoXml("BenchEEG", channels, rate), ChannelFormat.Float32, channels, rate);
            writer.AddStream(MarkerId, XdfWriter.CreateStreamInfoXml("BenchMarkers", "Markers", 1, 0, ChannelFormat.String, "bench-markers"), ChannelFormat.String, 1, 0);
            double nextOffset = 0, nextBoundary = 10, nextMarker = 7;
            string[] label = new string[1];
            double[] markerStamp = new double[1];
            while (file.Position < targetBytes)
            {
                double t = produced / rate;
                if (t >= nextOffset)
                {
                    writer.WriteClockOffset(EegId, origin + t, 0.0);
                    writer.WriteClockOffset(MarkerId, origin + t, 0.0);
                    nextOffset += 5;
                }
                if (t >= nextBoundary)
                {
                    writer.WriteBoundary();
                    nextBoundary += 10;
                }
                if (t >= nextMarker)
                {
                    markerStamp[0] = origin + t;
                    label[0] = "needle/insert;site=ST36;kind=real";
                    writer.WriteSamples(MarkerId, markerStamp, label);
                    nextMarker += 7;
                }
                for (int i = 0; i < chunk; i++)
                {
                    // Jittered like live LSL timestamps, so every sample carries its 8-byte stamp (the worst case for size).
                    stamps[i] = origin + ((produced + i) / rate) + (0.0001 * (random.NextDouble() - 0.5));
                }
                int first = (int)(produced % (long)rate);
                writer.WriteSamples(EegId, stamps, values.AsSpan(first * channels, chunk * channels));
                produced += chunk;
            }
            writer.Complete();
        }
        // On disk before the reader's cold run drops the file's pages (dirty pages cannot be dropped).
        file.Flush(flushToDisk: true);
        return (file.Length, produced / rate);
    }

    private readonly record struct ReadResult(long Bytes, double Seconds, long Samples, long Values, long PeakWorkingSet, long StartWorkingSet, int Gen0, int Gen1, int Gen2, long Allocated, bool CacheDropped);

    private static async Task<ReadResult> ReadInChildAsync(string path, bool cold)
    {
        string dll = typeof(XdfBench).Assembly.Location;
        string host = Environment.ProcessPath is string p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("xdf-read");
        start.ArgumentList.Add(path);
        if (cold)
        {
            start.ArgumentList.Add("--cold");
        }
        using Process child = Process.Start(start) ?? throw new InvalidOperationException("could not start the reader child process");
        string output = await child.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        await child.WaitForExitAsync().ConfigureAwait(false);
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"reader child exited with {child.ExitCode}: {output}");
        }
        Dictionary<string, string> f = output.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries)
            .Select(kv => kv.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
        long L(string key) => long.Parse(f[key], CultureInfo.InvariantCulture);
        return new ReadResult(L("bytes"), double.Parse(f["seconds"], CultureInfo.InvariantCulture), L("samples"), L("values"), L("peak_ws"), L("start_ws"),
            (int)L("gen0"), (int)L("gen1"), (int)L("gen2"), L("allocated"), f["cache_dropped"] == "1");
    }

    /// <summary>
    /// The child side (<c>bench xdf-read FILE [--cold]</c>): reads every chunk and prints key=value figures on one line.
    /// With <c>--cold</c> the file's pages are dropped from the page cache first (posix_fadvise DONTNEED).
    /// </summary>
    /// <param name="args">Arguments after the <c>xdf-read</c> verb.</param>
    public static int ReadChild(string[] args)
    {
        if (args.Length is < 1 or > 2)
        {
            Console.Error.WriteLine("usage: bench xdf-read FILE [--cold]");
            return 2;
        }
        bool dropped = args.Length == 2 && args[1] == "--cold" && DropFromPageCache(args[0]);
        using var self = Process.GetCurrentProcess();
        long startWs = self.PeakWorkingSet64;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
        long samples = 0, values = 0, bytes;
        double check = 0;
        var watch = Stopwatch.StartNew();
        using (XdfReader reader = XdfReader.Open(args[0]))
        {
            while (reader.TryReadChunk(out XdfChunk? chunk))
            {
                if (chunk is XdfSamplesChunk s)
                {
                    samples += s.SampleCount;
                    values += s.NumericValues?.Length ?? s.StringValues!.Length;
                    // Touch the decoded data so nothing can be optimised away.
                    check += s.Timestamps[^1];
                }
            }
            bytes = reader.Position;
            if (reader.Diagnostics.Count > 0)
            {
                Console.Error.WriteLine($"xdf-read: {reader.Diagnostics.Count} diagnostics, first: {reader.Diagnostics[0]}");
                return 1;
            }
        }
        watch.Stop();
        self.Refresh();
        Console.WriteLine(string.Create(s_ci,
            $"bytes={bytes} seconds={watch.Elapsed.TotalSeconds:R} samples={samples} values={values} peak_ws={self.PeakWorkingSet64} start_ws={startWs} gen0={GC.CollectionCount(0) - g0} gen1={GC.CollectionCount(1) - g1} gen2={GC.CollectionCount(2) - g2} allocated={GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore} cache_dropped={(dropped ? 1 : 0)} check={check:R}"));
        return 0;
    }

    private static bool DropFromPageCache(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        const int posixFadvDontNeed = 4;
        return PosixFadvise((int)file.SafeFileHandle.DangerousGetHandle(), 0, 0, posixFadvDontNeed) == 0;
    }

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int PosixFadvise(int fd, long offset, long length, int advice);

    // ---------------------------------------------------------------- writer

    private static async Task<bool> RunWriterAsync(Settings settings, string root)
    {
        int channels = settings.WriterChannels, chunk = settings.WriterChunk;
        double rate = settings.WriterRate, seconds = settings.WriterSeconds;
        Console.WriteLine();
        Console.WriteLine(string.Create(s_ci, $"writer: {channels} ch float32 at {rate:0} Hz, {seconds:0} s of data in chunks of {chunk} frames (jittered timestamps), clock offset every 5 s, boundary every 10 s"));
        // One second of simulated data (+ one chunk so any window fits), cycled: generation is not timed.
        float[] floats = SimulatedFloats(channels, rate, (int)rate + chunk);
        double[] doubles = [.. floats.Select(v => (double)v)];

        var rows = new List<(string Name, double Seconds, long Bytes)>();
        foreach (bool useFloats in new[] { false, true })
        {
            string path = Path.Combine(root, useFloats ? "writer-float.xdf" : "writer-double.xdf");
            (double s, long b) = WriteDirect(path, channels, rate, chunk, seconds, doubles, floats, useFloats);
            rows.Add((useFloats ? "XdfWriter.WriteSamples(float)" : "XdfWriter.WriteSamples(double)", s, b));
            Discard(path, settings);
        }
        {
            string path = Path.Combine(root, "recorder.xdf");
            (double s, long b) = await WriteThroughRecorderAsync(path, channels, rate, chunk, seconds, doubles).ConfigureAwait(false);
            rows.Add(("XdfRecorderSink via lossless Edge", s, b));
            Discard(path, settings);
        }

        Console.WriteLine();
        Console.WriteLine("  | path | write s | × real time | MB/s | M ch-samples/s | file MB |");
        Console.WriteLine("  |---|---:|---:|---:|---:|---:|");
        double channelSamples = seconds * rate * channels;
        foreach ((string name, double s, long b) in rows)
        {
            Console.WriteLine(string.Create(s_ci, $"  | {name} | {s:F2} | {seconds / s:F0}× | {b / 1e6 / s:F0} | {channelSamples / 1e6 / s:F0} | {b / 1e6:F0} |"));
        }
        double worst = rows.Min(r => seconds / r.Seconds);
        bool met = worst >= 10;
        Console.WriteLine(string.Create(s_ci, $"  target ≫ 1× real time (taken as ≥ 10×): {(met ? "met" : "MISSED")} (slowest {worst:F0}×)"));
        return met;
    }

    private static (double Seconds, long Bytes) WriteDirect(string path, int channels, double rate, int chunk, double seconds, double[] doubles, float[] floats, bool useFloats)
    {
        long total = (long)Math.Round(seconds * rate);
        var stamps = new double[chunk];
        var random = new Random(7);
        const double origin = 1000.0;
        var watch = Stopwatch.StartNew();
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
        using (var writer = new XdfWriter(file, leaveOpen: true))
        {
            writer.AddStream(EegId, EegInfoXml("BenchAmp", channels, rate), ChannelFormat.Float32, channels, rate);
            double nextOffset = 0, nextBoundary = 10;
            long lastFlush = Stopwatch.GetTimestamp();
            for (long produced = 0; produced < total;)
            {
                int frames = (int)Math.Min(chunk, total - produced);
                double t = produced / rate;
                if (t >= nextOffset)
                {
                    writer.WriteClockOffset(EegId, origin + t, 0.0);
                    nextOffset += 5;
                }
                if (t >= nextBoundary)
                {
                    writer.WriteBoundary();
                    nextBoundary += 10;
                }
                for (int i = 0; i < frames; i++)
                {
                    stamps[i] = origin + ((produced + i) / rate) + (0.0001 * (random.NextDouble() - 0.5));
                }
                int first = (int)(produced % (long)rate) * channels;
                if (useFloats)
                {
                    writer.WriteSamples(EegId, stamps.AsSpan(0, frames), floats.AsSpan(first, frames * channels));
                }
                else
                {
                    writer.WriteSamples(EegId, stamps.AsSpan(0, frames), doubles.AsSpan(first, frames * channels));
                }
                produced += frames;
                // The recorder's durability rule (flush to disk at least once a wall-clock second), so both paths pay for it.
                if (Stopwatch.GetElapsedTime(lastFlush) >= XdfRecorderSink.FlushInterval)
                {
                    writer.Flush(toDisk: true);
                    lastFlush = Stopwatch.GetTimestamp();
                }
            }
            writer.Complete();
            writer.Flush(toDisk: true);
        }
        watch.Stop();
        return (watch.Elapsed.TotalSeconds, file.Length);
    }

    private static async Task<(double Seconds, long Bytes)> WriteThroughRecorderAsync(string path, int channels, double rate, int chunk, double seconds, double[] doubles)
    {
        var registry = new StreamRegistry();
        StreamDescriptor eeg = registry.Add(new StreamDescriptor("eeg", StreamKind.Signal, "BenchAmp", "EEG",
            [.. Enumerable.Range(1, channels).Select(c => new ChannelDescriptor("E" + c.ToString(CultureInfo.InvariantCulture), "uV", "EEG"))], rate, ChannelFormat.Float32, "bench-amp"));
        StreamDescriptor needle = registry.Add(new StreamDescriptor("needle", StreamKind.Markers, "BenchNeedle", "Markers", [new ChannelDescriptor("marker", "", "Marker")], 0, ChannelFormat.String, "bench-needle"));
        // Lossless (waiting) edge: the producer is held back to the recorder's pace, so the time is the recorder's
        // sustained rate. A live session uses a fail-when-full edge, which this rate has to stay far ahead of.
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Data<SourceItem>("bench→recorder");
        var recorder = new XdfRecorderSink(path, registry.Streams, new RecordingMetadata { Protocol = "xdf-bench" });
        var pool = new ChunkPool(eeg.Index, channels, chunk);
        var random = new Random(7);
        const double origin = 1000.0;
        long total = (long)Math.Round(seconds * rate);
        var watch = Stopwatch.StartNew();
        Task recording = recorder.RunAsync(edge, CancellationToken.None);
        double nextOffset = 0, nextMarker = 7;
        for (long produced = 0; produced < total;)
        {
            int frames = (int)Math.Min(chunk, total - produced);
            double t = produced / rate;
            if (t >= nextOffset)
            {
                await edge.WriteAsync(SourceItem.ForOffset(new ClockOffset(eeg.Index, origin + t, 0)), CancellationToken.None).ConfigureAwait(false);
                nextOffset += 5;
            }
            if (t >= nextMarker)
            {
                await edge.WriteAsync(SourceItem.ForMarker(new Marker(needle.Index, origin + t, "needle/insert;site=ST36;kind=real", 1)), CancellationToken.None).ConfigureAwait(false);
                nextMarker += 7;
            }
            SampleChunk c = pool.Rent();
            doubles.AsSpan((int)(produced % (long)rate) * channels, frames * channels).CopyTo(c.Data);
            for (int i = 0; i < frames; i++)
            {
                c.Timestamps[i] = origin + ((produced + i) / rate) + (0.0001 * (random.NextDouble() - 0.5));
            }
            c.Count = frames;
            produced += frames;
            await edge.WriteAsync(SourceItem.ForSamples(c), CancellationToken.None).ConfigureAwait(false);
        }
        edge.Complete();
        await recording.ConfigureAwait(false);
        watch.Stop();
        return (watch.Elapsed.TotalSeconds, new FileInfo(path).Length);
    }

    // ---------------------------------------------------------------- analyze

    private static async Task<bool> RunAnalyzeAsync(Settings settings, string root)
    {
        double seconds = settings.AnalyzeSeconds;
        string path = Path.Combine(root, "analyze.xdf");
        Console.WriteLine();
        Console.WriteLine(string.Create(s_ci, $"analyze: {seconds:0} s of simulated 64 ch float32 EEG at 1 kHz + needle markers, recorded by XdfRecorderSink from a fast SimulationRig"));
        var generation = Stopwatch.StartNew();
        int markers = await RecordSimulationAsync(path, seconds).ConfigureAwait(false);
        long size = new FileInfo(path).Length;
        Console.WriteLine(string.Create(s_ci, $"         file: {size / 1e6:F0} MB, {markers} needle markers (generated in {generation.Elapsed.TotalSeconds:F1} s, not timed)"));

        // Replay alone (reader + XdfReplaySource into an edge that only releases the chunks): the I/O share of analyze.
        var replayWatch = Stopwatch.StartNew();
        long replayItems = await ReplayOnlyAsync(path).ConfigureAwait(false);
        replayWatch.Stop();

        var results = new List<AnalyzeResult>();
        for (int r = 0; r < 2; r++)
        {
            results.Add(await AnalyzeOnceAsync(path, Path.Combine(root, "session-" + r.ToString(CultureInfo.InvariantCulture))).ConfigureAwait(false));
        }
        Discard(path, settings);

        Console.WriteLine();
        Console.WriteLine("  | run | total s | open s | session s | × real time | file MB/s | epochs accepted / dropped | alpha updates | session folder MB |");
        Console.WriteLine("  |---|---:|---:|---:|---:|---:|---|---:|---:|");
        for (int r = 0; r < results.Count; r++)
        {
            AnalyzeResult a = results[r];
            Console.WriteLine(string.Create(s_ci,
                $"  | {r + 1} | {a.Total:F2} | {a.Open:F3} | {a.Session:F2} | {seconds / a.Total:F0}× | {size / 1e6 / a.Total:F0} | {a.Accepted} / {a.Dropped} | {a.AlphaUpdates} | {a.FolderBytes / 1e6:F1} |"));
        }
        Console.WriteLine(string.Create(s_ci, $"  replay only (XdfReplaySource → edge, chunks released, no analysis): {replayWatch.Elapsed.TotalSeconds:F2} s for {replayItems:N0} items ({size / 1e6 / replayWatch.Elapsed.TotalSeconds:F0} MB/s)"));
        double best = results.Min(a => a.Total);
        bool met = results.Max(a => a.Total) < 30;
        Console.WriteLine(string.Create(s_ci, $"  target < 30 s end to end: {(met ? "met" : "MISSED")} (best {best:F2} s, worst {results.Max(a => a.Total):F2} s)"));
        return met;
    }

    /// <summary>Records a fast simulated session (EEG + needle markers, their clock offsets) straight into the recorder; returns the marker count.</summary>
    internal static async Task<int> RecordSimulationAsync(string path, double seconds)
    {
        const double clock = 1000.0;
        var registry = new StreamRegistry();
        StreamDescriptor eeg = registry.Add(new StreamDescriptor("eeg", StreamKind.Signal, "AcqSim EEG", "EEG", [.. s_labels64.Select(l => new ChannelDescriptor(l, "uV", "EEG"))], 1000, ChannelFormat.Float32, "sim-eeg"));
        StreamDescriptor needle = registry.Add(new StreamDescriptor("needle", StreamKind.Markers, "AcqSim Needle", "Markers", [new ChannelDescriptor("marker", "", "Marker")], 0, ChannelFormat.String, "sim-needle"));
        var rig = new SimulationRig(new SimulationSettings(), eeg, needle, SimulationPace.Fast, seconds, () => clock);
        var metadata = new RecordingMetadata { Protocol = "xdf-bench", ConditionRules = DefaultConditions(), ClockAtStart = clock };
        var recorder = new XdfRecorderSink(path, registry.Streams, metadata);
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Data<SourceItem>("simulation→recorder", singleWriter: false);
        Task recording = recorder.RunAsync(edge, CancellationToken.None);
        await Task.WhenAll(rig.Sources.Select(s => s.RunAsync(edge, CancellationToken.None))).ConfigureAwait(false);
        edge.Complete();
        await recording.ConfigureAwait(false);
        return rig.Markers.Emitted;
    }

    internal static async Task<long> ReplayOnlyAsync(string path)
    {
        // As `acq analyze` replays: fast, adjacent file chunks merged.
        XdfReplaySource source = XdfReplayFactory.Open(path, new XdfReplayOptions { Pace = ReplayPace.Fast, MergeAdjacentChunks = true });
        var registry = new StreamRegistry();
        foreach (StreamDescriptor s in source.Streams)
        {
            registry.Add(s);
        }
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Data<SourceItem>("replay→sink");
        long items = 0;
        Task drain = Task.Run(async () =>
        {
            while (await edge.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (edge.Reader.TryRead(out SourceItem item))
                {
                    item.Chunk?.Release();
                    items++;
                }
            }
        });
        await source.RunAsync(edge, CancellationToken.None).ConfigureAwait(false);
        edge.Complete();
        await drain.ConfigureAwait(false);
        return items;
    }

    private readonly record struct AnalyzeResult(double Total, double Open, double Session, int Accepted, int Dropped, long AlphaUpdates, long FolderBytes);

    /// <summary>What <c>acq analyze FILE --out DIR</c> does for one of our recordings, minus console output and settings binding.</summary>
    private static async Task<AnalyzeResult> AnalyzeOnceAsync(string path, string folder)
    {
        var watch = Stopwatch.StartNew();
        // As `acq analyze` replays: fast, adjacent file chunks merged.
        XdfReplaySource source = XdfReplayFactory.Open(path, new XdfReplayOptions { Pace = ReplayPace.Fast, MergeAdjacentChunks = true });
        double open = watch.Elapsed.TotalSeconds;
        // Stored rules (our recordings) and the default profile's regions restricted to the channels present, as AnalyzeCommand does.
        List<ConditionRule> rules = source.Metadata?.ConditionRules ?? [];
        var labels = new HashSet<string>(source.Streams.SelectMany(s => s.Channels.Select(c => c.Label)), StringComparer.OrdinalIgnoreCase);
        var regions = new Dictionary<string, List<string>>();
        foreach ((string name, List<string> members) in DefaultRegions())
        {
            List<string> present = [.. members.Where(labels.Contains)];
            if (present.Count > 0)
            {
                regions[name] = present;
            }
        }
        var plan = new SessionPlan { Conditions = rules, LabelsAsConditions = rules.Count == 0, Regions = regions };
        var metadata = new SessionMetadata { Mode = "analyze", ProfileName = "(from recording)", ProfileSource = path, ClockAtStart = source.Metadata?.ClockAtStart ?? 0 };
        var session = new AcquisitionSession([source], plan, folder, metadata, LocalClock.Now);
        SessionSummary summary = await session.RunAsync(CancellationToken.None).ConfigureAwait(false);
        watch.Stop();
        if (summary.Errors.Count > 0 || source.Diagnostics.Count > 0)
        {
            throw new InvalidOperationException("analyze failed: " + string.Join("; ", summary.Errors.Concat(source.Diagnostics.Select(d => d.ToString()))));
        }
        long folderBytes = new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        var result = new AnalyzeResult(watch.Elapsed.TotalSeconds, open, watch.Elapsed.TotalSeconds - open, session.Erp.Accepted, session.Erp.Dropped, session.Alpha.UpdateCount, folderBytes);
        Directory.Delete(folder, recursive: true);
        return result;
    }

    private static List<ConditionRule> DefaultConditions() => NeedlingDefaults.Conditions();

    private static Dictionary<string, List<string>> DefaultRegions() => NeedlingDefaults.Regions();

    // ---------------------------------------------------------------- helpers

    /// <summary>Deletes a generated file as soon as its part is done (they are large), unless --keep asks to look at them.</summary>
    private static void Discard(string path, Settings settings)
    {
        if (!settings.Keep)
        {
            File.Delete(path);
        }
    }

    /// <summary>Simulated EEG (no needle events) as float32, frame-major, <paramref name="frames"/> long.</summary>
    private static float[] SimulatedFloats(int channels, double rate, int frames)
    {
        string[] labels = [.. Enumerable.Range(0, channels).Select(c => c < s_labels64.Length ? s_labels64[c] : "E" + (c + 1).ToString(CultureInfo.InvariantCulture))];
        var settings = new SimulationSettings();
        var simulator = new EegSimulator(settings, NeedleSchedule.Create(settings, 1), [.. labels.Select(l => new ChannelDescriptor(l, "uV", "EEG"))], rate);
        var data = new double[frames * channels];
        simulator.Generate(data, frames);
        return [.. data.Select(v => (float)v)];
    }

    private static string EegInfoXml(string name, int channels, double rate)
    {
        var desc = new System.Xml.Linq.XElement("desc", new System.Xml.Linq.XElement("channels",
            Enumerable.Range(0, channels).Select(c => new System.Xml.Linq.XElement("channel",
                new System.Xml.Linq.XElement("label", c < s_labels64.Length ? s_labels64[c] : "E" + (c + 1).ToString(CultureInfo.InvariantCulture)),
                new System.Xml.Linq.XElement("unit", "microvolts"),
                new System.Xml.Linq.XElement("type", "EEG")))));
        return XdfWriter.CreateStreamInfoXml(name, "EEG", channels, rate, ChannelFormat.Float32, "bench-" + name.ToLowerInvariant(), desc);
    }
}
