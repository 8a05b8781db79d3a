using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AcqService.Core.Analysis;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Host.Service;
using AcqService.Lsl;
using AcqService.Sessions;
using AcqService.Sinks;
using AcqService.Sinks.Lsl;
using AcqService.Sources.Profiles;
using AcqService.Sources.Simulation;

namespace AcqService.Benchmarks;

/// <summary>
/// <c>bench latency</c>: how long after the last sample an ERP result or an alpha update needs reaches the session's
/// sinks, in a real live session over loopback LSL (issue 13, part 3).
/// <para>
/// Each configuration runs one session as <c>acq serve</c> builds it: the simulated amplifier and needle markers are
/// published as LSL outlets in this process (managed backend, <c>LslConfig.Loopback()</c>) and received through
/// LSL inlets; the session records XDF, writes the drop log and alpha CSV, publishes its results over LSL, and feeds a
/// <see cref="LiveResults"/> sink into a <see cref="LiveFeed"/> (the API's event feed) with the dashboard's trace tap
/// attached. Nothing in the session is changed for the measurement: t0 comes from
/// <see cref="SampleChunk.ReceivedAt"/> (stamped by the LSL source when it takes the samples from the inlet) read by
/// one more display tap, and t1 from the sinks' observation hooks (<see cref="AcquisitionSession.OutcomeWritten"/>,
/// <see cref="AcquisitionSession.AlphaWritten"/>, <see cref="LslResultPublisher.EpochPublished"/>,
/// <see cref="LslResultPublisher.AlphaPublished"/>), an LSL inlet on each result outlet and a feed subscriber.
/// </para>
/// </summary>
internal static class LatencyBench
{
    private static readonly CultureInfo s_ci = CultureInfo.InvariantCulture;
    private static readonly TimeSpan s_connectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>One configuration: channels, rate and the simulated amplifier's chunk (ms of data per LSL push).</summary>
    internal sealed record Config(int Channels, double Rate, double ChunkMs)
    {
        public int ChunkFrames => Math.Max(1, (int)Math.Round(ChunkMs * Rate / 1000));

        public string Label => string.Create(s_ci, $"{Channels} ch {Rate / 1000:0.#} kHz, chunk {ChunkMs:0.#} ms ({ChunkFrames} frames)");

        /// <summary>Parses <c>CHANNELSxRATE@CHUNK_MS</c>, e.g. <c>64x1000@10</c>.</summary>
        public static Config Parse(string text)
        {
            string[] parts = text.Split('x', '@');
            if (parts.Length != 3)
            {
                throw new ArgumentException($"configuration '{text}' is not CHANNELSxRATE@CHUNK_MS (e.g. 64x1000@10)");
            }
            var config = new Config(int.Parse(parts[0], s_ci), double.Parse(parts[1], s_ci), double.Parse(parts[2], s_ci));
            if (config.Channels < 32 || config.Rate < 100 || config.ChunkMs <= 0)
            {
                throw new ArgumentException($"configuration '{text}': at least 32 channels (the profile's regions use the first 32), 100 Hz and a positive chunk");
            }
            return config;
        }
    }

    internal sealed class Settings
    {
        public double Seconds { get; set; } = 40;
        public List<Config> Configs { get; set; } = [new(64, 1000, 1), new(64, 1000, 10), new(256, 2000, 1), new(256, 2000, 10)];
        public double MarkerInterval { get; set; } = 0.55;
        public double WarmupSeconds { get; set; } = 5;
        public bool Record { get; set; } = true;
        public string? Dir { get; set; }
        public bool Keep { get; set; }
        public bool PublishAverages { get; set; } = true;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var settings = new Settings();
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--seconds":
                        settings.Seconds = double.Parse(Value(), s_ci);
                        break;
                    case "--configs":
                        settings.Configs = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Config.Parse)];
                        break;
                    case "--marker-interval":
                        settings.MarkerInterval = double.Parse(Value(), s_ci);
                        break;
                    case "--warmup":
                        settings.WarmupSeconds = double.Parse(Value(), s_ci);
                        break;
                    case "--no-record":
                        settings.Record = false;
                        break;
                    case "--dir":
                        settings.Dir = Value();
                        break;
                    case "--no-published-averages":
                        settings.PublishAverages = false;
                        break;
                    case "--keep":
                        settings.Keep = true;
                        break;
                    default:
                        throw new ArgumentException($"unknown option '{args[i]}'");
                }
            }
            if (!(settings.Seconds >= settings.WarmupSeconds + 10) || !(settings.MarkerInterval >= 0.2))
            {
                throw new ArgumentException("--seconds must be at least --warmup + 10 and --marker-interval at least 0.2");
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }
#if DEBUG
        Console.Error.WriteLine("warning: Debug build; run with -c Release for meaningful figures");
#endif
        string root = settings.Dir ?? Directory.CreateTempSubdirectory("acq-latency-").FullName;
        Directory.CreateDirectory(root);
        Console.WriteLine(string.Create(s_ci, $"AcqService live-latency benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC"));
        Console.WriteLine($"machine: {BenchMachine.Description}");
        Console.WriteLine(string.Create(s_ci,
            $"session: simulated amplifier + needle markers published as LSL outlets and received through LSL inlets (managed backend, loopback), live pace, {settings.Seconds:0} s per configuration, XDF recording {(settings.Record ? "on" : "off")}, results over LSL on, live feed + dashboard traces attached"));
        Console.WriteLine(string.Create(s_ci,
            $"markers: one needle event every {settings.MarkerInterval * 0.8:0.##}–{settings.MarkerInterval * 1.2:0.##} s; epochs −0.2..0.8 s; alpha update every 0.5 s (2 s window); the first {settings.WarmupSeconds:0} s of each session are left out"));
        Console.WriteLine("t0: the LSL source took the chunk holding the last sample needed from the inlet (SampleChunk.ReceivedAt); t1: the result is visible at the sink");
        Console.WriteLine();
        var results = new List<ConfigResult>();
        try
        {
            foreach (Config config in settings.Configs)
            {
                results.Add(await RunConfigAsync(config, settings, root).ConfigureAwait(false));
            }
        }
        finally
        {
            if (!settings.Keep && settings.Dir is null)
            {
                try
                {
                    Directory.Delete(root, recursive: true);
                }
                catch (IOException)
                {
                    // Left for the system's temp cleanup.
                }
            }
        }
        Console.WriteLine();
        Console.WriteLine("## Live latency (ready to paste)");
        Console.WriteLine();
        Console.WriteLine("| configuration | sink | ERP n | ERP p50 / p90 / p99 / max (ms) | alpha n | alpha p50 / p90 / p99 / max (ms) |");
        Console.WriteLine("|---|---|---:|---|---:|---|");
        foreach (ConfigResult r in results)
        {
            // Rows come as four ERP sinks then the same four alpha sinks.
            int sinks = r.Rows.Count / 2;
            for (int i = 0; i < sinks; i++)
            {
                (string what, Stats erp) = r.Rows[i];
                Stats alpha = r.Rows[i + sinks].Stats;
                string sink = what[(what.IndexOf('→') + 2)..];
                sink = sink[..sink.IndexOf(" (", StringComparison.Ordinal)];
                Console.WriteLine(string.Create(s_ci, $"| {r.Config.Label} | {sink} | {erp.Count} | {erp.P50:F2} / {erp.P90:F2} / **{erp.P99:F2}** / {erp.Max:F1} | {alpha.Count} | {alpha.P50:F2} / {alpha.P90:F2} / **{alpha.P99:F2}** / {alpha.Max:F1} |"));
            }
        }
        Console.WriteLine();
        bool p50Met = true, p99Met = true;
        foreach (ConfigResult r in results)
        {
            foreach ((string what, Stats s) in r.Rows.Where(x => x.What.Contains("→ file", StringComparison.Ordinal) || x.What.Contains("→ LSL push", StringComparison.Ordinal) || x.What.Contains("→ API feed", StringComparison.Ordinal)))
            {
                p50Met &= s.Count > 0 && s.P50 <= 2;
                p99Met &= s.Count > 0 && s.P99 <= 2;
            }
        }
        Console.WriteLine($"target ERP result and alpha update ≤ 2 ms after the last needed sample arrives (file, LSL push, API feed): p50 {(p50Met ? "met" : "NOT met")}, p99 {(p99Met ? "met" : "NOT met")}");
        return 0;
    }

    /// <summary>Figures of one configuration.</summary>
    private sealed record ConfigResult(Config Config, List<(string What, Stats Stats)> Rows);

    private static async Task<ConfigResult> RunConfigAsync(Config config, Settings settings, string root)
    {
        string loadBefore = BenchMachine.LoadAverage();
        (DeviceProfile profile, string json) = Profile(config);
        var app = new AppSettings();
        app.Session.Record = settings.Record;
        app.Session.PublishResultsOverLsl = true;
        app.Simulation.ChunkSamples = config.ChunkFrames;
        // Jitter-free stamps make a sample's index its (timestamp − first) × rate, which is how t0 is looked up.
        app.Simulation.TimestampJitterSeconds = 0;
        app.Simulation.FirstInsertionSeconds = 2.5;
        double[] interval = [settings.MarkerInterval * 0.8, settings.MarkerInterval * 1.2];
        app.Simulation.ManipulationDelaySeconds = interval;
        app.Simulation.ManipulationIntervalSeconds = interval;
        app.Simulation.RemovalDelaySeconds = interval;
        app.Simulation.RestSeconds = interval;
        app.Simulation.ManipulationsPerNeedle = 3;
        var factory = new SessionFactory(null, () => LslBackends.Create(new LslOptions { Backend = LslBackendKind.Managed, Loopback = true }, null, out _), softwareVersion: "bench");
        string folder = Path.Combine(root, string.Create(s_ci, $"{config.Channels}ch-{config.Rate:0}Hz-{config.ChunkMs:0.#}ms"));
        Session session = await factory.CreateAsync(new SessionRequest
        {
            Input = new SessionInput.Devices(profile, "bench latency", json),
            Settings = app,
            OutputFolder = folder,
            DurationSeconds = settings.Seconds,
            Pace = SimulationPace.Live,
            Transport = SimulatedTransport.Lsl,
        }).ConfigureAwait(false);
        await using (session.ConfigureAwait(false))
        {
            AcquisitionSession pipeline = session.Pipeline;
            LslResultPublisher publisher = session.ResultPublisher ?? throw new InvalidOperationException("the session publishes no results over LSL");
            StreamDescriptor eeg = pipeline.Streams.Find("eeg") ?? throw new InvalidOperationException("no 'eeg' stream");
            long endOffset = (long)Math.Round(app.Epochs.TmaxSeconds * config.Rate);
            int markerCapacity = (int)(settings.Seconds / (settings.MarkerInterval * 0.8)) + 64;
            int alphaCapacity = (int)(settings.Seconds * 2) + 64;
            var erpFile = new Stamps(markerCapacity);
            var erpPush = new Stamps(markerCapacity);
            var erpInlet = new Stamps(markerCapacity);
            var alphaFile = new Stamps(alphaCapacity);
            var alphaPush = new Stamps(alphaCapacity);
            var alphaInlet = new Stamps(alphaCapacity);
            // Epochs whose outcome is decided by their last sample: accepted, or rejected on their data. Placement
            // drops and rule misses are decided when the marker arrives, so they say nothing about this latency.
            static bool DecidedAtEnd(in EpochOutcome o) => o.Accepted || o.Reason is { Kind: DropKind.PeakToPeak or DropKind.Flat };
            pipeline.OutcomeWritten = o =>
            {
                double now = LocalClock.Now();
                if (DecidedAtEnd(o))
                {
                    erpFile.Add(o.MarkerTime, o.SampleIndex + endOffset, now);
                }
            };
            pipeline.AlphaWritten = u => alphaFile.Add(u.Time, u.SampleIndex, LocalClock.Now());
            publisher.EpochPublished = o =>
            {
                double now = LocalClock.Now();
                if (DecidedAtEnd(o))
                {
                    erpPush.Add(o.MarkerTime, o.SampleIndex + endOffset, now);
                }
            };
            publisher.AlphaPublished = u => alphaPush.Add(u.Time, u.SampleIndex, LocalClock.Now());

            // As StationService wires a session: published ERP averages, the live feed, the dashboard's traces.
            pipeline.Erp.PublishAverages = settings.PublishAverages;
            var feed = new LiveFeed();
            double sessionStart = session.Metadata.ClockAtStart;
            pipeline.AddResultSink(new LiveResults(feed, Path.GetFileName(folder), pipeline.Alpha.RegionNames, sessionStart));
            pipeline.AddDisplayTap(new TraceBuffer(pipeline.Streams, sessionStart));
            var arrivals = new ArrivalTap(eeg.Index, (int)(settings.Seconds * config.Rate) + 1024);
            pipeline.AddDisplayTap(arrivals);

            using LiveFeed.Subscriber subscriber = feed.Subscribe();
            var feedItems = new List<(double Time, string Type, string Json)>(markerCapacity + alphaCapacity + 256);
            Task feedReader = Task.Run(async () =>
            {
                // Read as the API's /api/events handler does: wait, then take everything queued.
                while (await subscriber.Reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    while (subscriber.Reader.TryRead(out LiveFeed.FeedItem item))
                    {
                        feedItems.Add((LocalClock.Now(), item.Type, item.Json));
                    }
                }
            });

            // A consumer of the result outlets, as a neurofeedback display would be (its own backend, loopback).
            using ILslBackend probe = LslBackends.Create(new LslOptions { Backend = LslBackendKind.Managed, Loopback = true }, null, out _);
            using ILslInlet erpIn = OpenInlet(probe, publisher.EpochStream);
            using ILslInlet alphaIn = OpenInlet(probe, publisher.AlphaStreams[eeg.Key]);
            using var stopPulling = new CancellationTokenSource();
            Thread erpPuller = StartPuller("latency erp inlet", () =>
            {
                var labels = new string[32];
                var times = new double[32];
                while (!stopPulling.IsCancellationRequested)
                {
                    int n = erpIn.PullChunk(labels, times, TimeSpan.FromMilliseconds(100));
                    double now = LocalClock.Now();
                    for (int i = 0; i < n; i++)
                    {
                        erpInlet.Add(times[i], -1, now);
                    }
                }
            });
            int alphaChannels = publisher.AlphaStreams[eeg.Key].ChannelCount;
            Thread alphaPuller = StartPuller("latency alpha inlet", () =>
            {
                var values = new double[alphaChannels * 16];
                var times = new double[16];
                while (!stopPulling.IsCancellationRequested)
                {
                    int n = alphaIn.PullChunk(values, times, TimeSpan.FromMilliseconds(100));
                    double now = LocalClock.Now();
                    for (int i = 0; i < n; i++)
                    {
                        alphaInlet.Add(times[i], -1, now);
                    }
                }
            });

            Console.WriteLine($"{config.Label}: running {settings.Seconds:0} s ...");
            var cpu = Process.GetCurrentProcess();
            TimeSpan cpuBefore = cpu.TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            SessionSummary summary = await session.RunAsync(CancellationToken.None).ConfigureAwait(false);
            wall.Stop();
            cpu.Refresh();
            double cpuCores = (cpu.TotalProcessorTime - cpuBefore).TotalSeconds / wall.Elapsed.TotalSeconds;
            await stopPulling.CancelAsync().ConfigureAwait(false);
            erpPuller.Join(TimeSpan.FromSeconds(2));
            alphaPuller.Join(TimeSpan.FromSeconds(2));
            feed.Close();
            await feedReader.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            string loadAfter = BenchMachine.LoadAverage();

            // t0 per sample index: the chunk holding it (indices from jitter-free timestamps and the first sample's).
            double firstRaw = pipeline.Aligner.Statistics(eeg.Index).FirstRawTime;
            long[] chunkFirst = new long[arrivals.Count];
            long[] chunkLast = new long[arrivals.Count];
            for (int i = 0; i < arrivals.Count; i++)
            {
                chunkFirst[i] = (long)Math.Round((arrivals.FirstRaw[i] - firstRaw) * config.Rate);
                chunkLast[i] = (long)Math.Round((arrivals.LastRaw[i] - firstRaw) * config.Rate);
            }
            long warmupIndex = (long)(settings.WarmupSeconds * config.Rate);
            (double Received, double SampleTime)? T0(long index)
            {
                if (index < warmupIndex)
                {
                    return null;
                }
                int k = Array.BinarySearch(chunkLast, index);
                if (k < 0)
                {
                    k = ~k;
                }
                // The tap's edge may have dropped the chunk that held it (display edge): then there is no t0.
                if (k >= chunkLast.Length || chunkFirst[k] > index || double.IsNaN(arrivals.Received[k]))
                {
                    return null;
                }
                return (arrivals.Received[k], firstRaw + (index / config.Rate));
            }

            // Index of each result by its key (marker time for ERP, window end time for alpha), from the file hooks.
            Dictionary<double, long> erpIndex = erpFile.Keys();
            Dictionary<double, long> alphaIndex = alphaFile.Keys();
            var feedErp = new List<(double Key, double Time)>();
            var feedAlpha = new List<(double Key, double Time)>();
            foreach ((double time, string type, string text) in feedItems)
            {
                if (type is "epoch" or "alpha")
                {
                    using JsonDocument doc = JsonDocument.Parse(text);
                    double sessionTime = doc.RootElement.GetProperty("sessionTime").GetDouble();
                    (type == "epoch" ? feedErp : feedAlpha).Add((sessionTime, time));
                }
            }
            // The feed carries session time (result time − session start), computed from the same doubles.
            Dictionary<double, long> erpBySessionTime = erpIndex.ToDictionary(p => p.Key - sessionStart, p => p.Value);
            Dictionary<double, long> alphaBySessionTime = alphaIndex.ToDictionary(p => p.Key - sessionStart, p => p.Value);

            var rows = new List<(string, Stats)>();
            var transport = new List<double>();
            List<double> Latencies(IEnumerable<(double Key, double Time, long Index)> events, Dictionary<double, long>? index, bool collectTransport = false)
            {
                var ms = new List<double>();
                foreach ((double key, double time, long known) in events)
                {
                    long i = known;
                    if (i < 0 && (index is null || !index.TryGetValue(key, out i)))
                    {
                        continue;
                    }
                    if (T0(i) is { } t0)
                    {
                        ms.Add((time - t0.Received) * 1000);
                        if (collectTransport)
                        {
                            transport.Add((t0.Received - t0.SampleTime) * 1000);
                        }
                    }
                }
                return ms;
            }
            rows.Add(("ERP → file (drop_log.csv, flushed)", Stats.Of(Latencies(erpFile.Events(), null, collectTransport: true))));
            rows.Add(("ERP → LSL push (outcome outlet)", Stats.Of(Latencies(erpPush.Events(), null))));
            rows.Add(("ERP → LSL inlet (received on the outcome stream)", Stats.Of(Latencies(erpInlet.Events(), erpIndex))));
            rows.Add(("ERP → API feed (epoch event dequeued)", Stats.Of(Latencies(feedErp.Select(f => (f.Key, f.Time, -1L)), erpBySessionTime))));
            rows.Add(("alpha → file (alpha CSV row, flushed)", Stats.Of(Latencies(alphaFile.Events(), null))));
            rows.Add(("alpha → LSL push (alpha outlet)", Stats.Of(Latencies(alphaPush.Events(), null))));
            rows.Add(("alpha → LSL inlet (received on the alpha stream)", Stats.Of(Latencies(alphaInlet.Events(), alphaIndex))));
            rows.Add(("alpha → API feed (alpha event dequeued)", Stats.Of(Latencies(feedAlpha.Select(f => (f.Key, f.Time, -1L)), alphaBySessionTime))));
            Stats transportStats = Stats.Of(transport);

            IEdgeStatus[] drops = [.. pipeline.Edges.Edges.Where(e => e.Dropped > 0)];
            Console.WriteLine(string.Create(s_ci,
                $"  ended: {summary.Ended?.Reason}; {summary.Streams.FirstOrDefault()?.Samples ?? 0:N0} samples, {pipeline.Erp.Accepted} epochs accepted, {pipeline.Erp.Dropped} dropped, {alphaFile.Count} alpha updates; {arrivals.Count:N0} chunks pulled from the inlet ({(double)(summary.Streams.FirstOrDefault()?.Samples ?? 0) / Math.Max(1, arrivals.Count):F1} frames each)"));
            Console.WriteLine(string.Create(s_ci,
                $"  load average before / after: {loadBefore} / {loadAfter}; this process used {cpuCores:F2} cores on average"));
            Console.WriteLine(string.Create(s_ci,
                $"  sample timestamp → arrival (outlet pacing + LSL transport + inlet hand-off), ERP last samples: p50 {transportStats.P50:F3} ms, p99 {transportStats.P99:F3} ms, max {transportStats.Max:F3} ms"));
            Console.WriteLine(drops.Length == 0 ? "  display edges: nothing dropped" : "  dropped on display edges: " + string.Join(", ", drops.Select(e => $"{e.Name} {e.Dropped}")));
            if (summary.Errors.Count > 0)
            {
                Console.WriteLine("  errors: " + string.Join("; ", summary.Errors));
            }
            foreach ((string what, Stats s) in rows)
            {
                Console.WriteLine(string.Create(s_ci, $"  {what,-52} n {s.Count,4}  p50 {s.P50,7:F3}  p90 {s.P90,7:F3}  p99 {s.P99,7:F3}  max {s.Max,8:F3} ms"));
            }
            (Stats erpStep, Stats alphaStep, Stats snapshot) = ComputeFloor(config, profile, app);
            Console.WriteLine(string.Create(s_ci,
                $"  compute alone (one thread, no pipeline, same machine): ErpAnalyzer.Process of the chunk that completes an epoch p50 {erpStep.P50:F3} / p99 {erpStep.P99:F3} ms; AlphaAnalyzer.Process of the chunk that yields an update p50 {alphaStep.P50:F3} / p99 {alphaStep.P99:F3} ms; ErpAverageSnapshot.Of (published averages, now after the outcome) p50 {snapshot.P50:F3} ms"));
            Console.WriteLine();
            return new ConfigResult(config, rows);
        }
    }

    /// <summary>
    /// The analyzers' own share of the latency: the same ERP and alpha settings driven synchronously on this thread
    /// with random data (20 s, the configuration's chunk, a marker every 0.55 s), timing the steps that produce a result.
    /// </summary>
    private static (Stats Erp, Stats Alpha, Stats Snapshot) ComputeFloor(Config config, DeviceProfile profile, AppSettings app)
    {
        var registry = new StreamRegistry();
        StreamDescriptor eeg = registry.Add(new StreamDescriptor("eeg", StreamKind.Signal, "eeg", "EEG",
            [.. profile.Streams.Single(x => x.Key == "eeg").Channels!.Select(c => new ChannelDescriptor(c.Label, "uV", "EEG"))], config.Rate, ChannelFormat.Float32, "bench-eeg"));
        registry.Add(new StreamDescriptor("needle", StreamKind.Markers, "needle", "Markers", [new ChannelDescriptor("marker", "", "Marker")], 0, ChannelFormat.String, "bench-needle"));
        var erp = new ErpAnalyzer(registry, app.Epochs);
        var alpha = new AlphaAnalyzer(registry, app.Alpha, profile.Regions, 64);
        var rng = new Random(13);
        int frames = config.ChunkFrames, channels = config.Channels;
        long total = (long)(20 * config.Rate), warmup = (long)(5 * config.Rate), markerEvery = (long)(0.55 * config.Rate), nextMarker = (long)config.Rate;
        var chunk = new SampleChunk(eeg.Index, channels, frames);
        var outcomes = new List<EpochOutcome>();
        var updates = new List<AlphaUpdate>();
        var erpMs = new List<double>();
        var alphaMs = new List<double>();
        for (long first = 0; first + frames <= total; first += frames)
        {
            for (int i = 0; i < frames * channels; i++)
            {
                chunk.Data[i] = (rng.NextDouble() - 0.5) * 20;
            }
            for (int f = 0; f < frames; f++)
            {
                chunk.Timestamps[f] = (first + f) / config.Rate;
            }
            chunk.Count = frames;
            if (first >= nextMarker)
            {
                double t = nextMarker / config.Rate;
                outcomes.Clear();
                erp.Process(AlignedItem.ForEvent(new AlignedEvent(new Marker(1, t, "needle/insert;kind=real"), eeg.Index, nextMarker, t, t, "insert/real", null)), outcomes);
                nextMarker += markerEvery;
            }
            // Both analyzers release the reference they get; this chunk is reused, so it gets one for each.
            chunk.Retain(2);
            outcomes.Clear();
            long start = Stopwatch.GetTimestamp();
            erp.Process(AlignedItem.ForSamples(chunk, first, 0), outcomes);
            double erpElapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            updates.Clear();
            start = Stopwatch.GetTimestamp();
            alpha.Process(AlignedItem.ForSamples(chunk, first, 0), updates);
            double alphaElapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (first >= warmup && outcomes.Count > 0)
            {
                erpMs.Add(erpElapsed);
            }
            if (first >= warmup && updates.Count > 0)
            {
                alphaMs.Add(alphaElapsed);
            }
        }
        var snapshotMs = new List<double>();
        for (int i = 0; i < 10 && erp.Averages.Count > 0; i++)
        {
            long start = Stopwatch.GetTimestamp();
            _ = ErpAverageSnapshot.Of(erp.Averages[0]);
            snapshotMs.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return (Stats.Of(erpMs), Stats.Of(alphaMs), Stats.Of(snapshotMs));
    }

    /// <summary>The embedded simulated profile with its EEG stream resized to the configuration.</summary>
    private static (DeviceProfile Profile, string Json) Profile(Config config)
    {
        JsonNode root = JsonNode.Parse(DefaultProfile.Json(), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!;
        JsonObject eeg = root["streams"]!.AsArray().Select(s => s!.AsObject()).Single(s => (string?)s["key"] == "eeg");
        JsonArray existing = eeg["channels"]!.AsArray();
        var channels = new JsonArray();
        for (int c = 0; c < config.Channels; c++)
        {
            string label = c < existing.Count ? (string)existing[c]!["label"]! : $"E{c + 1}";
            channels.Add(new JsonObject { ["label"] = label, ["unit"] = "uV", ["type"] = "EEG" });
        }
        eeg["channels"] = channels;
        eeg["channelCount"] = config.Channels;
        eeg["sampleRateHz"] = config.Rate;
        string json = root.ToJsonString();
        return (ProfileLoader.Parse(json, "bench latency"), json);
    }

    private static ILslInlet OpenInlet(ILslBackend backend, LslStreamInfo outlet)
    {
        IReadOnlyList<LslStreamInfo> found = backend.Resolve($"source_id='{outlet.SourceId}'", 1, s_connectTimeout);
        if (found.Count == 0)
        {
            throw new TimeoutException($"result outlet '{outlet.Name}' not found on loopback");
        }
        ILslInlet inlet = backend.CreateInlet(found[0], 10, 0, recover: false);
        inlet.Open(s_connectTimeout);
        return inlet;
    }

    private static Thread StartPuller(string name, Action loop)
    {
        var thread = new Thread(() => loop()) { IsBackground = true, Name = name };
        thread.Start();
        return thread;
    }

    /// <summary>Times of one result kind at one sink, written by one thread into preallocated arrays.</summary>
    private sealed class Stamps(int capacity)
    {
        private readonly double[] _keys = new double[capacity];
        private readonly long[] _indices = new long[capacity];
        private readonly double[] _times = new double[capacity];
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add(double key, long index, double time)
        {
            int n = _count;
            if (n < _keys.Length)
            {
                _keys[n] = key;
                _indices[n] = index;
                _times[n] = time;
                Volatile.Write(ref _count, n + 1);
            }
        }

        public IEnumerable<(double Key, double Time, long Index)> Events()
        {
            for (int i = 0; i < Count; i++)
            {
                yield return (_keys[i], _times[i], _indices[i]);
            }
        }

        public Dictionary<double, long> Keys()
        {
            var map = new Dictionary<double, long>(Count);
            for (int i = 0; i < Count; i++)
            {
                map.TryAdd(_keys[i], _indices[i]);
            }
            return map;
        }
    }

    /// <summary>
    /// A display tap that notes, per chunk of the EEG stream in arrival order, its last raw timestamp and when the LSL
    /// source received it. It does nothing else, so it keeps up; its edge's drop count is printed with the results.
    /// </summary>
    private sealed class ArrivalTap(int stream, int capacity) : IRawSink
    {
        public readonly double[] FirstRaw = new double[capacity];
        public readonly double[] LastRaw = new double[capacity];
        public readonly double[] Received = new double[capacity];
        public int Count;

        public string Name => "latency arrivals";

        public async Task RunAsync(Edge<SourceItem> input, CancellationToken cancellationToken)
        {
            while (await input.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (input.Reader.TryRead(out SourceItem item))
                {
                    if (item.Chunk is SampleChunk chunk)
                    {
                        if (chunk.Stream == stream && chunk.Count > 0 && Count < LastRaw.Length)
                        {
                            FirstRaw[Count] = chunk.FirstTimestamp;
                            LastRaw[Count] = chunk.LastTimestamp;
                            Received[Count] = chunk.ReceivedAt;
                            Count++;
                        }
                        chunk.Release();
                    }
                }
            }
        }
    }

    /// <summary>Nearest-rank percentiles in milliseconds.</summary>
    private readonly record struct Stats(int Count, double P50, double P90, double P99, double Max)
    {
        public static Stats Of(List<double> values)
        {
            if (values.Count == 0)
            {
                return new Stats(0, double.NaN, double.NaN, double.NaN, double.NaN);
            }
            values.Sort();
            double Rank(double q) => values[Math.Clamp((int)Math.Ceiling(q * values.Count) - 1, 0, values.Count - 1)];
            return new Stats(values.Count, Rank(0.50), Rank(0.90), Rank(0.99), values[^1]);
        }
    }
}
