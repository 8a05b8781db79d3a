using AcqService.Core.Model;

namespace AcqService.Lsl.Tests;

public class TimeSyncTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(5);

    [Fact]
    public void TimeCorrection_SameMachine_IsCloseToZero()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("tc0");
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Float32, 1, 10));
        using ILslInlet inlet = backend.CreateInlet(LslTestStreams.ResolveOne(backend, name));
        double correction = inlet.TimeCorrection(s_wait);
        Assert.InRange(correction, -0.002, 0.002);
    }

    [Fact]
    public void TimeCorrection_OutletClockShifted_RecoversOffsetWithin5ms()
    {
        using var outletSide = LslTestStreams.Backend(clockOffset: 1.5);
        using var inletSide = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("tc15");
        using ILslOutlet outlet = outletSide.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Float32, 1, 10));
        using ILslInlet inlet = inletSide.CreateInlet(LslTestStreams.ResolveOne(inletSide, name));
        double correction = inlet.TimeCorrection(s_wait);
        // local − remote: the remote clock is 1.5 s ahead.
        Assert.InRange(correction, -1.5 - 0.005, -1.5 + 0.005);
    }

    [Fact]
    public void TimeCorrection_NoReply_ThrowsTimeout()
    {
        using var backend = LslTestStreams.Backend();
        var info = LslTestStreams.Info(LslTestStreams.UniqueName("tcx"), ChannelFormat.Float32, 1, 10);
        info.Uid = Guid.NewGuid().ToString();
        info.V4Address = "127.0.0.1";
        info.V4DataPort = 9;
        info.V4ServicePort = 9;
        using ILslInlet inlet = backend.CreateInlet(info, recover: false);
        Assert.ThrowsAny<Exception>(() => inlet.TimeCorrection(TimeSpan.FromMilliseconds(800)));
    }
}
