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
