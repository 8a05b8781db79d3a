using AcqService.Core.Model;
using System.Diagnostics;
using System.Globalization;
using AcqService.Lsl;

namespace AcqService.Benchmarks;

/// <summary>
/// LSL transport benchmark (console entry, not a timed test): loopback throughput and latency of 64-channel float32
/// streams for managed → managed and, when liblsl loads, native → native and both cross pairs in the same run.
/// Every backend is created with <see cref="LslOptions.Loopback"/>, so no traffic leaves 127.0.0.1.
/// </summary>
/// <remarks>
/// Arguments: <c>--seconds S</c> throughput phase per pair (default 10), <c>--latency-seconds S</c> latency phase per pair
/// at 1 kHz (default 5), <c>--channels N</c> (default 64), <c>--chunk N</c> samples per push (default 32),
/// <c>--managed-only</c>, <c>--liblsl PATH</c> (else <c>ACQ_LIBLSL_PATH</c> / standard locations).
/// </remarks>
public static class LslBench
{
    private static readonly TimeSpan s_connectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs the benchmark and prints a table; returns the process exit code (0 ok, 2 bad arguments, 1 failure).</summary>
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
            Console.Error.WriteLine("usage: lsl [--seconds 10] [--latency-seconds 5] [--channels 64] [--chunk 32] [--managed-only] [--liblsl PATH]");
            return 2;
        }
        // Dedicated threads: the measurement loops block and must not sit on (or starve) the thread pool.
        return await Task.Factory.StartNew(() => Run(settings), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
    }

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
            Console.WriteLine("LSL transport benchmark (loopback only)");
            Console.WriteLine($"  date      {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC");
            Console.WriteLine($"  machine   {Environment.MachineName}, {Environment.ProcessorCount} logical CPUs, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");
            Console.WriteLine($"  managed   {managedDescription}");
            Console.WriteLine($"  native    {nativeDescription}");
            Console.WriteLine($"  stream    {settings.Channels} ch float32; throughput {settings.Seconds} s/pair in chunks of {settings.Chunk}; latency {settings.LatencySeconds} s/pair of single samples at 1 kHz");
            Console.WriteLine();

            var pairs = new List<(string Name, ILslBackend Outlet, ILslBackend Inlet)> { ("managed → managed", managed, managed) };
            if (native is not null)
            {
                pairs.Add(("native  → native ", native, native));
                pairs.Add(("native  → managed", native, managed));
                pairs.Add(("managed → native ", managed, native));
            }
            var results = new List<(string Name, Throughput T, Latency L)>();
            foreach ((string name, ILslBackend outletSide, ILslBackend inletSide) in pairs)
            {
                Console.Error.WriteLine($"running {name.Trim()} …");
                Throughput t = MeasureThroughput(outletSide, inletSide, settings);
                Latency l = MeasureLatency(outletSide, inletSide, settings);
                results.Add((name, t, l));
            }

            Console.WriteLine("| pair | throughput (samples/s) | MB/s payload | delivered / pushed | latency median (ms) | latency p99 (ms) |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|");
            foreach ((string name, Throughput t, Latency l) in results)
            {
                double mb = t.SamplesPerSecond * settings.Channels * 4 / 1e6;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name.Trim()} | {t.SamplesPerSecond:N0} | {mb:F1} | {t.Delivered:N0} / {t.Pushed:N0} | {l.MedianMs:F3} | {l.P99Ms:F3} |"));
            }
            if (results.Count == 4)
            {
                double ratio = results[0].T.SamplesPerSecond / results[1].T.SamplesPerSecond;
                Console.WriteLine();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"managed/liblsl throughput ratio: {ratio:F2} (target ≥ 1.00); median latency managed {results[0].L.MedianMs:F3} ms vs liblsl {results[1].L.MedianMs:F3} ms (target ≤ 1 ms)"));
            }
            return 0;
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

    private readonly record struct Throughput(double SamplesPerSecond, long Pushed, long Delivered);

    private readonly record struct Latency(double MedianMs, double P99Ms, int Samples);

    private static (ILslOutlet Outlet, ILslInlet Inlet) Connect(ILslBackend outletSide, ILslBackend inletSide, string purpose, int channels, double srate)
    {
        var info = new LslStreamInfo
        {
            Name = $"acq-bench-{purpose}-{Guid.NewGuid():N}",
            Type = "EEG",
            ChannelCount = channels,
            NominalSrate = srate,
            ChannelFormat = ChannelFormat.Float32,
            SourceId = "bench-" + Guid.NewGuid().ToString("N"),
        };
        // 10 s of buffer on both ends: enough to absorb scheduling hiccups, small enough not to hide a slow reader.
        ILslOutlet outlet = outletSide.CreateOutlet(info, 0, 10);
        IReadOnlyList<LslStreamInfo> found = inletSide.Resolve($"name='{info.Name}'", 1, s_connectTimeout);
        if (found.Count != 1)
        {
            outlet.Dispose();
            throw new TimeoutException($"{inletSide.Name} could not resolve the {outletSide.Name} outlet '{info.Name}'");
        }
        ILslInlet inlet = inletSide.CreateInlet(found[0], 10, 0, recover: false);
        inlet.Open(s_connectTimeout);
        if (!outlet.WaitForConsumers(s_connectTimeout))
        {
            inlet.Dispose();
            outlet.Dispose();
            throw new TimeoutException($"{outletSide.Name} outlet saw no consumer");
        }
        return (outlet, inlet);
    }

    private static Throughput MeasureThroughput(ILslBackend outletSide, ILslBackend inletSide, Settings settings)
    {
        int channels = settings.Channels, chunk = settings.Chunk;
        const double srate = 1000;
        (ILslOutlet outlet, ILslInlet inlet) = Connect(outletSide, inletSide, "tput", channels, srate);
        using (outlet)
        using (inlet)
        {
            long delivered = 0;
            long lastReceiveTicks = 0;
            bool stop = false;
            var receiver = new Thread(() =>
            {
                double[] data = new double[1024 * channels];
                double[] ts = new double[1024];
                while (!Volatile.Read(ref stop))
                {
                    int n = inlet.PullChunk(data, ts, TimeSpan.FromMilliseconds(50));
                    if (n > 0)
                    {
                        Interlocked.Add(ref delivered, n);
                        Volatile.Write(ref lastReceiveTicks, Stopwatch.GetTimestamp());
                    }
                }
            }) { IsBackground = true, Name = "lsl-bench-inlet" };
            receiver.Start();

            float[] values = new float[chunk * channels];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)Math.Sin(i * 0.01);
            }
            double[] timestamps = new double[chunk];
            long pushed = 0;
            long start = Stopwatch.GetTimestamp();
            long end = start + (long)(settings.Seconds * Stopwatch.Frequency);
            double t0 = outletSide.LocalClock();
            while (Stopwatch.GetTimestamp() < end)
            {
                for (int i = 0; i < chunk; i++)
                {
                    timestamps[i] = t0 + (pushed + i) / srate;
                }
                outlet.PushChunk(values, timestamps);
                pushed += chunk;
            }
            // Drain: wait until nothing has arrived for 0.5 s (at most 5 s), then count from the first push to the last receipt.
            long drainEnd = Stopwatch.GetTimestamp() + 5 * Stopwatch.Frequency;
            while (Stopwatch.GetTimestamp() < drainEnd && Interlocked.Read(ref delivered) < pushed
                   && Stopwatch.GetTimestamp() - Volatile.Read(ref lastReceiveTicks) < Stopwatch.Frequency / 2)
            {
                Thread.Sleep(20);
            }
            Volatile.Write(ref stop, true);
            receiver.Join();
            double seconds = (double)(Volatile.Read(ref lastReceiveTicks) - start) / Stopwatch.Frequency;
            long got = Interlocked.Read(ref delivered);
            return new Throughput(seconds > 0 ? got / seconds : 0, pushed, got);
        }
    }

    private static Latency MeasureLatency(ILslBackend outletSide, ILslBackend inletSide, Settings settings)
    {
        int channels = settings.Channels;
        (ILslOutlet outlet, ILslInlet inlet) = Connect(outletSide, inletSide, "lat", channels, 1000);
        using (outlet)
        using (inlet)
        {
            int total = (int)(settings.LatencySeconds * 1000);
            int warmup = Math.Min(200, total / 10);
            var latencies = new List<double>(total);
            bool stop = false;
            var receiver = new Thread(() =>
            {
                double[] data = new double[channels];
                double[] ts = new double[1];
                int seen = 0;
                while (!Volatile.Read(ref stop))
                {
                    if (inlet.PullChunk(data, ts, TimeSpan.FromMilliseconds(50)) == 1)
                    {
                        // Both clocks are the LSL clock (CLOCK_MONOTONIC) of this process, so no correction is needed.
                        double latency = inletSide.LocalClock() - ts[0];
                        if (seen++ >= warmup)
                        {
                            latencies.Add(latency);
                        }
                    }
                }
            }) { IsBackground = true, Name = "lsl-bench-latency-inlet" };
            receiver.Start();

            float[] sample = new float[channels];
            double[] stamp = new double[1];
            long period = Stopwatch.Frequency / 1000;
            long next = Stopwatch.GetTimestamp();
            for (int i = 0; i < total; i++)
            {
                // Paced on an absolute schedule: sleep while well ahead, yield for the last stretch (1 ms sleeps overshoot).
                while (true)
                {
                    long remaining = next - Stopwatch.GetTimestamp();
                    if (remaining <= 0)
                    {
                        break;
                    }
                    if (remaining > 2 * period)
                    {
                        Thread.Sleep(1);
                    }
                    else
                    {
                        Thread.Yield();
                    }
                }
                sample[0] = i;
                stamp[0] = outletSide.LocalClock();
                outlet.PushChunk(sample, stamp);
                next += period;
            }
            Thread.Sleep(300);
            Volatile.Write(ref stop, true);
            receiver.Join();
            if (latencies.Count == 0)
            {
                throw new TimeoutException("no latency samples arrived");
            }
            latencies.Sort();
            return new Latency(Percentile(latencies, 0.5) * 1000, Percentile(latencies, 0.99) * 1000, latencies.Count);
        }
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private sealed record Settings(double Seconds, double LatencySeconds, int Channels, int Chunk, bool ManagedOnly, string? LibraryPath)
    {
        public static Settings Parse(string[] args)
        {
            var s = new Settings(10, 5, 64, 32, false, null);
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
                double Positive(string text) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 ? v : throw new FormatException($"'{text}' is not a positive number");
                s = args[i] switch
                {
                    "--seconds" => s with { Seconds = Positive(Next()) },
                    "--latency-seconds" => s with { LatencySeconds = Positive(Next()) },
                    "--channels" => s with { Channels = (int)Positive(Next()) },
                    "--chunk" => s with { Chunk = (int)Positive(Next()) },
                    "--managed-only" => s with { ManagedOnly = true },
                    "--liblsl" => s with { LibraryPath = Next() },
                    _ => throw new FormatException($"unknown argument '{args[i]}'"),
                };
            }
            return s;
        }
    }
}
