using AcqService.Core.Model;
using AcqService.Lsl.Managed;

namespace AcqService.Lsl.Tests;

public class ManagedStreamingTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(5);

    [Fact]
    public void PushChunk_Float32Loopback_InletReceivesExactValuesAndTimestamps()
    {
        var diagnostics = new List<string>();
        using var backend = LslTestStreams.Backend(diagnostics);
        string name = LslTestStreams.UniqueName("f32");
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Float32, 3, 100));
        LslStreamInfo resolved = LslTestStreams.ResolveOne(backend, name);
        Assert.Equal("127.0.0.1", resolved.V4Address);
        using ILslInlet inlet = backend.CreateInlet(resolved);
        inlet.Open(s_wait);
        Assert.True(outlet.WaitForConsumers(s_wait));

        float[] data = [1.5f, -2.25f, 3e-7f, 4f, 5f, 6f];
        double[] stamps = [1000.125, 1000.135];
        outlet.PushChunk(data, stamps);

        (double[] got, double[] times) = LslTestStreams.PullAll(inlet, 3, 2, s_wait);
        Assert.Equal(data.Select(v => (double)v), got);
        Assert.Equal(stamps, times);
    }
}
