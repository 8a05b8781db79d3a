using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using static AcqService.Core.Tests.TestStreams;

namespace AcqService.Core.Tests;

public sealed class AlignerTests
{
    private const int Eeg = 0;
    private const int Mk = 1;

    private static StreamRegistry EegAndMarkers(double rate = 100) => Registry(Signal("eeg", rate), Markers());

    [Fact]
    public void Process_MarkerBeforeItsData_PendsThenPlacesAtFirstSampleAtOrAfterMarker()
    {
        Aligner aligner = Aligner(EegAndMarkers());
        double[] times = Times(30, 100);
        var output = new List<AlignedItem>();
        foreach (SourceItem item in Chunked(Eeg, 1, times, null, 10, 0, 10))
        {
            aligner.Process(item, output);
        }
        output.Clear();

        aligner.Process(Mark(Mk, 10.155), output);
        Assert.Empty(output);
        Assert.Equal(1, aligner.PendingMarkers(Eeg));

        aligner.Process(Chunked(Eeg, 1, times, null, 10, 10, 20).Single(), output);
        Assert.Equal(2, output.Count);
        Assert.Equal(AlignedItemKind.Samples, output[0].Kind); // the data first, then the event it completed
        AlignedEvent ev = output[1].Event;
        Assert.Equal(16, ev.SampleIndex);
        Assert.Equal(times[16], ev.SampleTime);
        Assert.Null(ev.DropReason?.ToString());
        Assert.Equal(0, aligner.PendingMarkers(Eeg));
    }

    [Fact]
    public void Process_MarkerAfterItsData_IsLookedUpInHistoryImmediately()
    {
        Aligner aligner = Aligner(EegAndMarkers());
        double[] times = Times(100, 100);
        Align(aligner, Chunked(Eeg, 1, times, null, 10), endAll: false);

        var output = new List<AlignedItem>();
        aligner.Process(Mark(Mk, 10.305), output);

        AlignedEvent ev = Assert.Single(output).Event;
        Assert.Equal(31, ev.SampleIndex);
        Assert.Equal(times[31], ev.SampleTime);
        Assert.Equal(0, aligner.PendingMarkers(Eeg));
    }

    [Fact]
    public void Process_MarkerExactlyOnSampleTime_PlacesOnThatSampleNotTheNext()
    {
        Aligner aligner = Aligner(EegAndMarkers());
        double[] times = Times(100, 100);
        List<AlignedEvent> events = Events(Align(aligner,
        [
            .. Chunked(Eeg, 1, times, null, 10),
            Mark(Mk, times[25], "on"),
            Mark(Mk, times[25] + 1e-9, "just-after"),
        ]));

        Assert.Equal(25, events.Single(e => e.Marker.Label == "on").SampleIndex);
        Assert.Equal(times[25], events.Single(e => e.Marker.Label == "on").SampleTime);
        Assert.Equal(26, events.Single(e => e.Marker.Label == "just-after").SampleIndex);
    }

    [Fact]
    public void Process_OutOfOrderMarkers_EachPlacedOnItsOwnSample()
    {
        Aligner aligner = Aligner(EegAndMarkers());
        double[] times = Times(100, 100);
        List<AlignedEvent> events = Events(Align(aligner,
        [
            Mark(Mk, 10.505, "c"),
            Mark(Mk, 10.205, "a"),
            Mark(Mk, 10.355, "b"),
            .. Chunked(Eeg, 1, times, null, 10),
            Mark(Mk, 10.055, "late-and-early"),
        ]));

        Assert.Equal(4, events.Count);
        Assert.Equal(21, events.Single(e => e.Marker.Label == "a").SampleIndex);
        Assert.Equal(36, events.Single(e => e.Marker.Label == "b").SampleIndex);
        Assert.Equal(51, events.Single(e => e.Marker.Label == "c").SampleIndex);
        Assert.Equal(6, events.Single(e => e.Marker.Label == "late-and-early").SampleIndex);
        // Pending markers are released in time order, whatever order they arrived in.
        Assert.Equal(["a", "b", "c", "late-and-early"], events.Select(e => e.Marker.Label));
    }

    [Fact]
    public void Process_SameDataInDifferentChunkings_GivesIdenticalPlacements()
    {
        const int n = 1000;
        const double rate = 100;
        var random = new Random(7);
        double[] times = [.. Times(n, rate).Select(t => t + ((random.NextDouble() - 0.5) * 4e-4))];
        // Markers anywhere in the recording, each arriving between 0.5 s early and 2 s late.
        (double Time, double Arrival, string Label)[] markers = [.. Enumerable.Range(0, 40).Select(i =>
        {
            double t = 10 + (random.NextDouble() * (n - 1) / rate);
            return (t, t - 0.5 + (random.NextDouble() * 2.5), $"m{i}");
        })];

        Dictionary<string, (long, double, string?)> Run(int chunkFrames)
        {
            var items = new List<SourceItem>();
            var queue = new Queue<(double Time, double Arrival, string Label)>(markers.OrderBy(m => m.Arrival));
            foreach (SourceItem chunk in Chunked(Eeg, 1, times, null, chunkFrames))
            {
                while (queue.Count > 0 && queue.Peek().Arrival <= chunk.Chunk!.FirstTimestamp)
                {
                    (double t, _, string label) = queue.Dequeue();
                    items.Add(Mark(Mk, t, label));
                }
                items.Add(chunk);
            }
            items.AddRange(queue.Select(m => Mark(Mk, m.Time, m.Label)));
            return Events(Align(Aligner(EegAndMarkers(rate)), items)).ToDictionary(e => e.Marker.Label, e => (e.SampleIndex, e.SampleTime, e.DropReason?.ToString()));
        }

        Dictionary<string, (long, double, string?)> single = Run(1), seven = Run(7), whole = Run(n);
        Assert.Equal(markers.Length, single.Count);
        Assert.All(single.Values, v => Assert.Null(v.Item3));
        foreach ((double t, _, string label) in markers)
        {
            Assert.Equal(single[label], seven[label]);
            Assert.Equal(single[label], whole[label]);
            // First sample at or after the marker: its time is ≥ the marker, the previous one's is not.
            long index = single[label].Item1;
            Assert.True(times[index] >= t && (index == 0 || times[index - 1] < t), $"{label}: index {index}");
        }
    }

    [Fact]
    public void Process_JitteredTimestamps_PlacesOnNominalNextSampleWithoutGaps()
    {
        const double rate = 100;
        var random = new Random(3);
        // ±0.2 ms stamping jitter on a 10 ms period.
        double[] times = [.. Times(1000, rate).Select(t => t + ((random.NextDouble() - 0.5) * 4e-4))];
        var items = new List<SourceItem>(Chunked(Eeg, 1, times, null, 13));
        int[] ks = [.. Enumerable.Range(0, 140).Select(i => i * 7)];
        // Markers half-way between nominal samples k and k + 1.
        items.AddRange(ks.Select(k => Mark(Mk, 10 + ((k + 0.5) / rate), $"k{k}")));

        List<AlignedItem> aligned = Align(Aligner(EegAndMarkers(rate)), items);

        Assert.DoesNotContain(aligned, a => a.Kind == AlignedItemKind.Gap);
        List<AlignedEvent> events = Events(aligned);
        Assert.Equal(ks.Length, events.Count);
        foreach (int k in ks)
        {
            Assert.Equal(k + 1, events.Single(e => e.Marker.Label == $"k{k}").SampleIndex);
        }
    }

    [Fact]
    public void Process_NonMonotonicJitter_PlacesOnFirstSampleWhoseRunningMaximumReachesMarker()
    {
        const double rate = 1000;
        var random = new Random(11);
        // ±0.6 ms jitter on a 1 ms period: consecutive stamps go backwards now and then.
        double[] times = [.. Times(2000, rate).Select(t => t + ((random.NextDouble() - 0.5) * 1.2e-3))];
        Assert.Contains(Enumerable.Range(1, times.Length - 1), i => times[i] < times[i - 1]);
        double[] markerTimes = [.. Enumerable.Range(0, 100).Select(_ => 10.01 + (random.NextDouble() * 1.9))];

        List<AlignedEvent> events = Events(Align(Aligner(EegAndMarkers(rate)),
            [.. Chunked(Eeg, 1, times, null, 32), .. markerTimes.Select((t, i) => Mark(Mk, t, $"m{i}"))]));

        for (int i = 0; i < markerTimes.Length; i++)
        {
            double running = double.NegativeInfinity;
            int expected = -1;
            for (int j = 0; j < times.Length && expected < 0; j++)
            {
                running = Math.Max(running, times[j]);
                expected = running >= markerTimes[i] ? j : -1;
            }
            Assert.Equal(expected, events.Single(e => e.Marker.Label == $"m{i}").SampleIndex);
        }
    }

    [Fact]
    public void Process_TwoSignalStreamsAndMarkerStreamWithOwnClockOffsets_PlacesOnCorrectSampleOfEach()
    {
        // eeg raw clock = local − 100, nirs raw clock = local + 5, marker clock = local − 2000.
        StreamRegistry registry = Registry(Signal("eeg", 100), Signal("nirs", 10), Markers());
        double[] eegRaw = [.. Times(500, 100).Select(t => t - 100)];
        double[] nirsRaw = [.. Times(50, 10).Select(t => t + 5)];
        var items = new List<SourceItem>
        {
            SourceItem.ForOffset(new ClockOffset(0, -90, 100)),
            SourceItem.ForOffset(new ClockOffset(1, 15, -5)),
            SourceItem.ForOffset(new ClockOffset(2, -1990, 2000)),
            Mark(2, 11.234 - 2000, "pending"),
        };
        for (int i = 0; i < 10; i++)
        {
            items.AddRange(Chunked(0, 1, eegRaw, null, 50, i * 50, (i + 1) * 50));
            items.AddRange(Chunked(1, 1, nirsRaw, null, 5, i * 5, (i + 1) * 5));
        }
        items.Add(Mark(2, 12.345 - 2000, "late"));

        List<AlignedEvent> events = Events(Align(Aligner(registry), items));

        Assert.Equal(4, events.Count);
        AlignedEvent eegPending = events.Single(e => e.SignalStream == 0 && e.Marker.Label == "pending");
        AlignedEvent nirsPending = events.Single(e => e.SignalStream == 1 && e.Marker.Label == "pending");
        Assert.Equal(11.234, eegPending.MarkerTime, 9);
        Assert.Equal(124, eegPending.SampleIndex); // 11.24 s local
        Assert.Equal(11.24, eegPending.SampleTime, 9);
        Assert.Equal(13, nirsPending.SampleIndex); // 11.3 s local
        Assert.Equal(11.3, nirsPending.SampleTime, 9);
        Assert.Equal(235, events.Single(e => e.SignalStream == 0 && e.Marker.Label == "late").SampleIndex); // 12.35 s
        Assert.Equal(24, events.Single(e => e.SignalStream == 1 && e.Marker.Label == "late").SampleIndex);  // 12.4 s
    }

    [Fact]
    public void Process_MarkerOlderThanHistory_DroppedWithHistoryReason()
    {
        // 1 s of history at 100 Hz is a 128-sample ring; after 300 samples the oldest kept is sample 172.
        Aligner aligner = Aligner(EegAndMarkers(), new AlignerOptions { HistorySeconds = 1 });
        double[] times = Times(300, 100);
        List<AlignedEvent> events = Events(Align(aligner,
            [.. Chunked(Eeg, 1, times, null, 10), Mark(Mk, times[50] + 0.005, "old"), Mark(Mk, times[250] + 0.005, "recent")]));

        AlignedEvent old = events.Single(e => e.Marker.Label == "old");
        Assert.Equal(-1, old.SampleIndex);
        Assert.Equal("marker arrived 2.5 s late, beyond the 1 s alignment history", old.DropReason?.ToString());
        Assert.Equal(251, events.Single(e => e.Marker.Label == "recent").SampleIndex);
    }

    [Fact]
    public void Process_MarkerBeforeFirstSample_DroppedBeyondLagElsePlacedOnSampleZero()
    {
        double[] times = Times(100, 100);
        List<AlignedEvent> events = Events(Align(Aligner(EegAndMarkers()),
            [Mark(Mk, 9.5, "early"), Mark(Mk, 9.995, "just-before"), .. Chunked(Eeg, 1, times, null, 10)]));

        AlignedEvent early = events.Single(e => e.Marker.Label == "early");
        Assert.Equal(-1, early.SampleIndex);
        Assert.Equal("marker precedes the first sample of 'eeg' by 500.0 ms", early.DropReason?.ToString());
        Assert.Equal(0, events.Single(e => e.Marker.Label == "just-before").SampleIndex);
    }

    [Fact]
    public void Process_MarkerInTimestampGap_DroppedWithGapReason()
    {
        // Samples 0..99 at 10.00..10.99 s, then a jump: sample 100 is at 11.5 s.
        double[] times = [.. Times(100, 100), .. Times(100, 100, 11.5)];
        List<AlignedEvent> events = Events(Align(Aligner(EegAndMarkers()),
        [
            .. Chunked(Eeg, 1, times, null, 10, 0, 100),
            Mark(Mk, 11.2, "pending-in-gap"),
            Mark(Mk, 10.995, "gap-start"),
            .. Chunked(Eeg, 1, times, null, 10, 100, 200),
            Mark(Mk, 11.3, "late-in-gap"),
            Mark(Mk, 11.495, "gap-end"),
        ]));

        Assert.Equal("marker falls in a data gap of 'eeg' (next sample 300.0 ms later)", events.Single(e => e.Marker.Label == "pending-in-gap").DropReason?.ToString());
        Assert.Equal("marker falls in a data gap of 'eeg' (next sample 505.0 ms later)", events.Single(e => e.Marker.Label == "gap-start").DropReason?.ToString());
        Assert.Equal("marker falls in a data gap of 'eeg' (next sample 200.0 ms later)", events.Single(e => e.Marker.Label == "late-in-gap").DropReason?.ToString());
        Assert.All(events.Where(e => e.DropReason is not null), e => Assert.Equal(-1, e.SampleIndex));
        // 5 ms before the first sample after the gap is within the 2.5-period lag: placed.
        Assert.Equal(100, events.Single(e => e.Marker.Label == "gap-end").SampleIndex);
    }

    [Fact]
    public void Process_TimestampJump_ReportsOneGapWithMissingSampleCount()
    {
        double[] times = [.. Times(100, 100), .. Times(100, 100, 11.5)];
        Aligner aligner = Aligner(EegAndMarkers());
        // Chunk boundary away from the jump, so the gap is detected inside a chunk.
        List<AlignedItem> aligned = Align(aligner, Chunked(Eeg, 1, times, null, 30));

        AlignedItem gap = Assert.Single(aligned, a => a.Kind == AlignedItemKind.Gap);
        Assert.Equal(times[99], gap.Gap.Start);
        Assert.Equal(11.5, gap.Gap.End);
        Assert.Equal(50, gap.Gap.MissingSamples);
        Assert.Equal(100, gap.FirstSampleIndex);
        Assert.Equal(1, aligner.Statistics(Eeg).Gaps);
        Assert.Equal(200, aligner.SampleCount(Eeg));
    }

    [Fact]
    public void Process_StreamEndedWithPendingMarkers_DropsEachWithEndReason()
    {
        StreamRegistry registry = Registry(Signal("eeg", 100), Signal("idle", 100), Markers());
        Aligner aligner = Aligner(registry);
        double[] times = Times(100, 100);
        var output = new List<AlignedItem>();
        foreach (SourceItem item in Chunked(0, 1, times, null, 10).Append(Mark(2, 11.5, "a")).Append(Mark(2, 12.0, "b")))
        {
            aligner.Process(item, output);
        }
        Assert.Equal(2, aligner.PendingMarkers(0));
        Assert.Equal(2, aligner.PendingMarkers(1));
        output.Clear();

        aligner.Process(SourceItem.Ended(0), output);

        Assert.Equal(3, output.Count);
        Assert.All(output.Take(2), a => Assert.Equal("stream 'eeg' ended before the marker time", a.Event.DropReason?.ToString()));
        Assert.Equal(AlignedItemKind.StreamEnded, output[2].Kind);
        Assert.Equal(100, output[2].FirstSampleIndex);
        Assert.Equal(0, aligner.PendingMarkers(0));

        output.Clear();
        aligner.EndAll(output);
        Assert.Equal(2, output.Count(a => a.Kind == AlignedItemKind.Event && a.Event.DropReason?.ToString() == "stream 'idle' had no data"));
    }

    [Fact]
    public void Process_AnyMixOfMarkers_EveryMarkerYieldsExactlyOneEventPerSignalStream()
    {
        StreamRegistry registry = Registry(Signal("eeg", 100), Signal("nirs", 10), Markers());
        var random = new Random(5);
        double[] eeg = [.. Times(1000, 100), .. Times(1000, 100, 25)]; // gap from 19.99 s to 25 s
        double[] nirs = Times(150, 10);
        // The two streams interleaved by time, each in its own order (as sources deliver them).
        List<SourceItem> items = [.. Chunked(0, 1, eeg, null, 17).Concat(Chunked(1, 1, nirs, null, 3)).OrderBy(i => i.Chunk!.FirstTimestamp)];
        // 300 markers from before the data to after its end, inserted at random positions (early, late, after an end).
        for (int m = 0; m < 300; m++)
        {
            items.Insert(random.Next(items.Count + 1), Mark(2, 8 + (random.NextDouble() * 30), $"m{m}"));
        }
        items.Insert(items.Count - 50, SourceItem.Ended(1));

        List<AlignedEvent> events = Events(Align(Aligner(registry, new AlignerOptions { HistorySeconds = 5 }), items));

        Assert.Equal(600, events.Count);
        Assert.All(events.GroupBy(e => (e.Marker.Label, e.SignalStream)), g => Assert.Single(g));
        Assert.Equal(300, events.Count(e => e.SignalStream == 0));
        // The mix exercised placements and several drop reasons.
        Assert.Contains(events, e => e.DropReason is null);
        Assert.Contains(events, e => e.DropReason?.ToString().Contains("data gap", StringComparison.Ordinal) == true);
        Assert.Contains(events, e => e.DropReason?.ToString().Contains("ended before", StringComparison.Ordinal) == true);
        Assert.Contains(events, e => e.DropReason?.ToString().Contains("precedes the first sample", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void Process_SourceReportedGapThenTimestampJump_CountsOneGap()
    {
        Aligner aligner = Aligner(EegAndMarkers());
        double[] before = Times(100, 100);          // 10.00 … 10.99 s
        double[] after = Times(100, 100, 12.0);     // 12.00 … 12.99 s: one second missing
        List<AlignedItem> output = Align(aligner,
        [
            .. Chunked(Eeg, 1, before, null, 10),
            SourceItem.ForGap(new StreamGap(Eeg, before[^1], double.NaN, 0, "LSL stream lost and recovered")),
            .. Chunked(Eeg, 1, after, null, 10),
        ], endAll: false);

        AlignedItem gap = Assert.Single(output, i => i.Kind == AlignedItemKind.Gap);
        Assert.Equal(100, gap.FirstSampleIndex);
        Assert.Equal("LSL stream lost and recovered", gap.Gap.Reason);
        Assert.Equal(1, aligner.Statistics(Eeg).Gaps);
    }

    [Fact]
    public void Process_TimestampJumpWithoutReport_IsStillDetected()
    {
        Aligner aligner = Aligner(EegAndMarkers());
        List<AlignedItem> output = Align(aligner,
        [
            .. Chunked(Eeg, 1, Times(100, 100), null, 10),
            .. Chunked(Eeg, 1, Times(100, 100, 12.0), null, 10),
        ], endAll: false);
        AlignedItem gap = Assert.Single(output, i => i.Kind == AlignedItemKind.Gap);
        Assert.Equal("timestamp jump", gap.Gap.Reason);
        Assert.Equal(100, gap.Gap.MissingSamples);
    }
}
