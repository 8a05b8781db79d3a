namespace AcqService.Xdf.Tests;

public sealed class XdfClockSyncTests
{
    [Fact]
    public void RobustFit_ExactLine_RecoversInterceptAndSlope()
    {
        var times = Enumerable.Range(0, 50).Select(i => 1000 + (5.0 * i)).ToArray();
        var values = times.Select(t => 0.25 + (2e-6 * t)).ToArray();

        var fit = XdfClockSync.RobustFit(times, values);

        Assert.Equal(0.25, fit.Intercept, 1e-9);
        Assert.Equal(2e-6, fit.Slope, 1e-12);
    }

    [Fact]
    public void RobustFit_OneWildOutlier_IsIgnoredUnlikeLeastSquares()
    {
        var times = Enumerable.Range(0, 40).Select(i => 5.0 * i).ToArray();
        var values = times.Select(t => -0.002 + (1e-6 * t)).ToArray();
        values[20] += 0.5;

        var fit = XdfClockSync.RobustFit(times, values);
        var olsIntercept = values.Average() - (1e-6 * times.Average());

        Assert.Equal(-0.002, fit.Intercept, 1e-5);
        Assert.Equal(1e-6, fit.Slope, 1e-7);
        Assert.True(Math.Abs(olsIntercept - -0.002) > 0.01);
    }

    [Fact]
    public void RobustFit_IdenticalTimes_FallsBackToZero()
    {
        Assert.Equal(default, XdfClockSync.RobustFit([3.0, 3.0, 3.0], [1.0, 2.0, 3.0]));
    }

    [Fact]
    public void DetectClockResets_BackwardTime_SplitsThere()
    {
        double[] times = [100, 105, 110, 115, 2, 7, 12];
        double[] values = [-1, -1, -1, -1, -1, -1, -1];

        Assert.Equal([new XdfSegment(0, 3), new XdfSegment(4, 6)], XdfClockSync.DetectClockResets(times, values));
    }

    [Fact]
    public void DetectClockResets_TimeJumpWithoutValueJump_DoesNotSplit()
    {
        double[] times = [0, 5, 10, 15, 20, 60, 65, 70, 75, 80];
        var values = times.Select(_ => 0.001).ToArray();

        Assert.Equal([new XdfSegment(0, 9)], XdfClockSync.DetectClockResets(times, values));
    }

    [Fact]
    public void DetectClockResets_TimeAndValueJump_Splits()
    {
        double[] times = [0, 5, 10, 15, 20, 60, 65, 70, 75, 80];
        double[] values = [0, 0, 0, 0, 0, 500, 500, 500, 500, 500];

        Assert.Equal([new XdfSegment(0, 4), new XdfSegment(5, 9)], XdfClockSync.DetectClockResets(times, values));
    }

    [Fact]
    public void Synchronize_TwoRanges_AssignsSamplesToTheNearestRange()
    {
        double[] clockTimes = [100, 105, 110, 2, 7, 12];
        double[] clockValues = [-50, -50, -50, 1000, 1000, 1000];
        double[] stamps = [99, 104, 111, 1, 6, 13];

        var segments = XdfClockSync.Synchronize(stamps, clockTimes, clockValues);

        Assert.Equal([new XdfSegment(0, 2), new XdfSegment(3, 5)], segments);
        Assert.Equal([49, 54, 61, 1001, 1006, 1013], stamps.Select(t => Math.Round(t, 6)));
    }

    [Fact]
    public void Synchronize_NoOffsets_LeavesTimestampsAlone()
    {
        double[] stamps = [1, 2, 3];

        Assert.Empty(XdfClockSync.Synchronize(stamps, [], []));
        Assert.Equal([1.0, 2, 3], stamps);
    }

    [Fact]
    public void IsLastOffsetAnomalous_LateOutlier_IsDetected()
    {
        double[] times = [0, 5, 10, 15, 20, 500];
        double[] values = [0.001, 0.001, 0.0011, 0.001, 0.0009, 0.001];

        Assert.True(XdfClockSync.IsLastOffsetAnomalous(times, values));
        Assert.False(XdfClockSync.IsLastOffsetAnomalous(times[..5], values[..5]));
    }
}
