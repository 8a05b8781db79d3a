using AcqService.Core.Model;
using System.Diagnostics;
using AcqService.Lsl.Native;

namespace AcqService.Lsl.Tests.Native;

[Collection(NativeLslCollection.Name)]
public sealed class NativeLslStreamingTests
{
    private static LslStreamInfo Info(string prefix, ChannelFormat format, int channels, double srate = 100) => new()
    {
        Name = NativeLslFixture.UniqueName(prefix),
        Type = "EEG",
        ChannelCount = channels,
        NominalSrate = srate,
        ChannelFormat = format,
        SourceId = "src-" + Guid.NewGuid().ToString("N"),
    };

    private static double[] Timestamps(int samples, double start) =>
        Enumerable.Range(0, samples).Select(i => start + i * 0.01).ToArray();

    [SkippableFact]
    public void Float32MultichannelArrivesExactlyWithTimestamps()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        const int channels = 8, samples = 50;
        (ILslOutlet outlet, ILslInlet inlet) = NativeLslFixture.Connect(backend, Info("f32", ChannelFormat.Float32, channels));
        using (outlet)
        using (inlet)
        {
            float[] sent = Enumerable.Range(0, samples * channels).Select(i => (float)(Math.Sin(i) * 1e-3 * (i + 1))).ToArray();
            double[] sentTs = Timestamps(samples, 12345.678901);
            outlet.PushChunk(sent, sentTs);

            AssertReceived(inlet, channels, sentTs, sent.Select(f => (double)f));
        }
    }

    [SkippableFact]
    public void DoubleArrivesExactly()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        const int channels = 3, samples = 20;
        (ILslOutlet outlet, ILslInlet inlet) = NativeLslFixture.Connect(backend, Info("f64", ChannelFormat.Double64, channels));
        using (outlet)
        using (inlet)
        {
            double[] sent = Enumerable.Range(0, samples * channels).Select(i => Math.PI * i / 7.0 + 1e-12 * i).ToArray();
            double[] sentTs = Timestamps(samples, 500.25);
            outlet.PushChunk(sent, sentTs);

            AssertReceived(inlet, channels, sentTs, sent);
        }
    }

    [SkippableTheory]
    [InlineData(ChannelFormat.Int16, short.MinValue, short.MaxValue)]
    [InlineData(ChannelFormat.Int32, int.MinValue, int.MaxValue)]
    [InlineData(ChannelFormat.Int64, -(1L << 53), 1L << 53)] // pulled as double: exact up to 2^53
    public void IntegersArriveExactly(ChannelFormat format, long min, long max)
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        const int channels = 4, samples = 10;
        (ILslOutlet outlet, ILslInlet inlet) = NativeLslFixture.Connect(backend, Info(format.ToName(), format, channels));
        using (outlet)
        using (inlet)
        {
            long[] sent = Enumerable.Range(0, samples * channels)
                .Select(i => (i % 4) switch { 0 => min, 1 => max, 2 => -i * 3L, _ => i * 1001L % (max / 2) })
                .ToArray();
            double[] sentTs = Timestamps(samples, 77.5);
            outlet.PushChunk(sent, sentTs);

            AssertReceived(inlet, channels, sentTs, sent.Select(v => (double)v));
        }
    }

    [SkippableFact]
    public async Task AsyncPullGivesTheSameSamplesAsTheBlockingPull()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        const int channels = 4, samples = 60;
        (ILslOutlet outlet, ILslInlet inlet) = NativeLslFixture.Connect(backend, Info("async", ChannelFormat.Float32, channels));
        using (outlet)
        using (inlet)
        {
            float[] sent = Enumerable.Range(0, samples * channels).Select(i => (float)(i * 0.5 - 17)).ToArray();
            double[] sentTs = Timestamps(samples, 9000.125);
            // Nothing buffered yet: the first pull has to wait (pool-thread path), later ones find data (synchronous path).
            Task<int> first = inlet.PullChunkAsync(new double[channels], new double[1], NativeLslFixture.Timeout).AsTask();
            outlet.PushChunk(sent.AsSpan(0, channels), sentTs.AsSpan(0, 1));
            Assert.Equal(1, await first);
            outlet.PushChunk(sent.AsSpan(channels), sentTs.AsSpan(1));

            double[] data = new double[(samples - 1) * channels];
            double[] ts = new double[samples - 1];
            int got = 0;
            long deadline = Environment.TickCount64 + (long)NativeLslFixture.Timeout.TotalMilliseconds;
            while (got < samples - 1 && Environment.TickCount64 < deadline)
            {
                got += await inlet.PullChunkAsync(data.AsMemory(got * channels), ts.AsMemory(got), TimeSpan.FromMilliseconds(200));
            }
            Assert.Equal(samples - 1, got);
            Assert.Equal(sent.Skip(channels).Select(f => (double)f), data);
            Assert.Equal(sentTs.Skip(1), ts);
            Assert.Equal(0, inlet.SamplesDropped);
        }
    }

    [SkippableFact]
    public async Task AsyncPullEndsSoonAfterCancellation()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        (ILslOutlet outlet, ILslInlet inlet) = NativeLslFixture.Connect(backend, Info("async-cancel", ChannelFormat.Float32, 1));
        using (outlet)
        using (inlet)
        {
            using var cts = new CancellationTokenSource();
            Task<int> pending = inlet.PullChunkAsync(new double[1], new double[1], TimeSpan.FromMinutes(5), cts.Token).AsTask();
            cts.CancelAfter(50);
            // The pull's own timeout is 5 minutes; the cancellation is seen within one wait slice.
            Assert.Same(pending, await Task.WhenAny(pending, Task.Delay(TimeSpan.FromSeconds(10))));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        }
    }

    [SkippableFact]
    public void StringsWithMultiByteUtf8ArriveExactly()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        const int channels = 2;
        (ILslOutlet outlet, ILslInlet inlet) = NativeLslFixture.Connect(backend, Info("str", ChannelFormat.String, channels, srate: 0));
        using (outlet)
        using (inlet)
        {
            string[] sent = ["stimulus/onset", "Grüße µV", "脑电图 测试", "🧠⚡ emoji", "", "tab\tand\nnewline", "x", new string('ü', 3000)];
            int samples = sent.Length / channels;
            double[] sentTs = Timestamps(samples, 42.125);
            outlet.PushChunk(sent, sentTs);

            var data = new string[sent.Length];
            var ts = new double[samples];
            int got = NativeLslFixture.PullAll<string>((d, t) => inlet.PullChunk(d.Span, t.Span, TimeSpan.FromMilliseconds(500)), data, ts, channels, samples);

            Assert.Equal(samples, got);
            Assert.Equal(sentTs, ts);
            Assert.Equal(sent, data);
        }
    }

    [SkippableFact]
    public void PullWithTimeoutReturnsZeroWithinTheTimeout()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        (ILslOutlet outlet, ILslInlet inlet) = NativeLslFixture.Connect(backend, Info("timeout", ChannelFormat.Float32, 2));
        using (outlet)
        using (inlet)
        {
            var data = new double[2 * 16];
            var ts = new double[16];
            var sw = Stopwatch.StartNew();

            int got = inlet.PullChunk(data, ts, TimeSpan.FromMilliseconds(300));

            sw.Stop();
            Assert.Equal(0, got);
            Assert.InRange(sw.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(1000));
            Assert.Equal(0, inlet.PullChunk(data, ts, TimeSpan.Zero));
        }
    }

    [SkippableFact]
    public void PullReturnsWhatIsThereWithoutWaitingForAFullBuffer()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        (ILslOutlet outlet, ILslInlet inlet) = NativeLslFixture.Connect(backend, Info("partial", ChannelFormat.Float32, 2));
        using (outlet)
        using (inlet)
        {
            outlet.PushChunk(new float[] { 1, 2, 3, 4, 5, 6 }, new double[] { 10, 11, 12 });
            var data = new double[2 * 1000];
            var ts = new double[1000];
            var sw = Stopwatch.StartNew();

            int got = 0;
            while (got < 3 && sw.Elapsed < NativeLslFixture.Timeout)
            {
                got += inlet.PullChunk(data.AsSpan(got * 2), ts.AsSpan(got, 1000 - got), TimeSpan.FromSeconds(4));
            }

            Assert.Equal(3, got);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"pull took {sw.Elapsed}; it must not wait for a full buffer");
            Assert.Equal(new double[] { 1, 2, 3, 4, 5, 6 }, data[..6]);
            Assert.Equal(0, inlet.SamplesAvailable);
        }
    }

    [SkippableFact]
    public void SamplesAvailableCountsBufferedSamples()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        (ILslOutlet outlet, ILslInlet inlet) = NativeLslFixture.Connect(backend, Info("avail", ChannelFormat.Double64, 1));
        using (outlet)
        using (inlet)
        {
            outlet.PushChunk(new double[] { 1, 2, 3, 4 }, new double[] { 1, 2, 3, 4 });
            var sw = Stopwatch.StartNew();
            while (inlet.SamplesAvailable < 4 && sw.Elapsed < NativeLslFixture.Timeout)
            {
                Thread.Sleep(10);
            }
            Assert.Equal(4, inlet.SamplesAvailable);
        }
    }

    [SkippableFact]
    public void ShapeAndFormatErrorsAreReportedBeforeReachingLiblsl()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        using ILslOutlet numeric = backend.CreateOutlet(Info("shape", ChannelFormat.Int16, 2));
        using ILslOutlet markers = backend.CreateOutlet(Info("shape-str", ChannelFormat.String, 1, srate: 0));

        Assert.Throws<ArgumentException>(() => numeric.PushChunk(new double[3], new double[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => numeric.PushChunk(new long[] { 1, 40000 }, new double[1]));
        Assert.Throws<InvalidOperationException>(() => numeric.PushChunk(new[] { "a", "b" }, new double[1]));
        Assert.Throws<InvalidOperationException>(() => markers.PushChunk(new double[1], new double[1]));
        numeric.PushChunk(ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty); // empty chunk is a no-op
    }

    [SkippableFact]
    public void LostStreamWithoutRecoveryThrowsStreamLost()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        (ILslOutlet outlet, ILslInlet inlet) = NativeLslFixture.Connect(backend, Info("lost", ChannelFormat.Float32, 1), recover: false);
        using (inlet)
        {
            outlet.Dispose();
            var data = new double[8];
            var ts = new double[8];
            var sw = Stopwatch.StartNew();
            LslStreamLostException? lost = null;
            while (lost is null && sw.Elapsed < NativeLslFixture.Timeout)
            {
                try
                {
                    inlet.PullChunk(data, ts, TimeSpan.FromMilliseconds(100));
                }
                catch (LslStreamLostException ex)
                {
                    lost = ex;
                }
            }
            Assert.NotNull(lost);
            Assert.Equal(0, inlet.TakeRecoveryCount());
        }
    }

    [SkippableFact]
    public void RecoveryToANewOutletInstanceIsCountedOnce()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        LslStreamInfo info = Info("recover", ChannelFormat.Float32, 1);
        (ILslOutlet first, ILslInlet inlet) = NativeLslFixture.Connect(backend, info, recover: true);
        using (inlet)
        {
            // lsl_was_clock_reset only fires when an offset estimate existed before the recovery.
            inlet.TimeCorrection(NativeLslFixture.Timeout);
            Assert.Equal(0, inlet.TakeRecoveryCount());
            first.Dispose();

            using ILslOutlet second = backend.CreateOutlet(info); // same name, type and source_id, new uid
            var data = new double[1];
            var ts = new double[1];
            int got = 0;
            var sw = Stopwatch.StartNew();
            while (got == 0 && sw.Elapsed < TimeSpan.FromSeconds(20))
            {
                second.PushChunk(new float[] { 7 }, new double[] { 0 });
                got = inlet.PullChunk(data, ts, TimeSpan.FromMilliseconds(250));
            }

            Assert.Equal(1, got);
            Assert.Equal(7, data[0]);
            Assert.Equal(1, inlet.TakeRecoveryCount());
            Assert.Equal(0, inlet.TakeRecoveryCount());
        }
    }

    /// <summary>Pulls every sample of a numeric stream and checks timestamps and values exactly.</summary>
    private static void AssertReceived(ILslInlet inlet, int channels, double[] sentTimestamps, IEnumerable<double> sentValues)
    {
        int samples = sentTimestamps.Length;
        var data = new double[samples * channels];
        var ts = new double[samples];
        int got = NativeLslFixture.PullAll<double>((d, t) => inlet.PullChunk(d.Span, t.Span, TimeSpan.FromMilliseconds(500)), data, ts, channels, samples);
        Assert.Equal(samples, got);
        Assert.Equal(sentTimestamps, ts);
        Assert.Equal(sentValues, data);
    }
}
