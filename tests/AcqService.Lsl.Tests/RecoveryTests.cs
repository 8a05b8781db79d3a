using AcqService.Core.Model;

namespace AcqService.Lsl.Tests;

public class RecoveryTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(5);

    [Fact]
    public void Inlet_OutletRecreatedWithSameSourceId_RecoversAndDataContinues()
    {
        var diagnostics = new List<string>();
        using var backend = LslTestStreams.Backend(diagnostics);
        string name = LslTestStreams.UniqueName("rec");
        string sourceId = LslTestStreams.UniqueName("src");
        LslStreamInfo info = LslTestStreams.Info(name, ChannelFormat.Float32, 2, 100, sourceId);
        ILslOutlet first = backend.CreateOutlet(info);
        using ILslInlet inlet = backend.CreateInlet(LslTestStreams.ResolveOne(backend, name));
        inlet.Open(s_wait);
        Assert.True(first.WaitForConsumers(s_wait));
        first.PushChunk([1f, 2f], [10.0]);
        LslTestStreams.PullAll(inlet, 2, 1, s_wait);

        first.Dispose();
        using ILslOutlet second = backend.CreateOutlet(info);
        Assert.NotEqual(first.Info.Uid, second.Info.Uid);
        Assert.True(second.WaitForConsumers(TimeSpan.FromSeconds(10)));
        second.PushChunk([3f, 4f], [20.0]);
        (double[] data, double[] times) = LslTestStreams.PullAll(inlet, 2, 1, s_wait);
        Assert.Equal([3.0, 4.0], data);
        Assert.Equal(20.0, times[0]);
        Assert.Equal(1, inlet.TakeRecoveryCount());
        Assert.Equal(0, inlet.TakeRecoveryCount());
    }

    [Fact]
    public void Inlet_OutletWithoutSourceIdCloses_PullThrowsStreamLost()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("lost");
        ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Float32, 1, 100));
        using ILslInlet inlet = backend.CreateInlet(LslTestStreams.ResolveOne(backend, name));
        inlet.Open(s_wait);
        Assert.True(outlet.WaitForConsumers(s_wait));
        outlet.PushChunk([7f], [1.0]);
        LslTestStreams.PullAll(inlet, 1, 1, s_wait);
        outlet.Dispose();
        double[] data = new double[1];
        double[] times = new double[1];
        Assert.Throws<LslStreamLostException>(() =>
        {
            long deadline = Environment.TickCount64 + 5000;
            while (Environment.TickCount64 < deadline)
            {
                inlet.PullChunk(data, times, TimeSpan.FromMilliseconds(200));
            }
        });
        Assert.Throws<LslStreamLostException>(() => inlet.TimeCorrection(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Inlet_RecoverDisabled_LossThrowsEvenWithSourceId()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("norec");
        ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Int8, 1, 0, sourceId: LslTestStreams.UniqueName("s")));
        using ILslInlet inlet = backend.CreateInlet(LslTestStreams.ResolveOne(backend, name), recover: false);
        inlet.Open(s_wait);
        outlet.Dispose();
        Assert.True(SpinWait.SpinUntil(() =>
        {
            try
            {
                inlet.PullChunk(new double[1], new double[1], TimeSpan.FromMilliseconds(100));
                return false;
            }
            catch (LslStreamLostException)
            {
                return true;
            }
        }, s_wait));
    }
}
