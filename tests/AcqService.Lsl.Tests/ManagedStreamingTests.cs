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

    [Fact]
    public void PushChunk_LargerThanTheSocketTakesAtOnce_ArrivesCompleteAndInOrder()
    {
        // A pushthrough chunk to an idle consumer is sent by the pushing thread with one non-blocking send. ~200 KB
        // chunks back to back (4 MB in all) fill the loopback socket, so partial sends, queued pushes and the send
        // loop's catching up all mix; the inlet must still see every sample once, in order.
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("big");
        const int channels = 64, big = 800, small = 50, rounds = 20;
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Float32, channels, 1000));
        using ILslInlet inlet = backend.CreateInlet(LslTestStreams.ResolveOne(backend, name), maxBufferedSeconds: 60);
        inlet.Open(s_wait);
        Assert.True(outlet.WaitForConsumers(s_wait));

        int total = (big + small) * rounds;
        int next = 0;
        void Push(int count)
        {
            float[] data = new float[count * channels];
            double[] stamps = new double[count];
            for (int i = 0; i < count; i++, next++)
            {
                data[i * channels] = next;
                data[i * channels + channels - 1] = -next;
                stamps[i] = 10 + next * 0.001;
            }
            outlet.PushChunk(data, stamps);
        }
        for (int r = 0; r < rounds; r++)
        {
            Push(big);
            Push(small);
        }

        (double[] got, double[] times) = LslTestStreams.PullAll(inlet, channels, total, TimeSpan.FromSeconds(20));
        Assert.Equal(total, times.Length);
        for (int i = 0; i < total; i++)
        {
            Assert.Equal(i, got[i * channels]);
            Assert.Equal(-i, got[i * channels + channels - 1]);
            Assert.Equal(10 + i * 0.001, times[i]);
        }
        Assert.Equal(0, inlet.SamplesDropped);
    }
}
