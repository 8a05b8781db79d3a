using AcqService.Core.Model;
using AcqService.Lsl.Tests.Native;
using Xunit.Abstractions;

namespace AcqService.Lsl.Tests.Interop;

/// <summary>
/// Samples across implementations: liblsl outlet → managed inlet and managed outlet → liblsl inlet, bit-exact values and
/// timestamps. Skipped with the loader's reason when liblsl is unavailable. Loopback only (see <see cref="InteropPeers"/>).
/// </summary>
[Collection(NativeLslCollection.Name)]
public sealed class InteropStreamingTests(ITestOutputHelper output)
{
    private const int Channels = 8;

    /// <summary>Normal values plus the float32 edge cases (subnormal, extremes, negative zero) that must survive untouched.</summary>
    private static float[] Float32Values(int samples) =>
        Enumerable.Range(0, samples * Channels).Select(i => (i % 11) switch
        {
            0 => float.Epsilon,
            1 => float.MaxValue,
            2 => -float.MaxValue,
            3 => 1.17549435e-38f,
            _ => (float)(Math.Sin(i * 0.37) * 250.0 / (1 + i % 7)),
        }).ToArray();

    private static double[] Timestamps(int samples, double start, double step) =>
        Enumerable.Range(0, samples).Select(i => start + i * step).ToArray();

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Float32_8ch_Chunked_ExactValuesAndTimestamps(bool nativeOutlet)
    {
        using InteropPeers peers = InteropPeers.Require(output);
        (ILslBackend outletSide, ILslBackend inletSide) = nativeOutlet ? ((ILslBackend)peers.Native, (ILslBackend)peers.Managed) : (peers.Managed, peers.Native);
        const int chunks = 10, perChunk = 25, samples = chunks * perChunk;
        (ILslOutlet outlet, ILslInlet inlet) = InteropPeers.Connect(outletSide, inletSide, InteropPeers.Info("f32", ChannelFormat.Float32, Channels, 250));
        using (outlet)
        using (inlet)
        {
            float[] sent = Float32Values(samples);
            double[] sentTs = Timestamps(samples, 4321.000123, 1.0 / 250);
            for (int c = 0; c < chunks; c++)
            {
                outlet.PushChunk(sent.AsSpan(c * perChunk * Channels, perChunk * Channels), sentTs.AsSpan(c * perChunk, perChunk));
            }

            (double[] data, double[] ts) = LslTestStreams.PullAll(inlet, Channels, samples, InteropPeers.Timeout);

            Assert.Equal(sentTs, ts);
            Assert.Equal(sent.Select(f => (double)f), data);
        }
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Float32_DeducedTimestamps_AreReconstructed(bool nativeOutlet)
    {
        // -1 (LSL_DEDUCED_TIMESTAMP) after a real timestamp: both outlets may send tag 1 and the inlet must add 1/srate.
        using InteropPeers peers = InteropPeers.Require(output);
        (ILslBackend outletSide, ILslBackend inletSide) = nativeOutlet ? ((ILslBackend)peers.Native, (ILslBackend)peers.Managed) : (peers.Managed, peers.Native);
        const int samples = 40;
        (ILslOutlet outlet, ILslInlet inlet) = InteropPeers.Connect(outletSide, inletSide, InteropPeers.Info("ded", ChannelFormat.Float32, Channels, 500));
        using (outlet)
        using (inlet)
        {
            float[] sent = Float32Values(samples);
            double[] pushed = Enumerable.Repeat(-1.0, samples).ToArray();
            pushed[0] = 777.5;
            outlet.PushChunk(sent, pushed);

            (double[] data, double[] ts) = LslTestStreams.PullAll(inlet, Channels, samples, InteropPeers.Timeout);

            Assert.Equal(sent.Select(f => (double)f), data);
            for (int i = 0; i < samples; i++)
            {
                Assert.Equal(777.5 + i / 500.0, ts[i], 1e-9);
            }
        }
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void StringMarkers_MultiByteUtf8_ArriveExactly(bool nativeOutlet)
    {
        using InteropPeers peers = InteropPeers.Require(output);
        (ILslBackend outletSide, ILslBackend inletSide) = nativeOutlet ? ((ILslBackend)peers.Native, (ILslBackend)peers.Managed) : (peers.Managed, peers.Native);
        const int channels = 2;
        string[] sent =
        [
            "stimulus/ä-ö-ü", "Größe→42 µV",
            "日本語のマーカー", "🧠 onset",
            "", "plain",
            new string('é', 200), "width-4 length prefix above (400 bytes)",
            "tab\tand\nnewline", "Ω≈ç√∫",
        ];
        int samples = sent.Length / channels;
        (ILslOutlet outlet, ILslInlet inlet) = InteropPeers.Connect(outletSide, inletSide, InteropPeers.Info("mrk", ChannelFormat.String, channels, 0, "Markers"));
        using (outlet)
        using (inlet)
        {
            double[] sentTs = Timestamps(samples, 98765.4321, 0.25);
            outlet.PushChunk(sent.AsSpan(0, 2 * channels), sentTs.AsSpan(0, 2));
            outlet.PushChunk(sent.AsSpan(2 * channels), sentTs.AsSpan(2));

            (string[] data, double[] ts) = InteropPeers.PullStrings(inlet, channels, samples);

            Assert.Equal(sentTs, ts);
            Assert.Equal(sent, data);
        }
    }

    [SkippableFact]
    public void Int16_NativeOutletToManagedInlet_Exact()
    {
        using InteropPeers peers = InteropPeers.Require(output);
        const int channels = 4, samples = 30;
        (ILslOutlet outlet, ILslInlet inlet) = InteropPeers.Connect(peers.Native, peers.Managed, InteropPeers.Info("i16", ChannelFormat.Int16, channels, 100));
        using (outlet)
        using (inlet)
        {
            long[] sent = Enumerable.Range(0, samples * channels)
                .Select(i => (i % 5) switch { 0 => short.MinValue, 1 => short.MaxValue, 2 => 0, _ => (long)(i * 997 % 65536) - 32768 })
                .ToArray();
            double[] sentTs = Timestamps(samples, 10.0, 0.01);
            outlet.PushChunk(sent, sentTs);

            (double[] data, double[] ts) = LslTestStreams.PullAll(inlet, channels, samples, InteropPeers.Timeout);

            Assert.Equal(sentTs, ts);
            Assert.Equal(sent.Select(v => (double)v), data);
        }
    }

    [SkippableFact]
    public void Double64_ManagedOutletToNativeInlet_Exact()
    {
        using InteropPeers peers = InteropPeers.Require(output);
        const int channels = 3, samples = 30;
        (ILslOutlet outlet, ILslInlet inlet) = InteropPeers.Connect(peers.Managed, peers.Native, InteropPeers.Info("f64", ChannelFormat.Double64, channels, 0));
        using (outlet)
        using (inlet)
        {
            double[] sent = Enumerable.Range(0, samples * channels)
                .Select(i => (i % 6) switch { 0 => double.Epsilon, 1 => double.MaxValue, 2 => -Math.PI * 1e300, _ => Math.E * i / 3.0 + 1e-15 * i })
                .ToArray();
            double[] sentTs = Timestamps(samples, 1e6 + 0.123456789, 0.0173);
            outlet.PushChunk(sent, sentTs);

            (double[] data, double[] ts) = LslTestStreams.PullAll(inlet, channels, samples, InteropPeers.Timeout);

            Assert.Equal(sentTs, ts);
            Assert.Equal(sent, data);
        }
    }
}
