using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sinks;
using AcqService.Sources.Lsl;
using AcqService.Sources.Simulation;
using AcqService.Sources.Tests.Xdf;
using AcqService.Sources.Xdf;
using AcqService.Lsl;
using AcqService.Lsl.Managed;
using AcqService.Xdf;
using Xunit.Abstractions;
using AcqService.Sessions;
using AcqService.Sinks.Xdf;

namespace AcqService.Sources.Tests.Lsl;

/// <summary>An XDF recording replayed (live pace, speed 20) to real LSL outlets on loopback and received by inlets.</summary>
[Collection("lsl")]
public sealed class SourceLslPublisherTests(ITestOutputHelper output)
{
    private const double RecordedClock = 1000.0;
    private const double Speed = 20;

    /// <summary>The file's raw timestamps, as the replay pushes them (no clock sync, no dejitter).</summary>
    private static readonly XdfLoadOptions Raw = new() { SynchronizeClocks = false, DejitterTimestamps = false };

    [Fact]
    public async Task Replay_OriginalTimestamps_InletsReceiveExactValuesTimestampsAndLabels()
    {
        (string path, string id) = await RecordAsync(8);
        XdfFile file = XdfFile.Load(path, Raw);
        XdfStream eeg = file.Streams.Single(s => s.Header.Type == "EEG");
        XdfStream markers = file.Streams.Single(s => s.Header.Type == "Markers");
        Assert.True(markers.SampleCount >= 2, $"only {markers.SampleCount} markers recorded");

        using ManagedLslBackend backend = LslTestKit.Backend();
        XdfReplaySource source = XdfReplayFactory.Open(path, new XdfReplayOptions { Pace = ReplayPace.Live, SpeedFactor = Speed });
        using var publisher = new SourceLslPublisher(backend, [source], new SourceLslPublisherOptions { ConsumerTimeout = TimeSpan.FromSeconds(15) });
        LslStreamInfo outlet = publisher.OutletInfo(source.Streams.Single(s => s.Type == "EEG"));
        Assert.Equal("acqsim-eeg-" + id, outlet.SourceId);
        Assert.Equal(32, outlet.ChannelCount);
        Assert.Equal(500, outlet.NominalSrate);
        Assert.Equal(ChannelFormat.Float32, outlet.ChannelFormat);
        Assert.Equal(TestRig.Labels32, outlet.ChannelLabels);

        Received received = await ReceiveAsync(backend, publisher, id, eeg.SampleCount, markers.SampleCount);

        Assert.Equal(0, publisher.TimestampOffset);
        Assert.Equal(eeg.Timestamps, received.EegTimes);
        Assert.Equal(eeg.NumericValues, received.EegValues);
        Assert.Equal(markers.StringValues, received.Labels);
        Assert.Equal(markers.Timestamps, received.MarkerTimes);
        Assert.Equal(32, received.EegInfo.ChannelLabels.Count);
        Assert.Equal(TestRig.Labels32, received.EegInfo.ChannelLabels);
    }

    [Fact]
    public async Task Replay_Restamped_OneCommonOffsetStartingNow()
    {
        (string path, string id) = await RecordAsync(8);
        XdfFile file = XdfFile.Load(path, Raw);
        XdfStream eeg = file.Streams.Single(s => s.Header.Type == "EEG");
        XdfStream markers = file.Streams.Single(s => s.Header.Type == "Markers");

        using ManagedLslBackend backend = LslTestKit.Backend();
        XdfReplaySource source = XdfReplayFactory.Open(path, new XdfReplayOptions { Pace = ReplayPace.Live, SpeedFactor = Speed });
        using var publisher = new SourceLslPublisher(backend, [source], new SourceLslPublisherOptions { Restamp = true, ConsumerTimeout = TimeSpan.FromSeconds(15) });
        double before = backend.LocalClock();
        Received received = await ReceiveAsync(backend, publisher, id, eeg.SampleCount, markers.SampleCount);

        double offset = received.EegTimes[0] - eeg.Timestamps[0];
        output.WriteLine($"offset {offset:F6} s, publisher {publisher.TimestampOffset:F6} s, first restamped {received.EegTimes[0]:F3}, clock before {before:F3}");
        Assert.Equal(publisher.TimestampOffset, offset, 1e-9);
        // The first item of the file (an EEG chunk) is stamped with the clock at the moment it was pushed.
        Assert.InRange(received.EegTimes[0], before, before + 10);
        for (int i = 0; i < eeg.SampleCount; i++)
        {
            Assert.True(Math.Abs(received.EegTimes[i] - eeg.Timestamps[i] - offset) < 1e-9, $"EEG sample {i} shifted by {received.EegTimes[i] - eeg.Timestamps[i]}");
        }
        for (int i = 0; i < markers.SampleCount; i++)
        {
            Assert.True(Math.Abs(received.MarkerTimes[i] - markers.Timestamps[i] - offset) < 1e-9, $"marker {i} shifted by {received.MarkerTimes[i] - markers.Timestamps[i]}");
        }
        Assert.Equal(eeg.NumericValues, received.EegValues);
        Assert.Equal(markers.StringValues, received.Labels);
    }

    [Fact]
    public async Task SecondPass_IsRestampedSoTimestampsKeepIncreasing()
    {
        (string path, string id) = await RecordAsync(4);
        XdfFile file = XdfFile.Load(path, Raw);
        XdfStream eeg = file.Streams.Single(s => s.Header.Type == "EEG");
        XdfStream markers = file.Streams.Single(s => s.Header.Type == "Markers");

        using ManagedLslBackend backend = LslTestKit.Backend();
        XdfReplaySource source = XdfReplayFactory.Open(path, new XdfReplayOptions { Pace = ReplayPace.Live, SpeedFactor = Speed });
        using var publisher = new SourceLslPublisher(backend, [source], new SourceLslPublisherOptions { ConsumerTimeout = TimeSpan.FromSeconds(15) });
        Received received = await ReceiveAsync(backend, publisher, id, 2 * eeg.SampleCount, 2 * markers.SampleCount, passes: 2);

        Assert.Equal(2, publisher.Passes);
        double offset = publisher.TimestampOffset;
        Assert.True(offset > 0, $"second pass offset {offset}");
        for (int i = 1; i < received.EegTimes.Length; i++)
        {
            Assert.True(received.EegTimes[i] > received.EegTimes[i - 1], $"EEG timestamp {i} does not increase: {received.EegTimes[i - 1]} → {received.EegTimes[i]}");
        }
        for (int i = 0; i < eeg.SampleCount; i++)
        {
            Assert.Equal(eeg.Timestamps[i], received.EegTimes[i]);
            Assert.True(Math.Abs(received.EegTimes[eeg.SampleCount + i] - eeg.Timestamps[i] - offset) < 1e-9);
        }
        Assert.Equal(markers.StringValues!.Concat(markers.StringValues!), received.Labels);
    }

    /// <summary>A fast simulated session (unique stream names and source_ids) recorded to XDF with the fixed clock.</summary>
    private static async Task<(string Path, string Id)> RecordAsync(double seconds)
    {
        string id = Guid.NewGuid().ToString("N");
        var settings = new SimulationSettings { Seed = 11, VariableChunks = true, FirstInsertionSeconds = 1 };
        SimulationRig rig = LslTestKit.Rig(id, settings, SimulationPace.Fast, seconds, () => RecordedClock);
        string path = XdfTestSessions.TempXdf();
        var recorder = new XdfRecorderSink(path, [.. rig.Sources.SelectMany(s => s.Streams)], new RecordingMetadata());
        var session = new AcquisitionSession(rig.Sources, XdfTestSessions.Plan(), TestRig.TempFolder(), new SessionMetadata(), () => RecordedClock, [recorder]);
        await session.RunAsync(CancellationToken.None);
        Assert.Empty(session.Errors);
        return (path, id);
    }

    private sealed record Received(double[] EegTimes, double[] EegValues, double[] MarkerTimes, string[] Labels, LslStreamInfo EegInfo);

    /// <summary>Connects inlets to the publisher's two streams, runs <paramref name="passes"/> passes and pulls everything.</summary>
    private static async Task<Received> ReceiveAsync(ManagedLslBackend backend, SourceLslPublisher publisher, string id, int eegSamples, int markerCount, int passes = 1)
    {
        LslStreamInfo eegFound = Assert.Single(backend.Resolve($"source_id='acqsim-eeg-{id}'", 1, TimeSpan.FromSeconds(10)));
        LslStreamInfo markerFound = Assert.Single(backend.Resolve($"source_id='acqsim-needle-{id}'", 1, TimeSpan.FromSeconds(10)));
        using ILslInlet eegInlet = backend.CreateInlet(eegFound);
        using ILslInlet markerInlet = backend.CreateInlet(markerFound);
        LslStreamInfo eegInfo = eegInlet.GetFullInfo(TimeSpan.FromSeconds(5));
        eegInlet.Open(TimeSpan.FromSeconds(5));
        markerInlet.Open(TimeSpan.FromSeconds(5));

        Task publishing = Task.Run(async () =>
        {
            for (int pass = 0; pass < passes; pass++)
            {
                await publisher.RunAsync(CancellationToken.None);
            }
        });
        var eegTimes = new List<double>(eegSamples);
        var eegValues = new List<double>(eegSamples * 32);
        var markerTimes = new List<double>();
        var labels = new List<string>();
        double[] data = new double[512 * 32], times = new double[512];
        string[] text = new string[16];
        double[] textTimes = new double[16];
        long deadline = Environment.TickCount64 + 60_000;
        await Task.Run(() =>
        {
            while ((eegTimes.Count < eegSamples || labels.Count < markerCount) && Environment.TickCount64 < deadline)
            {
                int n = eegInlet.PullChunk(data, times, TimeSpan.FromMilliseconds(50));
                eegTimes.AddRange(times.AsSpan(0, n));
                eegValues.AddRange(data.AsSpan(0, n * 32));
                int m = markerInlet.PullChunk(text, textTimes, TimeSpan.FromMilliseconds(n > 0 ? 0 : 10));
                markerTimes.AddRange(textTimes.AsSpan(0, m));
                labels.AddRange(text.AsSpan(0, m));
            }
        });
        await publishing.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(eegTimes.Count == eegSamples && labels.Count == markerCount,
            $"received {eegTimes.Count}/{eegSamples} samples and {labels.Count}/{markerCount} markers");
        return new Received([.. eegTimes], [.. eegValues], [.. markerTimes], [.. labels], eegInfo);
    }
}
