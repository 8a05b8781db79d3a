namespace AcqService.Xdf.Tests;

public sealed class XdfDejitterTests
{
    [Fact]
    public void Apply_JitteredRegularStream_RestoresTheLineAndRate()
    {
        var random = new Random(3);
        var stamps = Enumerable.Range(0, 2000).Select(i => 50 + (i / 250.0) + ((random.NextDouble() - 0.5) * 2e-3)).ToArray();

        var result = XdfDejitter.Apply(stamps, 250);

        Assert.Equal([new XdfSegment(0, 1999)], result.Segments);
        Assert.Equal(250, result.EffectiveSrate, 0.05);
        Assert.Equal(50, stamps[0], 1e-3);
        var diffs = stamps.Zip(stamps.Skip(1), (a, b) => b - a).ToArray();
        Assert.Equal(diffs.Max(), diffs.Min(), 1e-9);
    }

    [Fact]
    public void Apply_BreakLongerThanThreshold_SplitsAndWeightsTheRate()
    {
        var first = Enumerable.Range(0, 100).Select(i => i / 100.0);
        var second = Enumerable.Range(0, 50).Select(i => 10 + (i / 50.0));
        var stamps = first.Concat(second).ToArray();

        var result = XdfDejitter.Apply(stamps, 100);

        Assert.Equal([new XdfSegment(0, 99), new XdfSegment(100, 149)], result.Segments);
        // (99 + 49) samples over (0.99 + 0.98) s.
        Assert.Equal(148 / 1.97, result.EffectiveSrate, 1e-9);
    }

    [Fact]
    public void DetectSegments_LowRate_UsesTheSampleThreshold()
    {
        // At 1 Hz the threshold is max(1 s, 500 s) = 500 s, so a 100 s gap is not a break.
        double[] stamps = [0, 1, 2, 102, 103];

        Assert.Equal([new XdfSegment(0, 4)], XdfDejitter.DetectSegments(stamps, 1));
    }

    [Fact]
    public void FitSegment_SingleSample_ReturnsItWithZeroSlope()
    {
        Assert.Equal((7.5, 0.0), XdfDejitter.FitSegment([7.5], 3));
    }

    [Fact]
    public void RawEffectiveSrate_TwoSamples_IsOneOverTheInterval()
    {
        Assert.Equal(4, XdfDejitter.RawEffectiveSrate([1.0, 1.25]), 1e-12);
        Assert.Equal(0, XdfDejitter.RawEffectiveSrate([1.0]));
    }
}
