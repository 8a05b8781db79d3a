using AcqService.Core.Analysis;

namespace AcqService.Core.Tests;

public sealed class HaemodynamicAveragerTests
{
    private const double Rate = 10.0;

    // Response shape (µM) starting at the event: a 0..20 s half sine.
    private static double Response(double t) => t < 0 || t > 20 ? 0.0 : Math.Sin(Math.PI * t / 20);

    /// <summary>Two channels: ch0 = offset + a·response, ch1 = −0.4·a·response; events at the given frames with amplitudes.</summary>
    private static double[] Signal(int frames, (int Frame, double Amplitude)[] events, double offset)
    {
        var x = new double[frames * 2];
        for (int i = 0; i < frames; i++)
        {
            double r = events.Sum(e => e.Amplitude * Response((i - e.Frame) / Rate));
            x[2 * i] = offset + r + (0.01 * i / Rate); // slow drift: the per-epoch baseline removes its level
            x[(2 * i) + 1] = -0.4 * r;
        }

        return x;
    }

    [Fact]
    public void TwoEpochs_MeanAndStandardErrorAreExact()
    {
        (int, double)[] events = [(100, 1.0), (400, 2.0)];
        double[] x = Signal(800, events, offset: 3.0);
        var avg = new HaemodynamicAverager("hb", ["S1-D1 hbo", "S1-D1 hbr"], Rate);
        Assert.Equal(251, avg.Times.Count);
        Assert.Equal(-5.0, avg.Times[0], 12);
        Assert.Equal(20.0, avg.Times[^1], 12);
        avg.AddEvent("needle", 100);
        avg.AddEvent("needle", 400);
        int completed = 0;
        for (int f = 0; f < 800; f += 7)
        {
            int n = Math.Min(7, 800 - f);
            completed += avg.Append(x.AsSpan(f * 2, n * 2));
        }

        Assert.Equal(2, completed);
        Assert.Equal(2, avg.Accepted);
        ConditionAverage a = Assert.Single(avg.Averages);
        Assert.Equal("needle", a.Condition);
        Assert.Equal(2, a.Count);
        // Baseline −5..0 s: response is 0 there except at t = 0 (sin 0 = 0), the drift averages to its value at −2.5 s.
        for (int k = 0; k < 251; k++)
        {
            double t = avg.Times[k];
            double expected0 = (1.5 * Response(t)) + (0.01 * (t + 2.5));
            Assert.Equal(expected0, a.MeanOf(0)[k], 9);
            Assert.Equal(-0.6 * Response(t), a.MeanOf(1)[k], 9);
            // SE of two values a, b is |a − b| / 2: the two responses differ by 1·response (ch0) and 0.4·response (ch1).
            Assert.Equal(0.5 * Response(t), a.StandardError(0, k), 9);
            Assert.Equal(0.2 * Response(t), a.StandardError(1, k), 9);
        }
    }

    [Fact]
    public void EventsTooEarlyOrTooLate_AreDropped_AndEpochsWaitForTheirLastFrame()
    {
        double[] x = Signal(2000, [], offset: 1.0);
        var avg = new HaemodynamicAverager("hb", ["a", "b"], Rate, historySeconds: 60);
        avg.AddEvent("x", 30);                      // starts at frame −20: before the stream
        Assert.Equal(1, avg.Dropped);
        avg.Append(x.AsSpan(0, 1000 * 2));
        avg.AddEvent("x", 100);                     // frame 50 already overwritten (history 601 frames)
        Assert.Equal(2, avg.Dropped);
        avg.AddEvent("y", 900);                     // needs frames 850..1100
        Assert.Equal(1, avg.Pending);
        Assert.Equal(0, avg.Append(x.AsSpan(1000 * 2, 100 * 2)));   // up to frame 1099
        Assert.Equal(1, avg.Append(x.AsSpan(1100 * 2, 2)));         // frame 1100 completes it
        Assert.Equal(0, avg.Pending);
        Assert.Equal(1, avg.Accepted);
        Assert.Equal("y", Assert.Single(avg.Averages).Condition);
        Assert.Throws<ArgumentException>(() => new HaemodynamicAverager("hb", ["a"], Rate, baselineStartSeconds: -6));
        Assert.Throws<ArgumentException>(() => new HaemodynamicAverager("hb", ["a"], Rate, tminSeconds: 1, tmaxSeconds: 1));
    }

    [Fact]
    public void Append_SteadyState_AllocatesNothing()
    {
        double[] x = Signal(3000, [], offset: 0.5);
        var avg = new HaemodynamicAverager("hb", ["a", "b"], Rate);
        // Warm-up completes three epochs: the condition exists and the completion path has been through the JIT's
        // tier-up (measured: with a single warm-up epoch the second completion shows a one-off 8 KB runtime allocation).
        avg.AddEvent("n", 100);
        avg.AddEvent("n", 400);
        avg.AddEvent("n", 700);
        for (int f = 0; f < 1000; f += 10)
        {
            avg.Append(x.AsSpan(f * 2, 20));
        }

        avg.AddEvent("n", 1500);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int f = 1000; f < 3000; f += 10)
        {
            avg.Append(x.AsSpan(f * 2, 20));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(4, avg.Accepted);
    }
}
