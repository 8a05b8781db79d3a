using AcqService.Core.Model;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using AcqService.Lsl;

namespace AcqService.Benchmarks;

/// <summary>
/// LSL transport benchmark (console entry, not a timed test): float32 streams pushed at fixed rates on loopback, with
/// loss, delivered rate and latency percentiles for managed → managed and, when liblsl loads, liblsl → liblsl,
/// liblsl → managed and managed → liblsl, alternated round by round in one run so load drifts hit every pair alike.
/// Every backend is created with <see cref="LslOptions.Loopback"/>, so no traffic leaves 127.0.0.1.
/// </summary>
/// <remarks>
/// <para>The pusher runs on an absolute schedule (monotonic clock, nanosleep then yield), pushing one chunk every
/// <c>--chunk-ms</c> (default 1 ms worth of samples) with pushthrough on. Every sample of a chunk is stamped with the
/// outlet backend's <c>LocalClock()</c> read just before the push call, so latency = receiving <c>LocalClock()</c> right
/// after the pull returned − that stamp: the transport alone, not the age of a sample inside its chunk.
/// Channel 0 carries a running counter (exact in float32 up to 2^24), so a lost, duplicated or reordered sample is
/// counted exactly. Buffers on both ends hold 10 s, so nothing is dropped unless the transport falls behind.</para>
/// <para>Arguments: <c>--configs 64x1000,64x5000,64x20000,256x2000</c> (channels×Hz), <c>--rounds 3</c>,
/// <c>--round-seconds 2.5</c>, <c>--warmup-seconds 0.5</c> (per round, excluded from latency, included in loss),
/// <c>--chunk-ms 1</c> or <c>--chunk N</c> samples per push, <c>--pairs mm,nn,nm,mn</c>, <c>--managed-only</c>,
/// <c>--liblsl PATH</c> (else <c>ACQ_LIBLSL_PATH</c> / standard locations).</para>
/// </remarks>
public static class LslBench
{
    private const string Usage =
        "usage: lsl [--configs 64x1000,64x5000,64x20000,256x2000] [--rounds 3] [--round-seconds 2.5] [--warmup-seconds 0.5] "
        + "[--chunk-ms 1 | --chunk N] [--pairs mm,nn,nm,mn] [--managed-only] [--liblsl PATH]";

    private static readonly TimeSpan s_connectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs the benchmark and prints markdown tables; returns the process exit code (0 ok, 2 bad arguments, 1 failure, 3 samples lost).</summary>
    /// <param name="args">Arguments after the <c>lsl</c> verb.</param>
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        Settings settings;
        try
        {
            settings = Settings.Parse(args);
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine($"lsl bench: {ex.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }
        // Dedicated threads: the measurement loops block and must not sit on (or starve) the thread pool.
        return await Task.Factory.StartNew(() => Run(settings), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
    }

    private sealed record Pair(string Code, string Name, ILslBackend OutletSide, ILslBackend InletSide);

    private static int Run(Settings settings)
    {
        using ILslBackend managed = LslBackends.Create(new LslOptions { Backend = LslBackendKind.Managed, Loopback = true }, null, out string managedDescription);
        ILslBackend? native = null;
        string nativeDescription = "not requested (--managed-only)";
        if (!settings.ManagedOnly)
        {
            try
            {
                native = LslBackends.Create(new LslOptions { Backend = LslBackendKind.Native, NativeLibraryPath = settings.LibraryPath, Loopback = true }, null, out nativeDescription);
            }
            catch (InvalidOperationException ex)
            {
                nativeDescription = "unavailable: " + ex.Message;
            }
        }
        try
        {
            var pairs = new List<Pair>();
            foreach (string code in settings.Pairs)
            {
                ILslBackend? outletSide = code[0] == 'm' ? managed : native;
                ILslBackend? inletSide = code[1] == 'm' ? managed : native;
                if (outletSide is not null && inletSide is not null)
                {
                    pairs.Add(new Pair(code, $"{Side(code[0])} → {Side(code[1])}", outletSide, inletSide));
                }
            }
            if (pairs.Count == 0)
            {
                Console.Error.WriteLine("lsl bench: no pair can run (liblsl did not load; use --managed-only or --pairs mm)");
                return 1;
            }

            Console.WriteLine("## LSL transport benchmark (loopback only)");
            Console.WriteLine();
            Console.WriteLine($"* date: {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC");
            Console.WriteLine($"* machine: {BenchMachine.Description}");
            Console.WriteLine($"* load average at start: {BenchMachine.LoadAverage()}");
            Console.WriteLine($"* managed: {managedDescription}");
            Console.WriteLine($"* native: {nativeDescription}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"* schedule: per configuration {settings.Rounds} rounds; each round runs every pair once for {settings.RoundSeconds} s (order rotated per round); the first {settings.WarmupSeconds} s of each run are warm-up (counted for loss, not for latency)"));
            Console.WriteLine();

            var summary = new List<string>();
            bool allZeroLoss = true;
            bool allManagedFaster = true;
            foreach ((int channels, double rate) in settings.Configs)
            {
                int chunk = settings.Chunk > 0 ? settings.Chunk : Math.Max(1, (int)Math.Round(rate * settings.ChunkMs / 1000));
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lsl bench: {channels} ch @ {rate} Hz, chunks of {chunk} …"));
                ConfigResult result = RunConfiguration(pairs, channels, rate, chunk, settings);
                Console.WriteLine(result.Markdown);
                Console.Out.Flush();
                allZeroLoss &= result.TotalLost == 0;
                string config = string.Create(CultureInfo.InvariantCulture, $"{channels} ch @ {rate:0.#####} Hz");
                if (result.ManagedP50 is double mm && result.NativeP50 is double nn)
                {
                    bool ok = mm <= nn;
                    allManagedFaster &= ok;
                    summary.Add(string.Create(CultureInfo.InvariantCulture,
                        $"| {config} | {mm:F3} | {nn:F3} | {(ok ? "yes" : "no")} | {result.TotalLost} |"));
                }
                else
                {
                    summary.Add(string.Create(CultureInfo.InvariantCulture, $"| {config} | {result.ManagedP50?.ToString("F3", CultureInfo.InvariantCulture) ?? "–"} | – | – | {result.TotalLost} |"));
                }
            }

            Console.WriteLine("### Summary");
            Console.WriteLine();
            Console.WriteLine("| configuration | managed → managed p50 (ms) | liblsl → liblsl p50 (ms) | managed ≤ liblsl | samples lost (all pairs) |");
            Console.WriteLine("|---|---:|---:|:---:|---:|");
            foreach (string line in summary)
            {
                Console.WriteLine(line);
            }
            Console.WriteLine();
            Console.WriteLine($"* load average at end: {BenchMachine.LoadAverage()}");
            Console.WriteLine(native is null
                ? $"* verdict: liblsl not run; loss {(allZeroLoss ? "zero" : "NOT zero")} at every rate"
                : $"* verdict: managed median ≤ liblsl median at every rate: {(allManagedFaster ? "yes" : "NO")}; zero loss at every rate: {(allZeroLoss ? "yes" : "NO")}");
            return allZeroLoss ? 0 : 3;
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or LslStreamLostException)
        {
            Console.Error.WriteLine($"lsl bench failed: {ex.Message}");
            return 1;
        }
        finally
        {
            native?.Dispose();
        }
    }

    private static string Side(char code) => code == 'm' ? "managed" : "liblsl";

    private sealed record ConfigResult(string Markdown, long TotalLost, double? ManagedP50, double? NativeP50);

    /// <summary>One connected outlet/inlet pair for one configuration; the counter runs on across rounds.</summary>
    private sealed class Link(Pair pair, ILslOutlet outlet, ILslInlet inlet) : IDisposable
    {
        public Pair Pair { get; } = pair;
        public ILslOutlet Outlet { get; } = outlet;
        public ILslInlet Inlet { get; } = inlet;
        public long NextCounter { get; set; }
        public List<RoundResult> Rounds { get; } = [];

        public void Dispose()
        {
            Inlet.Dispose();
            Outlet.Dispose();
        }
    }

    private sealed record RoundResult(long Pushed, long Received, long Lost, long OutOfOrder, double[] Latencies, int LatencyCount,
        double DeliveredPerSecond, double MaxLateMs);

    private static ConfigResult RunConfiguration(List<Pair> pairs, int channels, double rate, int chunk, Settings settings)
    {
        if ((long)(rate * settings.RoundSeconds * settings.Rounds) >= 1 << 24)
        {
            throw new InvalidOperationException("the float32 counter channel is exact only up to 2^24 samples per pair; shorten the run");
        }
        var links = new List<Link>();
        try
        {
            foreach (Pair pair in pairs)
            {
                (ILslOutlet outlet, ILslInlet inlet) = Connect(pair, channels, rate);
                links.Add(new Link(pair, outlet, inlet));
            }
            var cpu = new BenchCpuMeter();
            for (int round = 0; round < settings.Rounds; round++)
            {
                for (int k = 0; k < links.Count; k++)
                {
                    Link link = links[(k + round) % links.Count];
                    link.Rounds.Add(RunRound(link, channels, rate, chunk, settings));
                }
            }
            string load = cpu.Describe();

            var md = new StringBuilder();
            var inv = CultureInfo.InvariantCulture;
            md.AppendLine(inv, $"### {channels} ch float32 @ {rate:0.#####} Hz, {chunk} sample{(chunk == 1 ? "" : "s")} per push ({chunk / rate * 1000:0.###} ms)");
            md.AppendLine();
            md.AppendLine(inv, $"Load during this configuration: {load}.");
            md.AppendLine();
            md.AppendLine("| pair | pushed | received | lost | out of order | delivered samples/s | MB/s | p50 (ms) | p90 | p99 | p99.9 | max | per-round p50 (ms) | pacer max late (ms) |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|");
            long totalLost = 0;
            double? managedP50 = null, nativeP50 = null;
            foreach (Link link in links)
            {
                long pushed = link.Rounds.Sum(r => r.Pushed);
                long received = link.Rounds.Sum(r => r.Received);
                long lost = link.Rounds.Sum(r => r.Lost) + Math.Max(0, pushed - received - link.Rounds.Sum(r => r.Lost));
                long outOfOrder = link.Rounds.Sum(r => r.OutOfOrder);
                totalLost += lost + outOfOrder;
                double[] pooled = link.Rounds.SelectMany(r => r.Latencies.Take(r.LatencyCount)).ToArray();
                Array.Sort(pooled);
                double delivered = link.Rounds.Average(r => r.DeliveredPerSecond);
                string perRound = string.Join(" / ", link.Rounds.Select(r => Median(r).ToString("F3", inv)));
                double p50 = Percentile(pooled, 0.5);
                if (link.Pair.Code == "mm")
                {
                    managedP50 = p50;
                }
                else if (link.Pair.Code == "nn")
                {
                    nativeP50 = p50;
                }
                md.AppendLine(inv,
                    $"| {link.Pair.Name} | {pushed:N0} | {received:N0} | {lost:N0} | {outOfOrder:N0} | {delivered:N0} | {delivered * channels * 4 / 1e6:F1} | {p50:F3} | {Percentile(pooled, 0.9):F3} | {Percentile(pooled, 0.99):F3} | {Percentile(pooled, 0.999):F3} | {(pooled.Length > 0 ? pooled[^1] * 1000 : double.NaN):F3} | {perRound} | {link.Rounds.Max(r => r.MaxLateMs):F2} |");
            }
            return new ConfigResult(md.ToString(), totalLost, managedP50, nativeP50);
        }
        finally
        {
            foreach (Link link in links)
            {
                link.Dispose();
            }
        }
    }

    private static double Median(RoundResult round)
    {
        double[] copy = round.Latencies[..round.LatencyCount];
        Array.Sort(copy);
        return Percentile(copy, 0.5);
    }

    /// <summary>Nearest-rank percentile of sorted seconds, in milliseconds.</summary>
    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)] * 1000;

    private static (ILslOutlet Outlet, ILslInlet Inlet) Connect(Pair pair, int channels, double srate)
    {
        var info = new LslStreamInfo
        {
            Name = $"acq-bench-{pair.Code}-{Guid.NewGuid():N}",
            Type = "EEG",
            ChannelCount = channels,
            NominalSrate = srate,
            ChannelFormat = ChannelFormat.Float32,
            SourceId = "bench-" + Guid.NewGuid().ToString("N"),
        };
        // 10 s of buffer on both ends: far more than any scheduling hiccup, so a loss means the transport fell behind.
        ILslOutlet outlet = pair.OutletSide.CreateOutlet(info, 0, 10);
        IReadOnlyList<LslStreamInfo> found = pair.InletSide.Resolve($"name='{info.Name}'", 1, s_connectTimeout);
        if (found.Count != 1)
        {
            outlet.Dispose();
            throw new TimeoutException($"{pair.InletSide.Name} could not resolve the {pair.OutletSide.Name} outlet '{info.Name}'");
        }
        ILslInlet inlet = pair.InletSide.CreateInlet(found[0], 10, 0, recover: false);
        try
        {
            inlet.Open(s_connectTimeout);
            if (!outlet.WaitForConsumers(s_connectTimeout))
            {
                throw new TimeoutException($"{pair.OutletSide.Name} outlet saw no consumer");
            }
        }
        catch
        {
            inlet.Dispose();
            outlet.Dispose();
            throw;
        }
        return (outlet, inlet);
    }

    private static RoundResult RunRound(Link link, int channels, double rate, int chunk, Settings settings)
    {
        ILslBackend outletSide = link.Pair.OutletSide, inletSide = link.Pair.InletSide;
        long chunks = (long)Math.Ceiling(settings.RoundSeconds * rate / chunk);
        long total = chunks * chunk;
        long firstCounter = link.NextCounter;
        long pushedFinal = -1;
        bool stop = false;
        // Preallocated so the receiving thread does not allocate while it measures.
        double[] latencies = new double[total];
        int latencyCount = 0;
        long received = 0, lost = 0, outOfOrder = 0, lastReceiveTicks = 0;
        double warmupEndClock = double.MaxValue;

        var receiver = new Thread(() =>
        {
            int capacity = Math.Max(4096, chunk * 4);
            double[] data = new double[capacity * channels];
            double[] ts = new double[capacity];
            long expected = firstCounter;
            long drainDeadline = long.MaxValue;
            while (true)
            {
                long final = Volatile.Read(ref pushedFinal);
                if (final >= 0)
                {
                    if (expected - firstCounter >= final || Volatile.Read(ref stop))
                    {
                        break;
                    }
                    if (drainDeadline == long.MaxValue)
                    {
                        drainDeadline = Stopwatch.GetTimestamp() + 2 * Stopwatch.Frequency;
                    }
                    else if (Stopwatch.GetTimestamp() > drainDeadline)
                    {
                        break;
                    }
                }
                int n = link.Inlet.PullChunk(data, ts, TimeSpan.FromMilliseconds(20));
                if (n == 0)
                {
                    continue;
                }
                double now = inletSide.LocalClock();
                long nowTicks = Stopwatch.GetTimestamp();
                double warmupEnd = Volatile.Read(ref warmupEndClock);
                for (int i = 0; i < n; i++)
                {
                    long value = (long)data[i * channels];
                    if (value == expected)
                    {
                        expected++;
                    }
                    else if (value > expected)
                    {
                        lost += value - expected;
                        expected = value + 1;
                    }
                    else
                    {
                        outOfOrder++;
                    }
                    if (ts[i] >= warmupEnd && latencyCount < latencies.Length)
                    {
                        latencies[latencyCount++] = now - ts[i];
                    }
                }
                received += n;
                lastReceiveTicks = nowTicks;
            }
        }) { IsBackground = true, Name = "lsl-bench-inlet" };
        receiver.Start();

        float[] values = new float[chunk * channels];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)Math.Sin(i * 0.01);
        }
        double[] timestamps = new double[chunk];
        double intervalTicks = chunk / rate * Stopwatch.Frequency;
        long start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 1000;
        long maxLate = 0;
        double startClock = outletSide.LocalClock() + 0.001;
        Volatile.Write(ref warmupEndClock, startClock + settings.WarmupSeconds);
        long counter = firstCounter;
        for (long k = 0; k < chunks; k++)
        {
            long target = start + (long)(k * intervalTicks);
            BenchPacer.WaitUntil(target);
            maxLate = Math.Max(maxLate, Stopwatch.GetTimestamp() - target);
            for (int i = 0; i < chunk; i++)
            {
                values[i * channels] = counter++;
            }
            double stamp = outletSide.LocalClock();
            Array.Fill(timestamps, stamp);
            link.Outlet.PushChunk(values, timestamps);
        }
        double pushSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        link.NextCounter = counter;
        Volatile.Write(ref pushedFinal, total);
        if (!receiver.Join(TimeSpan.FromSeconds(5)))
        {
            Volatile.Write(ref stop, true);
            receiver.Join(TimeSpan.FromSeconds(1));
        }
        double seconds = (double)(lastReceiveTicks - start) / Stopwatch.Frequency;
        return new RoundResult(total, received, lost, outOfOrder, latencies, latencyCount,
            seconds > 0 ? received / Math.Max(seconds, pushSeconds) : 0, maxLate * 1000.0 / Stopwatch.Frequency);
    }

    private sealed record Settings(IReadOnlyList<(int Channels, double Rate)> Configs, int Rounds, double RoundSeconds, double WarmupSeconds,
        double ChunkMs, int Chunk, IReadOnlyList<string> Pairs, bool ManagedOnly, string? LibraryPath)
    {
        public static Settings Parse(string[] args)
        {
            var s = new Settings([(64, 1000), (64, 5000), (64, 20000), (256, 2000)], 3, 2.5, 0.5, 1, 0, ["mm", "nn", "nm", "mn"], false, null);
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
                double Positive(string text) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 ? v : throw new FormatException($"'{text}' is not a positive number");
                s = args[i] switch
                {
                    "--configs" => s with { Configs = ParseConfigs(Next()) },
                    "--rounds" => s with { Rounds = (int)Positive(Next()) },
                    "--round-seconds" => s with { RoundSeconds = Positive(Next()) },
                    "--warmup-seconds" => s with { WarmupSeconds = double.TryParse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture, out double w) && w >= 0 ? w : throw new FormatException("--warmup-seconds needs a number ≥ 0") },
                    "--chunk-ms" => s with { ChunkMs = Positive(Next()), Chunk = 0 },
                    "--chunk" => s with { Chunk = (int)Positive(Next()) },
                    "--pairs" => s with { Pairs = ParsePairs(Next()) },
                    "--managed-only" => s with { ManagedOnly = true, Pairs = ["mm"] },
                    "--liblsl" => s with { LibraryPath = Next() },
                    _ => throw new FormatException($"unknown argument '{args[i]}'"),
                };
            }
            if (s.WarmupSeconds >= s.RoundSeconds)
            {
                throw new FormatException("--warmup-seconds must be shorter than --round-seconds");
            }
            return s;
        }

        private static List<(int, double)> ParseConfigs(string text)
        {
            var list = new List<(int, double)>();
            foreach (string item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                string[] parts = item.Split('x');
                if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int channels) || channels < 1
                    || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double rate) || rate <= 0)
                {
                    throw new FormatException($"'{item}' is not CHANNELSxHZ (e.g. 64x1000)");
                }
                list.Add((channels, rate));
            }
            return list.Count > 0 ? list : throw new FormatException("--configs is empty");
        }

        private static List<string> ParsePairs(string text)
        {
            var list = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            return list.Count > 0 && list.All(p => p is "mm" or "nn" or "nm" or "mn")
                ? list
                : throw new FormatException("--pairs takes a comma list of mm, nn, nm, mn (m = managed, n = liblsl; outlet first)");
        }
    }
}
