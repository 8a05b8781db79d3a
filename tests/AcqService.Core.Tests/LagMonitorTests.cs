using System.Globalization;
using Xunit.Abstractions;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sinks;
using AcqService.Sessions;
using static AcqService.Core.Tests.TestStreams;

namespace AcqService.Core.Tests;

public sealed class LagMonitorTests
{
    private const double Clock0 = 1000;

    private static string[] Labels(int channels) => [.. Enumerable.Range(0, channels).Select(c => $"E{c}")];

    /// <summary>Publishes that one analyzer has processed samples [0, processed) whose newest is at local time <paramref name="newest"/>.</summary>
    private static void Processed(StageStep<AlignedItem, int> step, int stream, long processed, double newest)
    {
        var chunk = new SampleChunk(stream, 1, 1) { Count = 1 };
        chunk.Timestamps[0] = newest;
        step(AlignedItem.ForSamples(chunk, processed - 1, 0), []);
    }

    private static StageStep<AlignedItem, int> Analyzer(LagMonitor monitor) =>
        monitor.Observe<int>((in AlignedItem item, List<int> _) => item.Chunk?.Release());

    [Fact]
    public void Poll_AnalysisSlowerThanStream_LagGrowsAndVerdictNamesTheSustainedRateOnce()
    {
        // 1024 channels at 20 kHz delivered live; the analysis processes 3000 samples/s.
        StreamRegistry registry = Registry(Signal("eeg", 20_000, Labels(1024)));
        var monitor = new LagMonitor(registry, new AlignerOptions { MaxLagSeconds = 30 });
        StageStep<AlignedItem, int> erp = Analyzer(monitor), alpha = Analyzer(monitor);
        var verdicts = new List<OverloadVerdict>();
        monitor.Overloaded += verdicts.Add;
        var lags = new List<double>();
        double verdictAt = double.NaN;

        for (double t = 0.5; t <= 60; t += 0.5)
        {
            monitor.OnArrived(0, (long)(20_000 * t));
            long processed = (long)(3000 * t);
            // Sample i was taken at Clock0 + i / 20 kHz; the faster analyzer is 100 samples ahead of the slow one.
            Processed(erp, 0, processed, Clock0 + ((processed - 1) / 20_000.0));
            Processed(alpha, 0, processed + 100, Clock0 + ((processed + 99) / 20_000.0));
            LagStatus status = monitor.Poll(Clock0 + t);
            lags.Add(status.Streams.Single().LagSeconds);
            if (status.Verdict is not null && double.IsNaN(verdictAt))
            {
                verdictAt = t;
            }
        }

        // Lag = latency − best latency = 0.85 t − 0.425 s: it grows steadily.
        Assert.Equal(0, lags[0]);
        Assert.Equal(0.85 * 10 - 0.425, lags[19], 6);
        Assert.All(lags.Zip(lags.Skip(1)), p => Assert.True(p.Second > p.First));
        // First poll with lag > 30 s: 0.85 t − 0.425 > 30 at t = 36.
        Assert.Equal(36, verdictAt);
        OverloadVerdict verdict = Assert.Single(verdicts);
        Assert.Same(verdict, monitor.Verdict);
        Assert.True(monitor.OverloadToken.IsCancellationRequested);
        Assert.Equal("eeg", verdict.StreamKey);
        Assert.Equal(3000 * 1024, verdict.SustainedChannelSamplesPerSecond, 1e-6 * 3000 * 1024);
        Assert.Equal(20_000 * 1024, verdict.DeliveredChannelSamplesPerSecond);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture,
            $"analysis fell {verdict.LagSeconds:F1} s behind 'eeg' and kept falling behind: it could sustain about 3.1 M channel-samples/s (≈ 3.0 kHz at 1024 channels); the streams deliver 20.5 M"),
            verdict.Message);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"lag {monitor.Latest!.Streams.Single().LagSeconds:F1} s"), monitor.Latest.Streams.Single().ToStatus(monitor.Options));
    }

    [Fact]
    public void Poll_StallBelowTheLimitThenCatchUp_LagRisesAndFallsToZeroWithoutVerdict()
    {
        // The analysis stalls for 20 s, then catches up at twice the stream's rate; polled every second.
        StreamRegistry registry = Registry(Signal("eeg", 1000, Labels(8)));
        var monitor = new LagMonitor(registry, new AlignerOptions { MaxLagSeconds = 30 });
        StageStep<AlignedItem, int> step = Analyzer(monitor);
        for (double t = 1; t <= 60; t += 1)
        {
            monitor.OnArrived(0, (long)(1000 * t));
            double processedUpTo = t <= 21 ? 1 : Math.Min(t, 1 + (2 * (t - 21)));
            Processed(step, 0, (long)(1000 * processedUpTo), Clock0 + processedUpTo);
            LagStatus status = monitor.Poll(Clock0 + t);
            double expected = t <= 21 ? t - 1 : Math.Max(0, 41 - t);
            Assert.Equal(expected, status.Streams.Single().LagSeconds, 6);
        }
        Assert.Null(monitor.Verdict);
        Assert.False(monitor.OverloadToken.IsCancellationRequested);
    }

    [Fact]
    public void Poll_StreamStopsSending_ShownAsNoDataWithoutLagOrVerdict()
    {
        // eeg delivers for 10 s then stops; nirs never sends. The analysis keeps up with everything received.
        StreamRegistry registry = Registry(Signal("eeg", 500, Labels(4)), Signal("nirs", 10, Labels(2)), Markers());
        var options = new AlignerOptions { NoDataSeconds = 5, MaxLagSeconds = 1 };
        var monitor = new LagMonitor(registry, options);
        StageStep<AlignedItem, int> step = Analyzer(monitor);
        var seen = new List<(double T, StreamLag Eeg, StreamLag Nirs)>();

        for (double t = 0; t <= 20; t += 0.5)
        {
            long delivered = (long)(500 * Math.Min(t, 10));
            if (delivered > 0)
            {
                monitor.OnArrived(0, delivered);
                Processed(step, 0, delivered, Clock0 + 0.002 + (delivered / 500.0));
            }
            LagStatus status = monitor.Poll(Clock0 + t);
            seen.Add((t, status.Streams[0], status.Streams[1]));
        }

        Assert.Equal(2, monitor.Latest!.Streams.Count);
        Assert.All(seen, s => Assert.Equal(0, s.Eeg.LagSeconds));
        Assert.Null(monitor.Verdict);
        // Silence is measured from the last poll that saw new samples (t = 10 s), and from the first poll for nirs.
        Assert.All(seen.Where(s => s.T <= 10), s => Assert.Equal(0, s.Eeg.SilentSeconds, 9));
        Assert.Equal(4.5, seen.Single(s => s.T == 14.5).Eeg.SilentSeconds, 9);
        Assert.Equal("", seen.Single(s => s.T == 14.5).Eeg.ToStatus(options));
        Assert.Equal("no data for 5 s", seen.Single(s => s.T == 15).Eeg.ToStatus(options));
        Assert.Equal("no data for 10 s", seen.Single(s => s.T == 20).Eeg.ToStatus(options));
        Assert.Equal("no data for 20 s", seen.Single(s => s.T == 20).Nirs.ToStatus(options));
        Assert.Equal(["eeg", "nirs"], monitor.Latest!.Streams.Select(s => s.StreamKey));
    }

    [Fact]
    public void Poll_ReplayFasterThanRealTimeWithBacklog_NoLag()
    {
        // A recording from long ago, analysed at 10× real time with a constant backlog of 1000 samples in the edges.
        StreamRegistry registry = Registry(Signal("eeg", 1000, Labels(64)));
        var monitor = new LagMonitor(registry, new AlignerOptions { MaxLagSeconds = 30 });
        StageStep<AlignedItem, int> step = Analyzer(monitor);
        for (double t = 1; t <= 100; t += 1)
        {
            long processed = (long)(10 * 1000 * t);
            monitor.OnArrived(0, processed + 1000);
            Processed(step, 0, processed, 5 + (processed / 1000.0));
            Assert.Equal(0, monitor.Poll(Clock0 + t).Streams.Single().LagSeconds, 9);
        }
        Assert.Null(monitor.Verdict);
    }

    [Fact]
    public void Poll_MaxLagZero_LagShownButNoVerdict()
    {
        StreamRegistry registry = Registry(Signal("eeg", 1000, Labels(8)));
        var options = new AlignerOptions { MaxLagSeconds = 0 };
        var monitor = new LagMonitor(registry, options);
        StageStep<AlignedItem, int> step = Analyzer(monitor);
        LagStatus? status = null;
        for (double t = 1; t <= 100; t += 1)
        {
            monitor.OnArrived(0, (long)(1000 * t));
            Processed(step, 0, (long)(100 * t), Clock0 + (0.1 * t));
            status = monitor.Poll(Clock0 + t);
        }
        Assert.Equal(89.1, status!.Streams.Single().LagSeconds, 6);
        Assert.Equal("lag 89.1 s", status.Streams.Single().ToStatus(options));
        Assert.Null(monitor.Verdict);
    }
}

/// <summary>Runs alone (not beside other test classes): these tests measure real rates and pauses on real threads.</summary>
[CollectionDefinition(nameof(LiveTimingCollection), DisableParallelization = true)]
public sealed class LiveTimingCollection;

/// <summary>The monitor wired into live pipelines on real threads.</summary>
[Collection(nameof(LiveTimingCollection))]
public sealed class LagMonitorLiveTests(ITestOutputHelper output)
{
    private static string[] Labels(int channels) => [.. Enumerable.Range(0, channels).Select(c => $"E{c}")];

    /// <summary>
    /// The whole loop on real threads: a live-paced source (16 ch × 2 kHz in 10 ms chunks) feeds the aligner stage and two
    /// analyzers, one of which is slowed to about half the stream's rate. The lag grows, the verdict comes with a
    /// sustained rate within ±30 % of the rate the slow analyzer really achieved, the source stops on the verdict's
    /// token, and memory stays bounded: the edges never hold more than their capacity and the source's chunk pool
    /// allocated no more chunks than the edges can hold.
    /// </summary>
    [Fact]
    public async Task Pipeline_LiveSourceFasterThanSlowAnalyzer_OverloadVerdictWithMeasuredRateAndBoundedMemory()
    {
        const int channels = 16, frames = 20, capacity = 16;
        const double rate = 2000;
        StreamRegistry registry = Registry(Signal("eeg", rate, Labels(channels)), Markers());
        var options = new AlignerOptions { MaxLagSeconds = 1.5 };
        var monitor = new LagMonitor(registry, options);
        var edges = new EdgeFactory(new PipelineOptions { DataEdge = new EdgePolicy(capacity, EdgeMode.Wait) });
        Edge<SourceItem> ingest = edges.Data<SourceItem>("sources→aligner", singleWriter: false);
        Edge<AlignedItem> slowIn = edges.Data<AlignedItem>("aligner→slow");
        Edge<AlignedItem> fastIn = edges.Data<AlignedItem>("aligner→fast");
        Edge<int> slowOut = edges.Data<int>("slow→none");
        Edge<int> fastOut = edges.Data<int>("fast→none");
        var pool = new ChunkPool(0, channels, frames);
        var progress = new List<(double Time, long Frames)>();
        long slowFrames = 0;

        // The test hook: an analyzer that needs 20 ms per 10 ms chunk, i.e. at most half the stream's rate.
        StageStep<AlignedItem, int> slow = monitor.Observe<int>((in AlignedItem item, List<int> _) =>
        {
            if (item.Chunk is { } chunk)
            {
                Thread.Sleep(20);
                slowFrames += chunk.Count;
                lock (progress)
                {
                    progress.Add((LocalClock.Now(), slowFrames));
                }
                chunk.Release();
            }
        });
        var fastProgress = new List<(double Time, long Frames)>();
        long fastFrames = 0;
        StageStep<AlignedItem, int> fast = monitor.Observe<int>((in AlignedItem item, List<int> _) =>
        {
            if (item.Chunk is { } chunk)
            {
                fastFrames += chunk.Count;
                lock (fastProgress)
                {
                    fastProgress.Add((LocalClock.Now(), fastFrames));
                }
                chunk.Release();
            }
        });

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(monitor.OverloadToken);
        stop.CancelAfter(TimeSpan.FromSeconds(60));
        using var pollStop = new CancellationTokenSource();
        long written = 0;
        async Task SourceAsync()
        {
            double start = LocalClock.Now();
            try
            {
                for (long n = 0; ; n += frames)
                {
                    // Live pacing: a chunk is sent once its last sample has been taken; when back-pressure held the source
                    // up, the chunks it owes go out at once with their original (now old) timestamps.
                    double due = start + ((n + frames - 1) / rate) - LocalClock.Now();
                    if (due > 0)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(due), stop.Token);
                    }
                    SampleChunk chunk = pool.Rent();
                    chunk.Count = frames;
                    for (int i = 0; i < frames; i++)
                    {
                        chunk.Timestamps[i] = start + ((n + i) / rate);
                    }
                    await ingest.WriteAsync(SourceItem.ForSamples(chunk), stop.Token);
                    written++;
                }
            }
            catch (OperationCanceledException)
            {
                // Stopped by the verdict.
            }
            ingest.Complete();
        }

        Task[] stages =
        [
            new AlignerStage(Aligner(registry, options), ingest, [slowIn, fastIn], monitor: monitor).RunAsync(CancellationToken.None),
            StageRunner.RunAsync(slowIn, slow, [slowOut], CancellationToken.None),
            StageRunner.RunAsync(fastIn, fast, [fastOut], CancellationToken.None),
            StageRunner.DrainAsync(slowOut, _ => { }, CancellationToken.None),
            StageRunner.DrainAsync(fastOut, _ => { }, CancellationToken.None),
        ];
        Task polling = monitor.RunAsync(TimeSpan.FromMilliseconds(100), pollStop.Token);
        var maxQueued = new int[edges.Edges.Count];
        Task watch = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                for (int e = 0; e < maxQueued.Length; e++)
                {
                    maxQueued[e] = Math.Max(maxQueued[e], edges.Edges[e].Queued);
                }
                await Task.Delay(20);
            }
        });

        await SourceAsync();
        await Task.WhenAll(stages).WaitAsync(TimeSpan.FromSeconds(30));
        pollStop.Cancel();
        await polling;
        await watch;

        OverloadVerdict verdict = Assert.IsType<OverloadVerdict>(monitor.Verdict);
        Assert.Equal("eeg", verdict.StreamKey);
        Assert.True(verdict.LagSeconds > 1.5);
        // What the analysis (the slower of the two analyzers at each instant) really achieved over the monitor's rate
        // window (about the last 1.5 s before the verdict).
        Assert.InRange(verdict.RateWindowSeconds, 1.5, 3);
        long FramesAt(List<(double Time, long Frames)> log, double time)
        {
            lock (log)
            {
                return log.LastOrDefault(p => p.Time <= time).Frames;
            }
        }
        double windowStart = verdict.Time - verdict.RateWindowSeconds;
        long f1 = Math.Min(FramesAt(progress, verdict.Time), FramesAt(fastProgress, verdict.Time));
        long f0 = Math.Min(FramesAt(progress, windowStart), FramesAt(fastProgress, windowStart));
        double trueRate = (f1 - f0) / verdict.RateWindowSeconds * channels;
        output.WriteLine($"verdict: {verdict.Message}; measured over {verdict.RateWindowSeconds:F2} s; slow analyzer really processed {trueRate:F0} channel-samples/s; " +
            $"{written} chunks written, {pool.Allocated} allocated, max queued per edge {string.Join("/", maxQueued)}");
        Assert.True(verdict.SustainedChannelSamplesPerSecond >= 0.7 * trueRate && verdict.SustainedChannelSamplesPerSecond <= 1.3 * trueRate,
            $"verdict {verdict.SustainedChannelSamplesPerSecond:F0} vs measured {trueRate:F0} channel-samples/s");
        Assert.Equal(rate * channels, verdict.DeliveredChannelSamplesPerSecond);
        Assert.Contains("channel-samples/s", verdict.Message, StringComparison.Ordinal);
        // Bounded: no edge ever held more than its capacity, and the source allocated only what the edges can hold
        // (three data edges of 16 chunks plus the few in the stages' hands), however long it ran.
        Assert.All(maxQueued, q => Assert.InRange(q, 0, capacity));
        Assert.InRange(pool.Allocated, 1, (3 * capacity) + 8);
        Assert.True(written > pool.Allocated, $"{written} chunks written from {pool.Allocated} allocated");
        // Every chunk went through both analyzers before the stages completed.
        Assert.Equal(written * frames, slowFrames);
    }

    [Fact]
    public async Task Session_LiveStreamPausesThenEnds_StatusShowsNoDataWithoutLagAndNoVerdict()
    {
        // 1 s of live 250 Hz data, 1.5 s of silence, 0.5 s more: the session's monitor (polled every 0.5 s) shows the pause.
        string root = Path.Combine(Path.GetTempPath(), "acq-core-tests", Guid.NewGuid().ToString("N"));
        var options = new AlignerOptions { NoDataSeconds = 0.8, MaxLagSeconds = 5 };
        var source = new ScriptedSource("pausing amp", [Signal("eeg", 250, "Cz", "Pz")], async (self, output, ct) =>
        {
            double start = LocalClock.Now();
            for (int n = 0; n < 500; n += 25)
            {
                double second = n < 250 ? 0 : 1.5;
                double due = start + second + ((n + 24) / 250.0) - LocalClock.Now();
                if (due > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds(due), ct);
                }
                double[] times = [.. Enumerable.Range(n, 25).Select(i => start + second + (i / 250.0))];
                await output.WriteAsync(SourceItem.ForSamples(Chunk(self.Index(0), 2, times, new double[50], 0, 25)), ct);
            }
        });
        var plan = new SessionPlan { Aligner = options, Conditions = [new ConditionRule("stim", "^stim")] };
        var session = new AcquisitionSession([source], plan, Path.Combine(root, "session"), new SessionMetadata(), LocalClock.Now);
        var seen = new List<StreamLag>();
        using var done = new CancellationTokenSource();
        Task watch = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                if (session.Lag.Latest is { } status)
                {
                    seen.Add(status.Streams.Single());
                }
                await Task.Delay(50);
            }
        });
        try
        {
            SessionSummary summary = await session.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
            done.Cancel();
            await watch;

            Assert.Empty(summary.Errors);
            Assert.Equal(500, summary.Streams.Single().Samples);
            // Polls every 0.5 s see the 1.5 s pause as 1 to 2 s of silence (more when the machine is busy).
            StreamLag quiet = seen.MaxBy(s => s.SilentSeconds)!;
            Assert.InRange(quiet.SilentSeconds, 0.8, 5);
            Assert.StartsWith("no data for ", quiet.ToStatus(options), StringComparison.Ordinal);
            // Before the pause the stream was shown as delivering.
            Assert.Contains(seen, s => s.Arrived > 0 && s.SilentSeconds == 0 && s.ToStatus(options) == "");
            Assert.All(seen, s => Assert.True(s.LagSeconds < 0.5, $"lag {s.LagSeconds}"));
            Assert.Null(session.Lag.Verdict);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
