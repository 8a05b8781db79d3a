using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Profiles;
using AcqService.Sources.Lsl;
using AcqService.Lsl;
using AcqService.Lsl.Managed;

namespace AcqService.Sources.Tests.Lsl;

/// <summary>Connecting LSL sources: profile checks and discovery failures.</summary>
[Collection("lsl")]
public sealed class LslSourceTests
{
    private static StreamProfile EegProfile(string name, string? onMismatch, double resolveSeconds = 5) =>
        LslTestKit.LslNeedlingProfile(name, "unused").Streams.Single(s => s.Kind == "signal") is { } s
            ? Narrow(s, name, onMismatch, resolveSeconds)
            : throw new InvalidOperationException();

    private static StreamProfile Narrow(StreamProfile s, string name, string? onMismatch, double resolveSeconds)
    {
        s.Source.OnMismatch = onMismatch;
        s.Source.ResolveTimeoutSeconds = resolveSeconds;
        return s;
    }

    [Fact]
    public async Task ChannelCountMismatch_Error_FailsNamingExpectedAndActual()
    {
        using ManagedLslBackend backend = LslTestKit.Backend();
        string name = LslTestKit.Unique("eeg8");
        using ILslOutlet outlet = backend.CreateOutlet(LslTestKit.Info(name, 8, 500, ChannelFormat.Float32));

        var error = await Assert.ThrowsAsync<LslSourceException>(() => LslSignalSource.ConnectAsync(EegProfile(name, "error"), backend));

        Assert.Contains("channel count: profile expects 32, stream has 8", error.Message);
        Assert.Contains(name, error.Message);
        Assert.Contains("onMismatch", error.Message);
        // Default (no onMismatch) is error as well.
        await Assert.ThrowsAsync<LslSourceException>(() => LslSignalSource.ConnectAsync(EegProfile(name, null), backend));
    }

    [Fact]
    public async Task ChannelCountMismatch_Warn_RunsWithTheStreamsChannelsAndLabelsFromDesc()
    {
        using ManagedLslBackend backend = LslTestKit.Backend();
        string name = LslTestKit.Unique("eeg8w");
        string[] labels = ["O1", "Oz", "O2", "P3", "Pz", "P4", "C3", "C4"];
        LslStreamInfo info = LslTestKit.Info(name, 8, 250, ChannelFormat.Int16).WithChannels(labels.Select(l => (l, "uV", "EEG")));
        using ILslOutlet outlet = backend.CreateOutlet(info);

        using LslSignalSource source = await LslSignalSource.ConnectAsync(EegProfile(name, "warn"), backend);

        Assert.Equal(8, source.Stream.ChannelCount);
        Assert.Equal(250, source.Stream.NominalRateHz);
        Assert.Equal(ChannelFormat.Int16, source.Stream.Format);
        Assert.Equal(labels, source.Stream.Channels.Select(c => c.Label));
        Assert.All(source.Stream.Channels, c => Assert.Equal("uV", c.Unit));

        // It runs: 100 samples pushed arrive with their values and raw timestamps.
        new StreamRegistry().Add(source.Stream);
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Data<SourceItem>("test", singleWriter: false);
        using var stop = new CancellationTokenSource();
        Task running = source.RunAsync(edge, stop.Token);
        Assert.True(outlet.WaitForConsumers(TimeSpan.FromSeconds(5)));
        long[] data = new long[100 * 8];
        double[] times = new double[100];
        for (int i = 0; i < 100; i++)
        {
            times[i] = 5000 + (i / 250.0);
            for (int c = 0; c < 8; c++)
            {
                data[(i * 8) + c] = (i * 10) + c;
            }
        }
        outlet.PushChunk(data, times);
        var received = new List<(double Time, double First, double Last)>();
        int offsets = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (received.Count < 100)
        {
            SourceItem item = await edge.Reader.ReadAsync(deadline.Token);
            if (item.Kind == SourceItemKind.ClockOffset)
            {
                offsets++;
                Assert.True(Math.Abs(item.Offset.Offset) < 0.01, $"same-host offset {item.Offset.Offset}");
            }
            if (item.Kind == SourceItemKind.Samples)
            {
                SampleChunk chunk = item.Chunk!;
                for (int i = 0; i < chunk.Count; i++)
                {
                    received.Add((chunk.Timestamps[i], chunk.Frame(i)[0], chunk.Frame(i)[7]));
                }
                chunk.Release();
            }
        }
        stop.Cancel();
        await running.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(offsets >= 1, "no clock offset before the samples");
        Assert.Equal(times, received.Select(r => r.Time));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (double)(i * 10)), received.Select(r => r.First));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (double)((i * 10) + 7)), received.Select(r => r.Last));
        Assert.Equal(100, source.Received);
    }

    [Fact]
    public async Task StringStreamAsSignal_IsRefusedEvenWithWarn()
    {
        using ManagedLslBackend backend = LslTestKit.Backend();
        string name = LslTestKit.Unique("strsig");
        using ILslOutlet outlet = backend.CreateOutlet(LslTestKit.Info(name, 32, 500, ChannelFormat.String));
        var error = await Assert.ThrowsAsync<LslSourceException>(() => LslSignalSource.ConnectAsync(EegProfile(name, "warn"), backend));
        Assert.Contains("cannot be a signal", error.Message);
    }

    [Fact]
    public async Task NotFound_MessageNamesThePredicateAndDiscoveryHints()
    {
        using ManagedLslBackend backend = LslTestKit.Backend();
        string name = LslTestKit.Unique("absent");
        StreamProfile profile = EegProfile(name, null, resolveSeconds: 1);
        long start = Environment.TickCount64;

        var error = await Assert.ThrowsAsync<LslSourceException>(() => LslSignalSource.ConnectAsync(profile, backend));

        Assert.True(Environment.TickCount64 - start < 6000, "resolve did not honour resolveTimeoutSeconds");
        Assert.Contains($"type='EEG' and name='{name}'", error.Message);
        Assert.Contains("within 1 s", error.Message);
        Assert.Contains("multicast.ResolveScope = machine (this computer only)", error.Message);
        Assert.Contains("lab.KnownPeers = {127.0.0.1}", error.Message);
        Assert.Contains("firewall", error.Message);
        Assert.Contains("(loopback preset)", error.Message);
        Assert.Contains("lsl_api.cfg", error.Message);
    }

    [Fact]
    public async Task NumericMarkerStream_LabelIsTheNumberAndCodeTheValue()
    {
        using ManagedLslBackend backend = LslTestKit.Backend();
        string name = LslTestKit.Unique("trig");
        using ILslOutlet outlet = backend.CreateOutlet(LslTestKit.Info(name, 1, 0, ChannelFormat.Int32, "Markers"));
        StreamProfile profile = LslTestKit.LslNeedlingProfile("unused", name).Streams.Single(s => s.Kind == "markers");
        profile.Source.OnMismatch = "warn";

        using LslMarkerSource source = await LslMarkerSource.ConnectAsync(profile, backend);
        new StreamRegistry().Add(source.Stream);
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Data<SourceItem>("test", singleWriter: false);
        using var stop = new CancellationTokenSource();
        Task running = source.RunAsync(edge, stop.Token);
        Assert.True(outlet.WaitForConsumers(TimeSpan.FromSeconds(5)));
        outlet.PushChunk([17L, -3L, 255L], [10.0, 11.0, 12.5]);
        var markers = new List<Marker>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (markers.Count < 3)
        {
            SourceItem item = await edge.Reader.ReadAsync(deadline.Token);
            if (item.Kind == SourceItemKind.Marker)
            {
                markers.Add(item.Marker);
            }
        }
        stop.Cancel();
        await running.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(["17", "-3", "255"], markers.Select(m => m.Label));
        Assert.Equal([17, -3, 255], markers.Select(m => m.Code!.Value));
        Assert.Equal([10.0, 11.0, 12.5], markers.Select(m => m.Timestamp));
    }
}
