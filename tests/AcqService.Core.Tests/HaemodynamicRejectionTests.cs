using AcqService.Core.Analysis;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;

namespace AcqService.Core.Tests;

/// <summary>Pre/post summaries per condition and region, and rejection of haemodynamic epochs (motion, amplitude) with tagged reasons.</summary>
public sealed class HaemodynamicRejectionTests
{
    private const double Rate = 10.0;
    private static readonly string[] s_labels = ["S1-D1 hbo", "S1-D1 hbr", "S2-D2 hbo", "S2-D2 hbr"];

    private static HaemodynamicEpochRules Rules() => new()
    {
        RejectMotion = true,
        RejectPeakToPeak = 20,
        MotionChannelNames = ["S1-D1 760", "S1-D1 850", "S2-D2 760", "S2-D2 850"],
        Regions = [("all", [0, 1]), ("right", [1])],
    };

    private static AlignedEvent Event(string condition, long frame) =>
        new(new Marker(0, frame / Rate, "needle/insert;kind=" + condition), 0, frame, frame / Rate, frame / Rate, condition, null);

    /// <summary>
    /// After each event a step 2 s later: pair 1 ΔHbO +1 µM / ΔHbR −0.25 µM, pair 2 twice that. Each step stays, so
    /// later epochs start from a raised level, which their baseline removes.
    /// </summary>
    private static double[] Steps(int frames, int[] events)
    {
        var x = new double[frames * 4];
        for (int f = 0; f < frames; f++)
        {
            int n = events.Count(e => f - e >= 20);
            x[(4 * f) + 0] = n * 1.0;
            x[(4 * f) + 1] = n * -0.25;
            x[(4 * f) + 2] = n * 2.0;
            x[(4 * f) + 3] = n * -0.5;
        }
        return x;
    }

    [Fact]
    public void PrePost_PerConditionRegionAndChromophore_AreThePostMinusPreSteps()
    {
        int[] events = [100, 400, 700];
        var avg = new HaemodynamicAverager("nirs", s_labels, Rate, rules: Rules());
        foreach (int e in events)
        {
            avg.AddEvent(Event("real", e));
        }
        double[] x = Steps(1000, events);
        for (int f = 0; f < 1000; f += 10)
        {
            avg.Append(x.AsSpan(4 * f, 40));
        }

        Assert.Equal(3, avg.Accepted);
        Dictionary<(string, string), HaemodynamicConditionSummary> s = avg.Summaries().ToDictionary(x => (x.Region, x.Chromophore));
        Assert.Equal(4, s.Count);
        // Pre −5..0 s: 0 after the baseline; post 5..15 s: the step. "all" averages the two pairs (1 and 2 µM).
        Assert.Equal((3, 0.0, 1.5, 1.5), (s[("all", "hbo")].Events, s[("all", "hbo")].PreMean, s[("all", "hbo")].PostMean, s[("all", "hbo")].Change));
        Assert.Equal(-0.375, s[("all", "hbr")].Change, 12);
        Assert.Equal(2.0, s[("right", "hbo")].Change, 12);
        Assert.Equal(-0.5, s[("right", "hbr")].PostMean, 12);
        Assert.Equal(0.0, s[("right", "hbo")].ChangeStandardError, 12);
        Assert.All(avg.Outcomes, o => Assert.True(o.Accepted));
        Assert.Equal([1, 2, 3], avg.Outcomes.Select(o => o.ConditionCount));
    }

    [Fact]
    public void Rejection_MotionInsideTheEpoch_AndPeakToPeakOverTheLimit_AreDroppedWithTaggedReasons()
    {
        int[] events = [100, 400, 700, 1000];
        double[] x = Steps(1400, events);
        // A 30 µM spike on S1-D1 hbr 3 s after the event at frame 400 (inside its epoch only).
        x[(4 * 430) + 1] += 30;
        short[] motion = new short[1400];
        motion[1020] = 2; // the detector flagged S1-D1 850 two seconds after the event at frame 1000
        var avg = new HaemodynamicAverager("nirs", s_labels, Rate, rules: Rules());
        foreach (int e in events)
        {
            avg.AddEvent(Event("real", e));
        }
        avg.AddEvent(Event("sham", 1300)); // its epoch ends after the data: dropped when the stream ends
        avg.AddEvent(new AlignedEvent(new Marker(0, 1, "mystery"), 0, 10, 1, 1, null, null));
        for (int f = 0; f < 1400; f += 10)
        {
            avg.Append(x.AsSpan(4 * f, 40), motion.AsSpan(f, 10));
        }
        avg.Finish();

        Assert.Equal(2, avg.Accepted);
        Assert.Equal(2, avg.Rejected);
        EpochOutcome[] dropped = [.. avg.Outcomes.Where(o => !o.Accepted)];
        Assert.Equal(4, dropped.Length);
        Assert.All(dropped, o => Assert.True(o.Reason!.Value.Haemodynamic));
        Assert.Contains(dropped, o => o.Reason.ToString() == "haemodynamic epoch: no condition rule matches the marker label");
        Assert.Contains(dropped, o => o.SampleIndex == 400 && o.Reason.ToString() == "haemodynamic epoch: peak-to-peak 30.00 µM on S1-D1 hbr exceeds 20 µM");
        Assert.Contains(dropped, o => o.SampleIndex == 1000 && o.Reason.ToString() == "haemodynamic epoch: motion artefact on S1-D1 850 at +2.0 s");
        Assert.Contains(dropped, o => o.SampleIndex == 1300 && o.Condition == "sham" && o.Reason!.Value.Kind == DropKind.EndedBeforeComplete);
        Assert.Equal(["haemodynamic: motion artefact on S1-D1 850", "haemodynamic: no condition rule matches the marker label",
            "haemodynamic: peak-to-peak over threshold on S1-D1 hbr", "haemodynamic: recording ended before the epoch was complete"],
            dropped.Select(o => o.Reason!.Value.Category).Order());
        // The rejected epochs are not in the average or the pre/post summary: two epochs, each step exactly 1 µM.
        Assert.Equal(2, avg.Averages.Single().Count);
        HaemodynamicConditionSummary all = avg.Summaries().Single(s => s.Region == "all" && s.Chromophore == "hbo");
        Assert.Equal((2, 1.5), (all.Events, all.Change));
        // ERP reasons are untouched by the tag.
        Assert.Equal("peak-to-peak 30.0 µV on Cz exceeds 150 µV", new DropReason(DropKind.PeakToPeak, "eeg", "Cz", 30, 150).ToString());
    }
}

/// <summary>Devices that stream ΔHbO/ΔHbR themselves (Aurora "Hb states", OxySoft O2Hb/HHb) are averaged as they come.</summary>
public sealed class HaemoglobinStreamTests
{
    [Theory]
    [InlineData("aurora")]
    [InlineData("oxysoft")]
    public void DeviceHaemoglobin_IsAveragedWithoutConversion_InMicromolar(string device)
    {
        const double rate = 10;
        // Aurora: frame counter, then per pair nirs_hbo / nirs_hbr typed channels labelled source-detector (unit mM here);
        // OxySoft: receiver/transmitter labels with O2Hb / HHb (µM), plus a gyroscope channel.
        (string Label, string Type, string Unit)[] channels = device == "aurora"
            ? [("frame", "nirs_frame", ""), ("1-1:1", "nirs_hbo", "mM"), ("1-1:1", "nirs_hbr", "mM"), ("2-2:2", "nirs_hbo", "mM"), ("2-2:2", "nirs_hbr", "mM")]
            : [("[1] Rx1 - Tx1 O2Hb", "NIRS", "uM"), ("[1] Rx1 - Tx1 HHb", "NIRS", "uM"), ("[2] Rx2 - Tx2 O2Hb", "NIRS", "uM"), ("[2] Rx2 - Tx2 HHb", "NIRS", "uM"), ("HEADING", "Orientation", "deg")];
        var desc = new System.Xml.Linq.XElement("desc", new System.Xml.Linq.XElement("channels", channels.Select(c =>
            new System.Xml.Linq.XElement("channel", new System.Xml.Linq.XElement("label", c.Label), new System.Xml.Linq.XElement("type", c.Type), new System.Xml.Linq.XElement("unit", c.Unit)))));
        var stream = new StreamDescriptor("nirs", StreamKind.Signal, device, "NIRS", [.. channels.Select(c => new ChannelDescriptor(c.Label, c.Unit, "NIRS"))], rate, ChannelFormat.Float32)
        {
            DescriptionXml = desc.ToString(),
        };
        StreamRegistry registry = TestStreams.Registry(stream);
        var analyzer = new NirsAnalyzer(registry, new HaemoglobinOptions(), new HaemodynamicWindow());
        Assert.True(analyzer.IsActive);
        Assert.Equal(["S1-D1 hbo", "S1-D1 hbr", "S2-D2 hbo", "S2-D2 hbr"], analyzer.OutputLabels("nirs"));

        // A 0.5 µM ΔHbO / −0.2 µM ΔHbR step 2 s after the event at frame 100 (pair 2 twice as large).
        double scale = device == "aurora" ? 1e-3 : 1; // the device's unit per µM
        int hbo1 = device == "aurora" ? 1 : 0;
        int frames = 400;
        double[] times = TestStreams.Times(frames, rate);
        double[] values = new double[frames * 5];
        for (int f = 0; f < frames; f++)
        {
            double step = f >= 120 ? 1 : 0;
            values[(5 * f) + hbo1] = 0.5 * step * scale;
            values[(5 * f) + hbo1 + 1] = -0.2 * step * scale;
            values[(5 * f) + hbo1 + 2] = 1.0 * step * scale;
            values[(5 * f) + hbo1 + 3] = -0.4 * step * scale;
        }
        analyzer.Process(AlignedItem.ForEvent(new AlignedEvent(new Marker(0, times[100], "needle"), 0, 100, times[100], times[100], "insert/real", null)));
        for (int f = 0; f < frames; f += 10)
        {
            analyzer.Process(AlignedItem.ForSamples(TestStreams.Chunk(0, 5, times, values, f, 10), f, 0));
        }

        ConditionAverage average = analyzer.Averages.Single();
        Assert.Equal(1, average.Count);
        int at10s = average.Times.ToList().FindIndex(t => Math.Abs(t - 10) < 1e-9);
        Assert.Equal(0.5, average.MeanOf(0)[at10s], 9);
        Assert.Equal(-0.2, average.MeanOf(1)[at10s], 9);
        Assert.Equal(-0.4, average.MeanOf(3)[at10s], 9);
        HaemodynamicConditionSummary all = analyzer.Summaries.Single(s => s.Region == "all" && s.Chromophore == "hbo");
        Assert.Equal(0.75, all.Change, 9); // post 5..15 s vs pre −5..0 s, mean of the two pairs
    }
}
