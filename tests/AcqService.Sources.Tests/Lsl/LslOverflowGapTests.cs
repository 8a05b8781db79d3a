using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Profiles;
using AcqService.Sources.Lsl;
using AcqService.Lsl;
using AcqService.Lsl.Managed;

namespace AcqService.Sources.Tests.Lsl;

/// <summary>A consumer slower than its stream: the inlet drops the oldest samples and the source reports them as a gap.</summary>
[Collection("lsl")]
public sealed class LslOverflowGapTests
{
    [Fact]
    public async Task SlowPipeline_InletDropsBecomeOneCountedGap_AndEverySampleIsAccountedFor()
    {
        using ManagedLslBackend managed = LslTestKit.Backend();
        // 1 s of buffer at 100 Hz: the inlet holds 100 samples, so a stalled pipeline overflows it quickly.
        using var backend = new SmallBufferBackend(managed, bufferSeconds: 1);
        string name = LslTestKit.Unique("overflow");
        using ILslOutlet outlet = managed.CreateOutlet(LslTestKit.Info(name, 8, 100, ChannelFormat.Float32));
        StreamProfile profile = LslTestKit.LslNeedlingProfile(name, "unused").Streams.Single(s => s.Kind == "signal");
        profile.Source.OnMismatch = "warn";
        using LslSignalSource source = await LslSignalSource.ConnectAsync(profile, backend);
        new StreamRegistry().Add(source.Stream);
        // Two items of room: the pump stalls on the edge while the test does not read, like a pipeline that fell behind.
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions { DataEdge = new EdgePolicy(2, EdgeMode.Wait) }).Data<SourceItem>("test", singleWriter: false);
        using var stop = new CancellationTokenSource();
        Task running = source.RunAsync(edge, stop.Token);
        Assert.True(outlet.WaitForConsumers(TimeSpan.FromSeconds(5)));

        const int total = 1000;
        for (int sent = 0; sent < total; sent += 10)
        {
            float[] values = new float[10 * 8];
            double[] times = new double[10];
            for (int i = 0; i < 10; i++)
            {
                times[i] = 100 + ((sent + i) * 0.01);
                values[i * 8] = sent + i;
            }
            outlet.PushChunk(values, times);
            // Small paced pushes: the outlet's own queue (as long as the inlet's) never overflows, so every loss is the inlet's.
            await Task.Delay(5);
        }
        await Task.Delay(500);

        var gaps = new List<(StreamGap Gap, int Before, int After)>();
        int received = 0;
        int last = -1;
        StreamGap? pending = null;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (last < total - 1)
        {
            SourceItem item = await edge.Reader.ReadAsync(deadline.Token);
            if (item.Kind == SourceItemKind.Gap)
            {
                Assert.Null(pending);
                pending = item.Gap;
            }
            if (item.Kind == SourceItemKind.Samples)
            {
                SampleChunk chunk = item.Chunk!;
                for (int i = 0; i < chunk.Count; i++)
                {
                    int value = (int)chunk.Frame(i)[0];
                    Assert.Equal(100 + (value * 0.01), chunk.Timestamps[i]);
                    if (pending is StreamGap gap)
                    {
                        gaps.Add((gap, last, value));
                        pending = null;
                    }
                    else
                    {
                        Assert.Equal(last + 1, value);
                    }
                    last = value;
                    received++;
                }
                chunk.Release();
            }
        }
        stop.Cancel();
        await running.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.NotEmpty(gaps);
        Assert.All(gaps, g =>
        {
            // Only overflow gaps: the timestamp jump over dropped samples must not also be taken for a reconnect.
            Assert.StartsWith(LslSignalSource.OverflowReason, g.Gap.Reason, StringComparison.Ordinal);
            Assert.Equal(g.After - g.Before - 1, g.Gap.MissingSamples);
            // Nothing emitted before the gap (the pump was still waiting for the first clock offset): no start.
            Assert.Equal(g.Before < 0 ? double.NaN : 100 + (g.Before * 0.01), g.Gap.Start);
            Assert.Equal(100 + (g.After * 0.01), g.Gap.End);
        });
        Assert.Equal(total, received + gaps.Sum(g => g.Gap.MissingSamples));
        Assert.Equal(gaps.Count, source.Gaps);
    }

    /// <summary>The managed backend with a small inlet buffer; everything else passes through.</summary>
    private sealed class SmallBufferBackend(ManagedLslBackend inner, int bufferSeconds) : ILslBackend
    {
        public string Name => inner.Name;

        public string Version => inner.Version;

        public double LocalClock() => inner.LocalClock();

        public IReadOnlyList<LslStreamInfo> Resolve(string? predicate, int minimum, TimeSpan timeout, CancellationToken cancellationToken = default) =>
            inner.Resolve(predicate, minimum, timeout, cancellationToken);

        public ILslContinuousResolver CreateContinuousResolver(string? predicate, TimeSpan forgetAfter) => inner.CreateContinuousResolver(predicate, forgetAfter);

        public ILslOutlet CreateOutlet(LslStreamInfo info, int chunkSize = 0, int maxBufferedSeconds = 360) => inner.CreateOutlet(info, chunkSize, maxBufferedSeconds);

        public ILslInlet CreateInlet(LslStreamInfo info, int maxBufferedSeconds = 360, int maxChunkLength = 0, bool recover = true) =>
            inner.CreateInlet(info, Math.Min(maxBufferedSeconds, bufferSeconds), maxChunkLength, recover);

        public void Dispose()
        {
        }
    }
}
