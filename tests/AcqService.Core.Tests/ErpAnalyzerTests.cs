using AcqService.Core.Analysis;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Dsp;
using static AcqService.Core.Tests.TestStreams;

namespace AcqService.Core.Tests;

public sealed class ErpAnalyzerTests
{
    // 100 Hz, epochs −0.2..0.8 s: 20 samples before the locked sample, 80 after, 101 points.
    private const double Rate = 100;

    private static StreamRegistry TwoChannels() => Registry(Signal("eeg", Rate, "Cz", "Pz"), Markers());

    private static EpochOptions Unfiltered(Action<EpochOptions>? change = null)
    {
        var options = new EpochOptions();
        options.Filter.Enabled = false;
        change?.Invoke(options);
        return options;
    }

    /// <summary>Two-channel frame-major values from per-channel functions of the sample index.</summary>
    private static double[] Values(int n, Func<int, double> cz, Func<int, double> pz) =>
        [.. Enumerable.Range(0, n).SelectMany(i => new[] { cz(i), pz(i) })];

    private static double Alternating(int i) => i % 2 == 0 ? 1 : -1;

    [Fact]
    public void Process_EpochCompletes_EmittedWithTheChunkHoldingItsLastSampleNotBeforeOrAfter()
    {
        var harness = new ErpHarness(TwoChannels(), Unfiltered());
        double[] times = Times(200, Rate);
        double[] values = Values(200, Alternating, Alternating);
        harness.Feed(Mark(1, times[50]));

        // Locked to sample 50, the epoch ends at sample 130.
        for (int i = 0; i < 200; i++)
        {
            harness.Feed(SourceItem.ForSamples(Chunk(0, 2, times, values, i, 1)));
            Assert.Equal(i < 130 ? 0 : 1, harness.Outcomes.Count);
        }
        EpochOutcome outcome = harness.Outcomes.Single();
        Assert.True(outcome.Accepted, outcome.Reason?.ToString());
        Assert.Equal(50, outcome.SampleIndex);
        Assert.Equal(1, outcome.ConditionCount);
    }

    [Fact]
    public void Process_TwoEpochsCompletingInOneChunk_OutcomesCountBothAndTheAverageHoldsBoth()
    {
        // The Welford update of an accepted epoch is made after its outcome has left (next item, next extraction or a read
        // of Averages). Two epochs ending in the same chunk share the extraction buffer, so the first must be added before
        // the second is copied: outcome counts 1 and 2, and the average is the mean of both epochs.
        var harness = new ErpHarness(TwoChannels(), Unfiltered(o => o.Baseline = false));
        double[] times = Times(300, Rate);
        double[] values = Values(300, i => 0.5 * i, i => i);
        harness.Feed([Mark(1, times[50]), Mark(1, times[53])]);
        // One chunk of 150 frames: both epochs (ending at samples 130 and 133) complete in it.
        harness.Feed(SourceItem.ForSamples(Chunk(0, 2, times, values, 0, 150)));

        Assert.True(harness.Outcomes.All(o => o.Accepted), string.Join("; ", harness.Outcomes.Select(o => o.Reason?.ToString())));
        Assert.Equal([1, 2], harness.Outcomes.Select(o => o.ConditionCount));
        Assert.All(harness.Outcomes, o => Assert.True(o.Accepted, o.Reason?.ToString()));
        ConditionAverage average = Assert.Single(harness.Erp.Averages);
        Assert.Equal(2, average.Count);
        for (int k = 0; k < 101; k++)
        {
            // Epoch 1 at k is sample 30 + k, epoch 2 is sample 33 + k: Pz's mean is 31.5 + k, Cz's half that.
            Assert.Equal(0.5 * (31.5 + k), average.MeanOf(0)[k], 12);
            Assert.Equal(31.5 + k, average.MeanOf(1)[k], 12);
        }
        // Two epochs 1.5 µV apart (Pz 3 µV): sample variance 1.125 (4.5), standard error √(1.125 / 2) = 0.75 (1.5).
        Assert.Equal(0.75, average.StandardError(0, 0), 12);
        Assert.Equal(1.5, average.StandardError(1, 100), 12);
    }

    [Fact]
    public void Process_AcceptedThenDropped_DropCarriesTheCountIncludingTheWaitingEpoch()
    {
        var harness = new ErpHarness(TwoChannels(), Unfiltered(o => o.RejectPeakToPeakMicrovolts = 100));
        double[] times = Times(400, Rate);
        // Sample 200 is a 1000 µV spike: the second epoch (locked to 180) holds it and is rejected.
        double[] values = Values(400, i => i == 200 ? 1000 : i % 2, i => i % 2);
        harness.Feed([Mark(1, times[50]), Mark(1, times[180])]);
        harness.Feed(SourceItem.ForSamples(Chunk(0, 2, times, values, 0, 131)));
        harness.Feed(SourceItem.ForSamples(Chunk(0, 2, times, values, 131, 269)));

        Assert.Equal(2, harness.Outcomes.Count);
        Assert.True(harness.Outcomes[0].Accepted);
        Assert.False(harness.Outcomes[1].Accepted);
        Assert.Equal(1, harness.Outcomes[0].ConditionCount);
        Assert.Equal(1, harness.Outcomes[1].ConditionCount);
        Assert.Equal(1, Assert.Single(harness.Erp.Averages).Count);
    }

    // 37 channels: groups of four vectors of adjacent channels (16 or 32 at a time) and a scalar remainder, in the pass that
    // copies the epoch and takes each channel's peak-to-peak and baseline sum.
    [Theory]
    [InlineData(3, 450.0)]
    [InlineData(20, 300.0)]
    [InlineData(36, 600.0)]
    public void Process_ManyChannels_RejectionNamesTheFirstFailingChannelWithItsPeakToPeak(int spiky, double spike)
    {
        const int channels = 37;
        string[] labels = [.. Enumerable.Range(0, channels).Select(c => $"E{c}")];
        var harness = new ErpHarness(Registry(Signal("eeg", Rate, labels), Markers()), Unfiltered());
        double[] times = Times(300, Rate);
        // Every channel alternates ±(1 + c/10) µV; channel `spiky` adds a spike at sample 100 (inside the epoch at 50),
        // and channel spiky + … never exceeds it.
        double[] values = [.. Enumerable.Range(0, 300).SelectMany(i => Enumerable.Range(0, channels).Select(c =>
            (c == spiky && i == 100 ? spike : 0) + ((i % 2 == 0 ? 1 : -1) * (1 + (c / 10.0)))))];
        harness.Feed([Mark(1, times[50]), .. Chunked(0, channels, times, values, 7)]);

        EpochOutcome outcome = Assert.Single(harness.Outcomes);
        Assert.False(outcome.Accepted);
        Assert.Equal(DropKind.PeakToPeak, outcome.Reason!.Value.Kind);
        Assert.Equal($"E{spiky}", outcome.Reason.Value.Channel);
        // max = spike + … at sample 100 (even: +), min = −(1 + c/10).
        double amplitude = 1 + (spiky / 10.0);
        Assert.Equal((spike + amplitude) + amplitude, outcome.Reason.Value.Value);
    }

    [Fact]
    public void Process_ManyChannels_BaselineOfEveryChannelSubtracted()
    {
        const int channels = 37;
        string[] labels = [.. Enumerable.Range(0, channels).Select(c => $"E{c}")];
        var harness = new ErpHarness(Registry(Signal("eeg", Rate, labels), Markers()), Unfiltered());
        double[] times = Times(300, Rate);
        // Channel c: a ramp of slope (c + 1)/100 µV per sample from sample 0 (peak-to-peak 1–37 µV: neither flat nor rejected).
        double[] values = [.. Enumerable.Range(0, 300).SelectMany(i => Enumerable.Range(0, channels).Select(c => i * (c + 1) / 100.0))];
        harness.Feed([Mark(1, times[50]), .. Chunked(0, channels, times, values, 13)]);

        ConditionAverage average = Assert.Single(harness.Erp.Averages);
        Assert.Equal(1, average.Count);
        for (int c = 0; c < channels; c++)
        {
            // Epoch point k is sample 30 + k; the baseline (samples 30..50) averages to sample 40.
            double slope = (c + 1) / 100.0;
            for (int k = 0; k < 101; k += 10)
            {
                Assert.Equal(slope * (k - 10), average.MeanOf(c)[k], 9);
            }
        }
    }

    [Fact]
    public void Process_AcceptedEpoch_BaselineMeanOfPreMarkerIntervalSubtracted()
    {
        var harness = new ErpHarness(TwoChannels(), Unfiltered());
        double[] times = Times(200, Rate);
        // Cz: ramp i µV; Pz: 3 µV stepping to 10 µV at the marker sample.
        double[] values = Values(200, i => i, i => i >= 50 ? 10 : 3);
        harness.Feed([.. Chunked(0, 2, times, values, 9), Mark(1, times[50])]);

        ConditionAverage average = Assert.Single(harness.Erp.Averages);
        Assert.Equal(1, average.Count);
        Assert.Equal(101, average.TimePoints);
        Assert.Equal(-0.2, average.Times[0], 12);
        Assert.Equal(0.0, average.Times[20], 12);
        Assert.Equal(0.8, average.Times[100], 12);
        // Baseline of Cz = mean(30..50) = 40, so the epoch is k − 10.
        for (int k = 0; k < 101; k++)
        {
            Assert.Equal(k - 10, average.MeanOf(0)[k], 12);
        }
        // Baseline of Pz = (20 × 3 + 10) / 21.
        double pzBaseline = 70.0 / 21;
        Assert.Equal(3 - pzBaseline, average.MeanOf(1)[0], 12);
        Assert.Equal(3 - pzBaseline, average.MeanOf(1)[19], 12);
        Assert.Equal(10 - pzBaseline, average.MeanOf(1)[20], 12);
        Assert.Equal(10 - pzBaseline, average.MeanOf(1)[100], 12);
    }

    [Fact]
    public void Process_PeakToPeakAboveLimit_DroppedNamingChannelAndValue()
    {
        var harness = new ErpHarness(TwoChannels(), Unfiltered());
        double[] times = Times(200, Rate);
        double[] values = Values(200, i => i == 60 ? 200 : Alternating(i), Alternating);
        harness.Feed([.. Chunked(0, 2, times, values, 10), Mark(1, times[50])]);

        EpochOutcome outcome = Assert.Single(harness.Outcomes);
        Assert.False(outcome.Accepted);
        Assert.Equal("peak-to-peak 201.0 µV on Cz exceeds 150 µV", outcome.Reason?.ToString());
        Assert.Empty(harness.Erp.Averages);
        Assert.Equal(1, harness.Erp.Dropped);
    }

    [Fact]
    public void Process_FlatChannel_DroppedNamingChannelAndValue()
    {
        var harness = new ErpHarness(TwoChannels(), Unfiltered());
        double[] times = Times(200, Rate);
        double[] values = Values(200, Alternating, i => i == 100 ? 4.3 : 4.0);
        harness.Feed([.. Chunked(0, 2, times, values, 10), Mark(1, times[50])]);

        EpochOutcome outcome = Assert.Single(harness.Outcomes);
        Assert.False(outcome.Accepted);
        Assert.Equal("flat: peak-to-peak 0.300 µV on Pz below 0.5 µV", outcome.Reason?.ToString());
    }

    [Fact]
    public void Process_GapInsideEpoch_DroppedButEpochStartingAtGapAccepted()
    {
        var harness = new ErpHarness(TwoChannels(), Unfiltered());
        // Samples 0..99 at 10.00..10.99 s, sample 100 onwards from 11.5 s.
        double[] times = [.. Times(100, Rate), .. Times(300, Rate, 11.5)];
        double[] values = Values(400, Alternating, Alternating);
        harness.Feed([.. Chunked(0, 2, times, values, 10), Mark(1, times[50], "stim-a"), Mark(1, times[120], "stim-b"), Mark(1, times[119], "stim-c")]);

        Assert.Equal("data gap inside the epoch", harness.Outcomes.Single(o => o.Marker.Label == "stim-a").Reason?.ToString());
        // Locked to 120 the epoch starts at sample 100, the first after the gap: no gap inside.
        Assert.True(harness.Outcomes.Single(o => o.Marker.Label == "stim-b").Accepted);
        // Locked to 119 it starts at 99, the last sample before the gap.
        Assert.Equal("data gap inside the epoch", harness.Outcomes.Single(o => o.Marker.Label == "stim-c").Reason?.ToString());
    }

    [Fact]
    public void Process_EpochDataNoLongerBuffered_DroppedAsTooLate()
    {
        // 2 s of ERP history at 100 Hz is a 256-frame ring; the aligner still has 60 s of timestamps.
        var harness = new ErpHarness(TwoChannels(), Unfiltered(o => o.HistorySeconds = 2));
        double[] times = Times(1000, Rate);
        double[] values = Values(1000, Alternating, Alternating);
        harness.Feed([.. Chunked(0, 2, times, values, 10), Mark(1, times[100], "stim-old"), Mark(1, times[900], "stim-new")]);

        EpochOutcome old = harness.Outcomes.Single(o => o.Marker.Label == "stim-old");
        Assert.Equal(100, old.SampleIndex);
        Assert.Equal("marker placed too late: epoch data older than the 2 s buffer", old.Reason?.ToString());
        Assert.True(harness.Outcomes.Single(o => o.Marker.Label == "stim-new").Accepted);
    }

    [Fact]
    public void Process_RecordingEndsBeforeEpochComplete_Dropped()
    {
        var harness = new ErpHarness(TwoChannels(), Unfiltered());
        double[] times = Times(100, Rate);
        harness.Feed([.. Chunked(0, 2, times, Values(100, Alternating, Alternating), 10), Mark(1, times[50])]);
        Assert.Empty(harness.Outcomes);

        harness.End();

        EpochOutcome outcome = Assert.Single(harness.Outcomes);
        Assert.Equal("recording ended before the epoch was complete", outcome.Reason?.ToString());
        Assert.Equal(50, outcome.SampleIndex);
    }

    [Fact]
    public void Process_MarkerWithoutCondition_DroppedWithReason()
    {
        var harness = new ErpHarness(TwoChannels(), Unfiltered());
        double[] times = Times(200, Rate);
        harness.Feed([.. Chunked(0, 2, times, Values(200, Alternating, Alternating), 10), Mark(1, times[50], "unrelated")]);

        EpochOutcome outcome = Assert.Single(harness.Outcomes);
        Assert.Null(outcome.Condition);
        Assert.Equal("no condition rule matches the marker label", outcome.Reason?.ToString());
    }

    [Fact]
    public void Process_EpochBeforeFirstSample_Dropped()
    {
        var harness = new ErpHarness(TwoChannels(), Unfiltered());
        double[] times = Times(200, Rate);
        harness.Feed([.. Chunked(0, 2, times, Values(200, Alternating, Alternating), 10), Mark(1, times[19])]);

        Assert.Equal("epoch would start before the first sample of the stream", Assert.Single(harness.Outcomes).Reason?.ToString());
    }

    [Theory]
    [InlineData(3, 30.0, 37)]
    // Five channels (a vector block plus one) and a 4 s history (a 1024-frame ring): chunks are scaled and filtered in
    // the ring itself, so chunks that straddle the ring's end are filtered in two pieces, many times over 20 s.
    [InlineData(5, 4.0, 37)]
    // A 1 s history is a 256-frame ring for 251-frame epochs: the chunk after an accepted epoch overwrites its first
    // frames, so the deferred copy of the epoch out of the ring must come before that chunk is appended.
    [InlineData(3, 1.0, 4)]
    public void Process_ChunkedFilteredPipeline_EqualsOneShotSosFilterOfWholeSignal(int channels, double historySeconds, int maxChunk)
    {
        const double rate = 250;
        const int n = 5000;
        string[] labels = [.. new[] { "Fz", "Cz", "Pz", "C3", "C4" }.Take(channels)];
        var options = new EpochOptions { RejectPeakToPeakMicrovolts = null, FlatPeakToPeakMicrovolts = null, HistorySeconds = historySeconds };
        var harness = new ErpHarness(Registry(Signal("eeg", rate, labels), Markers()), options);
        var random = new Random(42);
        double[] times = Times(n, rate);
        // DC offsets, alpha, mains and noise: every part of the default band-pass + notch is exercised.
        double[] values = [.. Enumerable.Range(0, n).SelectMany(i => labels.Select((_, c) =>
            (40 * (c + 1)) + (10 * Math.Sin(2 * Math.PI * 10 * i / rate)) + (5 * Math.Sin(2 * Math.PI * 50 * i / rate)) + (random.NextDouble() * 20)))];
        int[] locks = [600, 1111, 2000, 2345, 3999, 4700];
        var items = new List<SourceItem>();
        int at = 0;
        while (at < n)
        {
            int frames = Math.Min(1 + random.Next(maxChunk), n - at);
            items.Add(SourceItem.ForSamples(Chunk(0, channels, times, values, at, frames)));
            at += frames;
        }
        foreach (int s in locks)
        {
            // Anywhere in the recording with the long history; with the short one, within a few chunks of its sample,
            // so that its epoch is still in the ring when the marker arrives.
            int near = items.FindIndex(i => i.Chunk is { } chunk && chunk.LastTimestamp >= times[s]);
            int index = historySeconds >= 30 ? random.Next(items.Count) : Math.Max(0, near - random.Next(3));
            items.Insert(index, Mark(1, times[s]));
        }
        harness.Feed(items);
        harness.End();

        // Offline: the same DC start-up correction, then one sosfilt call over the whole recording.
        double[] filtered = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            filtered[i] = values[i] - values[i % channels];
        }
        new SosFilter(options.Filter.Design(rate)!, channels).Process(filtered);
        double[] expected = new double[channels * 251];
        foreach (int s in locks)
        {
            for (int c = 0; c < channels; c++)
            {
                double baseline = Enumerable.Range(s - 50, 51).Average(i => filtered[(i * channels) + c]);
                for (int k = 0; k < 251; k++)
                {
                    expected[(c * 251) + k] += (filtered[((s - 50 + k) * channels) + c] - baseline) / locks.Length;
                }
            }
        }

        ConditionAverage average = Assert.Single(harness.Erp.Averages);
        Assert.Equal(locks.Length, average.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(average.Mean[i] - expected[i]) < 1e-9, $"point {i}: {average.Mean[i]} vs {expected[i]}");
        }
        Assert.True(expected.Max(Math.Abs) > 1, "the comparison must not be between near-zero signals");
    }

    [Theory]
    [InlineData(3, 7)]
    [InlineData(16, 1001)]
    public void Add_WithRowOffsets_EqualsSubtractingFirst_BitForBit(int channels, int points)
    {
        // The baseline is subtracted inside the average's update (off the outcome's path); the values must be exactly
        // those of subtracting it first and adding the corrected epoch. Row lengths that are not whole vectors included.
        var random = new Random(channels * points);
        string[] labels = [.. Enumerable.Range(0, channels).Select(c => "E" + c)];
        double[] times = [.. Enumerable.Range(0, points).Select(k => k * 0.001)];
        var fused = new ConditionAverage("c", "eeg", labels, times);
        var separate = new ConditionAverage("c", "eeg", labels, times);
        for (int e = 0; e < 6; e++)
        {
            double[] epoch = [.. Enumerable.Range(0, channels * points).Select(_ => 300 + ((random.NextDouble() - 0.5) * 80))];
            double[] offsets = [.. Enumerable.Range(0, channels).Select(_ => 300 + ((random.NextDouble() - 0.5) * 10))];
            double[] corrected = [.. epoch.Select((v, i) => v - offsets[i / points])];
            fused.Add(epoch, offsets);
            separate.Add(corrected);
        }
        var seFused = new double[channels * points];
        var seSeparate = new double[channels * points];
        fused.StandardErrors(seFused);
        separate.StandardErrors(seSeparate);
        for (int i = 0; i < seFused.Length; i++)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(separate.Mean[i]), BitConverter.DoubleToInt64Bits(fused.Mean[i]));
            Assert.Equal(BitConverter.DoubleToInt64Bits(seSeparate[i]), BitConverter.DoubleToInt64Bits(seFused[i]));
        }
        // The offsets really were applied (the corrected means are near zero, the raw ones near 300).
        Assert.InRange(fused.Mean[0], -60, 60);
        Assert.Throws<ArgumentException>(() => fused.Add(new double[channels * points], new double[channels + 1]));
    }

    [Fact]
    public void Add_RandomEpochs_MeanAndStandardErrorEqualDirectComputation()
    {
        var random = new Random(9);
        const int channels = 3, points = 7, epochs = 25;
        var average = new ConditionAverage("c", "eeg", ["a", "b", "c"], [.. Enumerable.Range(0, points).Select(k => k * 0.01)]);
        double[][] data = [.. Enumerable.Range(0, epochs).Select(_ => Enumerable.Range(0, channels * points).Select(_ => 1000 + (random.NextDouble() * 50)).ToArray())];

        average.Add(data[0]);
        Assert.True(double.IsNaN(average.StandardError(0, 0)));
        var all = new double[channels * points];
        average.StandardErrors(all);
        Assert.All(all, v => Assert.True(double.IsNaN(v)));
        foreach (double[] epoch in data.Skip(1))
        {
            average.Add(epoch);
        }

        // The whole-array form (vector lanes, 21 points = whole vectors and a remainder) gives the per-point values bit for bit.
        average.StandardErrors(all);
        for (int i = 0; i < all.Length; i++)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(average.StandardError(i / points, i % points)), BitConverter.DoubleToInt64Bits(all[i]));
        }
        Assert.Throws<ArgumentException>(() => average.StandardErrors(new double[all.Length - 1]));

        Assert.Equal(epochs, average.Count);
        for (int c = 0; c < channels; c++)
        {
            for (int k = 0; k < points; k++)
            {
                double[] column = [.. data.Select(e => e[(c * points) + k])];
                double mean = column.Average();
                double sd = Math.Sqrt(column.Sum(v => (v - mean) * (v - mean)) / (epochs - 1));
                Assert.Equal(mean, average.MeanOf(c)[k], 9);
                Assert.Equal(sd / Math.Sqrt(epochs), average.StandardError(c, k), 9);
            }
        }
    }
}
