using AcqService.Core.Model;
using AcqService.Lsl.Managed;

namespace AcqService.Lsl.Tests;

public class ManagedFormatTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(5);

    public static TheoryData<ChannelFormat, long[]> IntegerCases => new()
    {
        { ChannelFormat.Int8, [-128, 127, 0, -1] },
        { ChannelFormat.Int16, [short.MinValue, short.MaxValue, 1234, -4321] },
        { ChannelFormat.Int32, [int.MinValue, int.MaxValue, 65537, -7] },
        { ChannelFormat.Int64, [-(1L << 53), 1L << 53, 2147483653, -2147483654] },
        { ChannelFormat.Double64, [-(1L << 52), 3, 16777221, -16777222] },
        { ChannelFormat.Float32, [-(1 << 24), 1 << 24, 4, -5] },
    };

    [Theory]
    [MemberData(nameof(IntegerCases))]
    public void PushChunk_EveryNumericFormat_RoundTripsExactValuesAndTimestamps(ChannelFormat format, long[] values)
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("fmt-" + format);
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, format, 2, 250));
        using ILslInlet inlet = backend.CreateInlet(LslTestStreams.ResolveOne(backend, name));
        inlet.Open(s_wait);
        Assert.True(outlet.WaitForConsumers(s_wait));

        double[] stamps = [5000.5, 5000.75];
        outlet.PushChunk(values, stamps);
        (double[] got, double[] times) = LslTestStreams.PullAll(inlet, 2, 2, s_wait);
        Assert.Equal(values.Select(v => (double)v), got);
        Assert.Equal(stamps, times);
    }

    [Fact]
    public void PushChunk_Double64Values_RoundTripBitExact()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("d64");
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Double64, 3, 0));
        using ILslInlet inlet = backend.CreateInlet(LslTestStreams.ResolveOne(backend, name));
        inlet.Open(s_wait);
        Assert.True(outlet.WaitForConsumers(s_wait));
        double[] values = [Math.PI, -1e-310, double.MaxValue];
        outlet.PushChunk(values, [42.000000001]);
        (double[] got, double[] times) = LslTestStreams.PullAll(inlet, 3, 1, s_wait);
        Assert.Equal(values, got);
        Assert.Equal(42.000000001, times[0]);
    }

    [Fact]
    public void PushChunk_EvenlySpacedChunk_InletGetsDeducedTimestampsExactly()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("deduced");
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Float32, 1, 100));
        using ILslInlet inlet = backend.CreateInlet(LslTestStreams.ResolveOne(backend, name));
        inlet.Open(s_wait);
        Assert.True(outlet.WaitForConsumers(s_wait));

        // 2001.98 explicit, then two -1 (LSL_DEDUCED_TIMESTAMP) pushes: previous + 1/100 each.
        outlet.PushChunk([1f, 2f, 3f], [2001.98, -1.0, -1.0], pushthrough: false);
        outlet.PushChunk([4f], [0.0]);
        (double[] got, double[] times) = LslTestStreams.PullAll(inlet, 1, 4, s_wait);
        Assert.Equal([1.0, 2.0, 3.0, 4.0], got);
        Assert.Equal(2001.98, times[0]);
        Assert.Equal(2001.98 + 0.01, times[1]);
        Assert.Equal(2001.98 + 0.01 + 0.01, times[2]);
        Assert.InRange(times[3], backend.LocalClock() - 5, backend.LocalClock());
    }

    [Fact]
    public void PushChunk_ZeroTimestampsInChunk_AreNowBackdatedBySamplePeriod()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("now");
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Int16, 1, 10));
        using ILslInlet inlet = backend.CreateInlet(LslTestStreams.ResolveOne(backend, name));
        inlet.Open(s_wait);
        Assert.True(outlet.WaitForConsumers(s_wait));
        double before = backend.LocalClock();
        outlet.PushChunk([1L, 2L, 3L], [0.0, 0.0, 0.0]);
        double after = backend.LocalClock();
        (_, double[] times) = LslTestStreams.PullAll(inlet, 1, 3, s_wait);
        Assert.InRange(times[2], before, after);
        Assert.Equal(0.1, times[2] - times[1], 9);
        Assert.Equal(0.1, times[1] - times[0], 9);
    }

    [Fact]
    public void PushChunk_ManyChunks_PullChunkReturnsAllInOrder()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("chunks");
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Float32, 4, 1000));
        using ILslInlet inlet = backend.CreateInlet(LslTestStreams.ResolveOne(backend, name), maxChunkLength: 16);
        inlet.Open(s_wait);
        Assert.True(outlet.WaitForConsumers(s_wait));
        const int frames = 2000;
        for (int chunk = 0; chunk < frames / 50; chunk++)
        {
            float[] data = new float[50 * 4];
            double[] stamps = new double[50];
            for (int i = 0; i < 50; i++)
            {
                int n = chunk * 50 + i;
                stamps[i] = 100 + n * 0.001;
                for (int c = 0; c < 4; c++)
                {
                    data[i * 4 + c] = n * 10 + c;
                }
            }
            outlet.PushChunk(data, stamps, pushthrough: chunk % 3 == 0);
        }
        outlet.PushChunk(new float[4], [0.0]);
        (double[] got, double[] times) = LslTestStreams.PullAll(inlet, 4, frames, s_wait);
        for (int n = 0; n < frames; n++)
        {
            Assert.Equal(100 + n * 0.001, times[n]);
            Assert.Equal(n * 10 + 3, got[n * 4 + 3]);
        }
    }

    [Fact]
    public void PushChunk_Strings_MultiByteAndLongStringsArriveIntact()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("str");
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.String, 2, 0, type: "Markers"));
        using ILslInlet inlet = backend.CreateInlet(LslTestStreams.ResolveOne(backend, name));
        inlet.Open(s_wait);
        Assert.True(outlet.WaitForConsumers(s_wait));
        string longText = string.Concat(Enumerable.Repeat("0123456789", 10_000));
        string[] values = ["Nadel ✓ 針 ST36", "", longText, "a\0b", new string('x', 255), new string('y', 256)];
        outlet.PushChunk(values, [10.0, 11.0, 12.0]);

        string[] got = new string[6];
        double[] times = new double[3];
        int have = 0;
        long deadline = Environment.TickCount64 + 5000;
        while (have < 3 && Environment.TickCount64 < deadline)
        {
            have += inlet.PullChunk(got.AsSpan(have * 2), times.AsSpan(have), TimeSpan.FromMilliseconds(200));
        }
        Assert.Equal(3, have);
        Assert.Equal(values, got);
        Assert.Equal([10.0, 11.0, 12.0], times);
    }

    [Fact]
    public void PushChunk_StringsIntoNumericStream_Throws()
    {
        using var backend = LslTestStreams.Backend();
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(LslTestStreams.UniqueName("bad"), ChannelFormat.Float32, 1, 0));
        Assert.Throws<InvalidOperationException>(() => outlet.PushChunk(new[] { "x" }, [1.0]));
        Assert.Throws<ArgumentException>(() => outlet.PushChunk(new double[3], [1.0]));
    }
}
