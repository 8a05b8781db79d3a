using AcqService.Core.Model;
using System.Diagnostics;
using System.Net.Sockets;

namespace AcqService.Lsl.Tests;

public class LifecycleTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData("LSL:streamfeed\r\n3600 0\r\n\r\n")]
    [InlineData("LSL:streamfeed/110\r\nValue-Size: 8\r\nMax-Buffer-Length: 10\r\n\r\n")]
    [InlineData("LSL:streamfeed/110\r\nHas-IEEE754-Floats: true\r\nMax-Buffer-Length: 10\r\n\r\n")]
    public void Outlet_RequestNeedingProtocol100_IsClosedCleanlyWithDiagnostic(string request)
    {
        var diagnostics = new List<string>();
        using var backend = LslTestStreams.Backend(diagnostics);
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(LslTestStreams.UniqueName("p100"), ChannelFormat.Float32, 1, 0));
        using Socket client = RawPeer.Connect(outlet.Info.V4DataPort);
        RawPeer.Send(client, request);
        Assert.Empty(RawPeer.ReadToEnd(client));
        Assert.True(SpinWait.SpinUntil(() => { lock (diagnostics) { return diagnostics.Any(d => d.Contains("protocol 100", StringComparison.Ordinal)); } }, s_wait));
    }

    [Fact]
    public void Dispose_StreamingOutletAndInlet_CompletesWithinBoundedTime()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("dispose");
        ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Float32, 1, 100));
        ILslInlet inlet = backend.CreateInlet(LslTestStreams.ResolveOne(backend, name));
        inlet.Open(s_wait);
        Assert.True(outlet.WaitForConsumers(s_wait));
        Assert.Equal(1.0, inlet.TimeCorrection(s_wait) + 1.0, 2);
        outlet.PushChunk([1f], [1.0]);
        var watch = Stopwatch.StartNew();
        inlet.Dispose();
        outlet.Dispose();
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2.5));
        Assert.Throws<ObjectDisposedException>(() => outlet.PushChunk([1f], [1.0]));
    }
}
