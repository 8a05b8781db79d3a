using AcqService.Core.Analysis;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sinks;
using AcqService.Sessions;
using static AcqService.Core.Tests.TestStreams;

namespace AcqService.Core.Tests;

/// <summary>Gap detection and marker placement on streams with timestamp jitter of one or more sample periods.</summary>
public sealed class TimingTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "acq-core-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>Timestamps t0 + i / rate (+ <paramref name="holeSeconds"/> from <paramref name="holeIndex"/> on) + jitter.</summary>
    private static double[] JitteredTimes(int count, double rate, Func<Random, double> jitter, int seed, int holeIndex = -1, double holeSeconds = 0, double t0 = 100)
    {
        var random = new Random(seed);
        var times = new double[count];
        for (int i = 0; i < count; i++)
        {
            times[i] = t0 + (i / rate) + (holeIndex >= 0 && i >= holeIndex ? holeSeconds : 0) + jitter(random);
        }
        return times;
    }

    /// <summary>What the old rule (consecutive stamps more than 3.5 periods apart) would have called gaps.</summary>
    private static int NaiveGaps(double[] times, double rate) =>
        Enumerable.Range(1, times.Length - 1).Count(i => times[i] - times[i - 1] > 3.5 / rate);

    public static TheoryData<string, double> JitterKinds => new()
    {
        { "gaussian", 1 },
        { "gaussian", 2 },
        { "gaussian", 3 },
        { "uniform", 1.5 },
        { "uniform", 3 },
    };

    [Theory]
    [MemberData(nameof(JitterKinds))]
    public void Observe_JitterOfOneToThreePeriods_NoFalseGapsAndA50MsHoleFoundOnce(string kind, double periods)
    {
        const double rate = 10_000;
        const int count = 200_000, hole = 123_457;
        double scale = periods / rate;
        Func<Random, double> jitter = kind == "gaussian" ? r => scale * Gaussian(r) : r => scale * ((2 * r.NextDouble()) - 1);
        double[] times = JitteredTimes(count, rate, jitter, seed: 17, hole, 0.05);
        var timeline = new StreamTimeline(rate, 2.5, 8);

        var gaps = new List<(int Index, double LateBy)>();
        for (int i = 0; i < count; i++)
        {
            if (timeline.Observe(times[i], out double lateBy))
            {
                gaps.Add((i, lateBy));
            }
        }

        // The data are hard: judged sample to sample, the jitter alone looks like hundreds of gaps.
        Assert.True(NaiveGaps(times, rate) > (kind == "gaussian" ? 1000 : 100), $"naive gaps: {NaiveGaps(times, rate)}");
        (int index, double late) = Assert.Single(gaps);
        Assert.Equal(hole, index);
        // Late by the hole, give or take the two stamps' jitter and the median's error.
        double tolerance = 4 * scale * (kind == "gaussian" ? 1.5 : 1);
        Assert.InRange(late, 0.05 - tolerance, 0.05 + tolerance);
        // The measured jitter is the stream's, not inflated by the hole: about the RMS of the jitter (uniform: width / √3).
        double rms = kind == "gaussian" ? scale : scale / Math.Sqrt(3);
        Assert.InRange(timeline.JitterSeconds, 0.8 * rms, 1.4 * rms);
    }

    [Theory]
    [InlineData(100e-6)]
    [InlineData(0.01)]
    [InlineData(-0.01)]
    public void Observe_RateDiffersFromNominal_NoGaps(double rateError)
    {
        // A device running 100 ppm or 1 % off its nominal rate, with 0.3 periods of jitter, over 100 000 samples.
        const double rate = 1000;
        var random = new Random(5);
        var timeline = new StreamTimeline(rate, 2.5, 8);
        int gaps = 0;
        for (int i = 0; i < 100_000; i++)
        {
            gaps += timeline.Observe(50 + (i / (rate * (1 + rateError))) + (0.3e-3 * Gaussian(random)), out _) ? 1 : 0;
        }
        Assert.Equal(0, gaps);
    }

    [Fact]
    public void Observe_JitterFreeStream_SmallGapStillFound()
    {
        // 250 Hz, no jitter, default threshold: 2 periods late (3 between stamps) is not a gap, 3 periods late is,
        // exactly as the old consecutive-stamp rule (a jump of more than 3.5 periods) decided on clean data.
        var timeline = new StreamTimeline(250, new AlignerOptions().GapThresholdPeriods, 8);
        double[] times = [.. Times(1000, 250), .. Times(1000, 250, 14.008), .. Times(1000, 250, 18.02)];
        var gaps = new List<(int, double)>();
        for (int i = 0; i < times.Length; i++)
        {
            if (timeline.Observe(times[i], out double late))
            {
                gaps.Add((i, late));
            }
        }
        (int index, double lateBy) = Assert.Single(gaps);
        Assert.Equal(2000, index);
        Assert.Equal(0.012, lateBy, 9);
    }

    [Fact]
    public void Process_ClockOffsetUpdatesBetweenChunks_AreNotGaps()
    {
        // 10 kHz: each offset update moves the corrected times by 1 ms (10 periods); the raw stamps are continuous.
        StreamRegistry registry = Registry(Signal("eeg", 10_000), Markers());
        double[] times = Times(20_000, 10_000);
        var items = new List<SourceItem>();
        for (int c = 0; c < 20; c++)
        {
            items.Add(SourceItem.ForOffset(new ClockOffset(0, times[c * 1000], c * 0.001)));
            items.AddRange(Chunked(0, 1, times, null, 100, c * 1000, (c + 1) * 1000));
        }
        Aligner aligner = Aligner(registry);

        List<AlignedItem> aligned = Align(aligner, items);

        Assert.DoesNotContain(aligned, a => a.Kind == AlignedItemKind.Gap);
        Assert.Equal(0, aligner.Statistics(0).Gaps);
    }

    [Fact]
    public void Aligner_256ChannelsAt10KHzWithGaussianJitterOfOnePeriod_NoFalseGapsEveryMarkerPlacedAndTheHoleFoundOnce()
    {
        const double rate = 10_000;
        const int channels = 256, chunkFrames = 32, hole = 60_000;
        const double t0 = 100;
        // 10.5 s of stream time with a 50 ms hole at 6 s: samples 0..59999 at 100.0000..105.9999 s, then 106.05 s on.
        int count = (int)(10.5 * rate) - 500;
        double[] times = JitteredTimes(count, rate, r => 1e-4 * Gaussian(r), seed: 23, hole, 0.05, t0);
        Assert.True(NaiveGaps(times, rate) > 1000);
        // A marker every 0.25 s, between samples; each arrives 20 ms after its time.
        double[] markerTimes = [.. Enumerable.Range(0, 37).Select(k => t0 + 0.5371 + (0.25 * k))];
        StreamRegistry registry = Registry(Signal("eeg", rate, [.. Enumerable.Range(0, channels).Select(c => $"E{c}")]), Markers());
        var epochs = new EpochOptions { HistorySeconds = 2, RejectPeakToPeakMicrovolts = null, FlatPeakToPeakMicrovolts = null };
        var harness = new ErpHarness(registry, epochs);
        var pool = new ChunkPool(0, channels, chunkFrames);
        var gapItems = new List<AlignedItem>();
        var events = new List<AlignedEvent>();
        int nextMarker = 0;

        for (int from = 0; from < count; from += chunkFrames)
        {
            SampleChunk chunk = pool.Rent();
            chunk.Count = Math.Min(chunkFrames, count - from);
            times.AsSpan(from, chunk.Count).CopyTo(chunk.Timestamps);
            while (nextMarker < markerTimes.Length && markerTimes[nextMarker] + 0.02 < chunk.FirstTimestamp)
            {
                Feed(Mark(1, markerTimes[nextMarker], $"stim-{nextMarker}"));
                nextMarker++;
            }
            Feed(SourceItem.ForSamples(chunk));
        }
        harness.End();

        void Feed(SourceItem item)
        {
            var aligned = new List<AlignedItem>();
            harness.Aligner.Process(item, aligned);
            gapItems.AddRange(aligned.Where(a => a.Kind == AlignedItemKind.Gap));
            events.AddRange(aligned.Where(a => a.Kind == AlignedItemKind.Event).Select(a => a.Event));
            foreach (AlignedItem a in aligned)
            {
                harness.Erp.Process(a, harness.Outcomes);
            }
        }

        // Exactly one gap: the hole, at the right sample, with the right length.
        AlignedItem gap = Assert.Single(gapItems);
        Assert.Equal(hole, gap.FirstSampleIndex);
        Assert.InRange(gap.Gap.MissingSamples, 497, 503);
        Assert.InRange(gap.Gap.End - gap.Gap.Start, 0.0501 - 0.0006, 0.0501 + 0.0006);
        Assert.Equal(times[hole - 1], gap.Gap.Start);
        Assert.Equal(times[hole], gap.Gap.End);
        Assert.Equal(1, harness.Aligner.Statistics(0).Gaps);

        // Every marker lands on the first sample at or after it (running maximum of the stamps, as the aligner keeps them monotonic).
        double[] runningMax = new double[count];
        for (int i = 0; i < count; i++)
        {
            runningMax[i] = Math.Max(times[i], i > 0 ? runningMax[i - 1] : double.NegativeInfinity);
        }
        Assert.Equal(markerTimes.Length, events.Count);
        foreach (AlignedEvent ev in events)
        {
            int expected = Array.FindIndex(runningMax, t => t >= ev.MarkerTime);
            bool inHole = ev.MarkerTime > times[hole - 1] && ev.MarkerTime < times[hole];
            if (inHole)
            {
                Assert.Equal(-1, ev.SampleIndex);
                Assert.Equal(DropKind.InDataGap, ev.DropReason?.Kind);
            }
            else
            {
                Assert.Null(ev.DropReason);
                Assert.Equal(expected, ev.SampleIndex);
            }
        }

        // Epochs: only the marker in the hole and the three whose epoch spans it are dropped, for the gap.
        Assert.Equal(markerTimes.Length, harness.Outcomes.Count);
        Assert.Equal(33, harness.Outcomes.Count(o => o.Accepted));
        Assert.Equal(["stim-19", "stim-20", "stim-21"], harness.Outcomes.Where(o => o.Reason?.Kind == DropKind.GapInEpoch).Select(o => o.Marker.Label).Order());
        Assert.Equal("stim-22", harness.Outcomes.Single(o => o.Reason?.Kind == DropKind.InDataGap).Marker.Label);
        Assert.Equal(33, harness.Erp.Accepted);
    }

    [Fact]
    public async Task Session_32ChannelsAt10KHzWithOnePeriodOfJitter_SummaryHasNoGapsAndNoGapDrops()
    {
        const double rate = 10_000;
        const int channels = 32, chunkFrames = 50;
        int count = (int)(10 * rate);
        double[] times = JitteredTimes(count, rate, r => 1e-4 * Gaussian(r), seed: 29, t0: 10);
        string[] labels = [.. Enumerable.Range(0, channels).Select(c => $"E{c}")];
        var pool = new ChunkPool(0, channels, chunkFrames);
        var source = new ScriptedSource("jittery amp", [Signal("eeg", rate, labels), Markers()], async (self, output, ct) =>
        {
            var random = new Random(3);
            int marker = 0;
            for (int from = 0; from < count; from += chunkFrames)
            {
                SampleChunk chunk = pool.Rent();
                chunk.Count = chunkFrames;
                times.AsSpan(from, chunkFrames).CopyTo(chunk.Timestamps);
                for (int i = 0; i < chunkFrames * channels; i++)
                {
                    chunk.Data[i] = (random.NextDouble() - 0.5) * 20;
                }
                double markerTime = 10.5123 + (0.5 * marker);
                if (markerTime + 0.02 < chunk.FirstTimestamp && markerTime < 18.5)
                {
                    await output.WriteAsync(Mark(self.Index(1), markerTime, $"stim-{marker++}"), ct);
                }
                await output.WriteAsync(SourceItem.ForSamples(chunk), ct);
            }
        });
        var plan = new SessionPlan
        {
            Conditions = [new ConditionRule("stim", "^stim")],
            // Synthetic timestamps from long ago: a slow test machine must not be mistaken for an overloaded live session.
            Aligner = new AlignerOptions { MaxLagSeconds = 0 },
            Epochs = new EpochOptions { HistorySeconds = 2, RejectPeakToPeakMicrovolts = null, FlatPeakToPeakMicrovolts = null },
        };
        var session = new AcquisitionSession([source], plan, Path.Combine(_root, "session"), new SessionMetadata(), () => 1000.0);

        SessionSummary summary = await session.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.True(NaiveGaps(times, rate) > 100);
        Assert.Equal(0, summary.Streams.Single().Gaps);
        Assert.Equal(count, summary.Streams.Single().Samples);
        Assert.Equal(16, summary.Markers["markers"]);
        Assert.Equal(16, session.Erp.Accepted);
        Assert.Empty(summary.DropsByReason);
        Assert.Empty(summary.Errors);
    }

    [Fact]
    public void Process_JitteredStreamWithLagMonitor_SteadyStateAllocatesNothing()
    {
        // The timeline, the gap-start ring and the monitor's publishing are on the per-chunk path: none may allocate.
        const double rate = 10_000;
        const int channels = 8, frames = 32;
        StreamRegistry registry = Registry(Signal("eeg", rate, [.. Enumerable.Range(0, channels).Select(c => $"E{c}")]), Markers());
        Aligner aligner = Aligner(registry);
        var monitor = new LagMonitor(registry, new AlignerOptions());
        StageStep<AlignedItem, int> analyzer = monitor.Observe<int>((in AlignedItem item, List<int> _) => item.Chunk?.Release());
        var pool = new ChunkPool(0, channels, frames);
        var random = new Random(9);
        double[] jitter = [.. Enumerable.Range(0, 4096).Select(_ => 1e-4 * Gaussian(random))];
        var aligned = new List<AlignedItem>(16);
        var outputs = new List<int>(4);
        long next = 0;

        void ProcessChunk()
        {
            SampleChunk chunk = pool.Rent();
            for (int i = 0; i < frames; i++)
            {
                chunk.Timestamps[i] = 100 + ((next + i) / rate) + jitter[(next + i) & 4095];
            }
            chunk.Count = frames;
            next += frames;
            aligned.Clear();
            aligner.Process(SourceItem.ForSamples(chunk), aligned);
            monitor.OnArrived(0, aligner.SampleCount(0));
            for (int n = 0; n < aligned.Count; n++)
            {
                outputs.Clear();
                analyzer(aligned[n], outputs);
            }
        }

        for (int i = 0; i < 2000; i++)
        {
            ProcessChunk();
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2000; i++)
        {
            ProcessChunk();
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, aligner.Statistics(0).Gaps);
        Assert.Equal(4000 * frames, monitor.Poll(1000).Streams.Single().Processed);
        Assert.Equal(0, allocated);
    }
}
