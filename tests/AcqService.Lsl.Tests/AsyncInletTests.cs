using AcqService.Core.Model;
using System.Text.RegularExpressions;
using AcqService.Lsl.Managed;

namespace AcqService.Lsl.Tests;

/// <summary>The asynchronous pull of the managed inlet and its bounded, counting receive buffer, over loopback.</summary>
public sealed class AsyncInletTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task PullChunkAsync_GivesTheSameValuesAndTimestampsAsPullChunk()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("async-same");
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Float32, 3, 1000));
        LslStreamInfo resolved = LslTestStreams.ResolveOne(backend, name);
        using ILslInlet sync = backend.CreateInlet(resolved);
        using ILslInlet async = backend.CreateInlet(resolved);
        sync.Open(s_wait);
        await async.OpenAsync(s_wait);
        Assert.True(SpinWait.SpinUntil(() => outlet.HaveConsumers, s_wait));
        const int samples = 500;
        float[] values = new float[samples * 3];
        double[] stamps = new double[samples];
        for (int i = 0; i < samples; i++)
        {
            values[3 * i] = i;
            values[3 * i + 1] = -i * 0.25f;
            values[3 * i + 2] = 1e-7f * (i + 1);
            stamps[i] = 7000.0 + i * 0.001 + 1e-9 * i;
        }
        // Two consumers must both be connected before data flows; the outlet only sends to connected ones.
        await WaitForTwoConsumersAsync(outlet, sync, async);
        outlet.PushChunk(values, stamps);

        (double[] syncData, double[] syncTimes) = LslTestStreams.PullAll(sync, 3, samples, s_wait);
        (double[] asyncData, double[] asyncTimes) = await PullAllAsync(async, 3, samples);

        Assert.Equal(values.Select(v => (double)v), asyncData);
        Assert.Equal(stamps, asyncTimes);
        Assert.Equal(syncData, asyncData);
        Assert.Equal(syncTimes, asyncTimes);
        Assert.Equal(0, async.SamplesDropped);
    }

    [Fact]
    public async Task PullChunkAsync_Strings_ArriveIntact()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("async-str");
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.String, 2, 0, type: "Markers"));
        using ILslInlet inlet = backend.CreateInlet(LslTestStreams.ResolveOne(backend, name));
        await inlet.OpenAsync(s_wait);
        Assert.True(outlet.WaitForConsumers(s_wait));
        string[] values = ["Nadel ✓ 針", "", "stim 7", new string('x', 300)];
        outlet.PushChunk(values, [10.5, 10.75]);

        string[] got = new string[4];
        double[] times = new double[2];
        int have = 0;
        long deadline = Environment.TickCount64 + (long)s_wait.TotalMilliseconds;
        while (have < 2 && Environment.TickCount64 < deadline)
        {
            have += await inlet.PullChunkAsync(got.AsMemory(have * 2), times.AsMemory(have), TimeSpan.FromMilliseconds(200));
        }
        Assert.Equal(2, have);
        Assert.Equal(values, got);
        Assert.Equal([10.5, 10.75], times);
    }

    [Fact]
    public async Task PullChunkAsync_NoData_ReturnsZeroAfterTheTimeout()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("async-timeout");
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Float32, 1, 100));
        using ILslInlet inlet = backend.CreateInlet(LslTestStreams.ResolveOne(backend, name));
        await inlet.OpenAsync(s_wait);
        double[] data = new double[4];
        double[] times = new double[4];
        for (int i = 0; i < 3; i++)
        {
            // Repeated waits reuse the same wait object; an earlier wait's timer must not end a later one early.
            Assert.Equal(0, await inlet.PullChunkAsync(data, times, TimeSpan.FromMilliseconds(50)));
        }
        outlet.PushChunk(new float[] { 42f }, [123.0]);
        Assert.Equal(1, await inlet.PullChunkAsync(data, times, s_wait));
        Assert.Equal(42.0, data[0]);
        Assert.Equal(123.0, times[0]);
    }

    [Fact]
    public async Task PullChunkAsync_CancelledWhileWaiting_CompletesWithoutWaitingForTheTimeout()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("async-cancel");
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Float32, 2, 100));
        using ILslInlet inlet = backend.CreateInlet(LslTestStreams.ResolveOne(backend, name));
        await inlet.OpenAsync(s_wait);
        using var cts = new CancellationTokenSource();
        ValueTask<int> pending = inlet.PullChunkAsync(new double[20], new double[10], TimeSpan.FromMinutes(5), cts.Token);
        Assert.False(pending.IsCompleted);

        cts.CancelAfter(50);
        Task<int> task = pending.AsTask();
        // The pull's own timeout is 5 minutes; only the cancellation can end it within this bound.
        Task finished = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.Same(task, finished);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);

        // The inlet stays usable after a cancelled pull.
        outlet.PushChunk(new float[] { 1f, 2f }, [55.0]);
        double[] data = new double[2];
        double[] times = new double[1];
        Assert.Equal(1, await inlet.PullChunkAsync(data, times, s_wait));
        Assert.Equal([1.0, 2.0], data);
    }

    [Fact]
    public async Task PullChunkAsync_InletDisposedWhileWaiting_Ends()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("async-dispose");
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Float32, 1, 100));
        ILslInlet inlet = backend.CreateInlet(LslTestStreams.ResolveOne(backend, name));
        await inlet.OpenAsync(s_wait);
        Task<int> task = inlet.PullChunkAsync(new double[1], new double[1], TimeSpan.FromMinutes(5)).AsTask();
        inlet.Dispose();
        Task finished = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.Same(task, finished);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => task);
    }

    [Fact]
    public async Task SlowConsumer_BufferKeepsTheNewestAndCountsEveryDrop()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("overflow");
        // 10 Hz × 1 s: the inlet buffers 10 samples.
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Double64, 2, 10));
        using ILslInlet inlet = backend.CreateInlet(LslTestStreams.ResolveOne(backend, name), maxBufferedSeconds: 1);
        Assert.Equal(10, ((ManagedInlet)inlet).MaxBufferedSamples);
        await inlet.OpenAsync(s_wait);
        Assert.True(outlet.WaitForConsumers(s_wait));

        const int total = 257;
        const int step = 4;
        for (int sent = 0; sent < total; sent += step)
        {
            int n = Math.Min(step, total - sent);
            double[] values = new double[2 * n];
            double[] stamps = new double[n];
            for (int i = 0; i < n; i++)
            {
                values[2 * i] = sent + i;
                values[2 * i + 1] = -(sent + i);
                stamps[i] = 100 + (sent + i) * 0.1;
            }
            outlet.PushChunk(values, stamps);
            // Small steps, each received before the next: the outlet's own queue (also 10 samples) never overflows,
            // so every loss is the inlet's. The consumer pulls nothing meanwhile: it is as slow as can be.
            int expected = sent + n;
            Assert.True(SpinWait.SpinUntil(() => inlet.SamplesAvailable + inlet.SamplesDropped == expected, s_wait),
                $"after {expected} pushed: {inlet.SamplesAvailable} buffered, {inlet.SamplesDropped} dropped");
        }

        Assert.Equal(10, inlet.SamplesAvailable);
        Assert.Equal(total - 10, inlet.SamplesDropped);
        double[] data = new double[2 * 32];
        double[] times = new double[32];
        int got = await inlet.PullChunkAsync(data, times, s_wait);
        Assert.Equal(10, got);
        for (int i = 0; i < 10; i++)
        {
            int index = total - 10 + i;
            Assert.Equal(index, data[2 * i]);
            Assert.Equal(-index, data[2 * i + 1]);
            Assert.Equal(100 + index * 0.1, times[i]);
        }
        Assert.Equal(total - 10, inlet.SamplesDropped);
        Assert.Equal(total - 10, inlet.SamplesDroppedBeforeLastPull);
    }

    [Fact]
    public void WideFastStream_BufferBoundIsCappedInBytes()
    {
        using var backend = LslTestStreams.Backend();
        // Never connected (no endpoint): only the bound is computed. 360 s × 20 kHz × 1024 channels would be ~59 GB.
        var info = LslTestStreams.Info("wide", ChannelFormat.Float32, 1024, 20_000);
        using var inlet = (ManagedInlet)backend.CreateInlet(info, maxBufferedSeconds: 360);
        double bytes = inlet.MaxBufferedSamples * (1024 * 8.0 + LslLimits.BufferedSampleOverheadBytes);
        Assert.InRange(bytes, LslLimits.MaxInletBufferBytes * 0.99, LslLimits.MaxInletBufferBytes);
        // A common stream keeps liblsl's bound exactly: 64 channels at 500 Hz for 360 s.
        using var common = (ManagedInlet)backend.CreateInlet(LslTestStreams.Info("eeg", ChannelFormat.Float32, 64, 500), maxBufferedSeconds: 360);
        Assert.Equal(180_000, common.MaxBufferedSamples);
    }

    [Fact]
    public void ManagedInletSources_HaveNoSyncOverAsync()
    {
        string dir = Path.Combine(RepoRoot(), "src", "AcqService.Lsl", "Managed");
        string[] files = Directory.GetFiles(dir, "ManagedInlet*.cs").Append(Path.Combine(dir, "InletBuffer.cs")).ToArray();
        Assert.True(files.Length >= 2, "managed inlet sources not found");
        var blocking = new Regex(@"\.GetAwaiter\(\)\.GetResult\(\)|\.Result\b|(?<!Monitor)\.Wait\(", RegexOptions.CultureInvariant);
        var hits = files
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetFileName(f), Line: i + 1, Text: line)))
            .Where(l => !l.Text.TrimStart().StartsWith("//", StringComparison.Ordinal) && blocking.IsMatch(l.Text))
            .Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}")
            .ToList();
        Assert.Empty(hits);
    }

    private static string RepoRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "AcqService.sln")))
            {
                return d.FullName;
            }
        }
        throw new DirectoryNotFoundException("AcqService.sln not found above " + AppContext.BaseDirectory);
    }

    private static async Task WaitForTwoConsumersAsync(ILslOutlet outlet, ILslInlet first, ILslInlet second)
    {
        // Both inlets are open; the outlet registers each consumer after its handshake. A probe sample that both
        // receive proves both are registered; it is then pulled away so the test data starts clean.
        long deadline = Environment.TickCount64 + (long)s_wait.TotalMilliseconds;
        double[] data = new double[3];
        double[] times = new double[1];
        bool a = false;
        bool b = false;
        while (!(a && b) && Environment.TickCount64 < deadline)
        {
            outlet.PushChunk(new float[] { -1, -1, -1 }, [1.0]);
            await Task.Delay(20);
            while (first.PullChunk(data, times, TimeSpan.Zero) > 0)
            {
                a = true;
            }
            while (await second.PullChunkAsync(data, times, TimeSpan.Zero) > 0)
            {
                b = true;
            }
        }
        Assert.True(a && b, "both inlets did not receive the probe");
        await Task.Delay(50);
        while (first.PullChunk(data, times, TimeSpan.Zero) > 0)
        {
        }
        while (await second.PullChunkAsync(data, times, TimeSpan.Zero) > 0)
        {
        }
    }

    private static async Task<(double[] Data, double[] Timestamps)> PullAllAsync(ILslInlet inlet, int channels, int count)
    {
        double[] data = new double[count * channels];
        double[] timestamps = new double[count];
        int have = 0;
        long deadline = Environment.TickCount64 + (long)s_wait.TotalMilliseconds;
        while (have < count && Environment.TickCount64 < deadline)
        {
            // Small pulls so the result is assembled from many partial chunks, as the source pump does.
            int want = Math.Min(37, count - have);
            have += await inlet.PullChunkAsync(data.AsMemory(have * channels, want * channels), timestamps.AsMemory(have, want), TimeSpan.FromMilliseconds(200));
        }
        Assert.Equal(count, have);
        return (data, timestamps);
    }
}
