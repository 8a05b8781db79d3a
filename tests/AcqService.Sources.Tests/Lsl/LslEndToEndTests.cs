using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Profiles;
using AcqService.Sinks;
using AcqService.Sources.Lsl;
using AcqService.Sources.Simulation;
using AcqService.Lsl.Managed;
using Xunit.Abstractions;
using AcqService.Sessions;

namespace AcqService.Sources.Tests.Lsl;

/// <summary>Simulator → real LSL outlets (loopback) → LSL sources → full session.</summary>
[Collection("lsl")]
public sealed class LslEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task FastPublisher_ThroughLslIntoSession_SameSamplesMarkersAndEpochsAsDirectSession()
    {
        const double seconds = 90;
        using ManagedLslBackend backend = LslTestKit.Backend();
        string id = Guid.NewGuid().ToString("N");
        var settings = new SimulationSettings();
        SimulationRig rig = LslTestKit.Rig(id, settings, SimulationPace.Fast, seconds, backend.LocalClock);
        using var publisher = new SimulatedLslPublisher(backend, rig);
        DeviceProfile profile = LslTestKit.LslNeedlingProfile(rig.Eeg.Stream.Name, rig.Markers.Stream.Name);

        (IReadOnlyList<ISource> sources, SimulationRig? noRig) = await SourceBuilder.BuildAsync(profile, settings, SimulationPace.Live, null, backend.LocalClock, backend, null, CancellationToken.None);
        Assert.Null(noRig);
        LslSignalSource eeg = Assert.IsType<LslSignalSource>(sources[0]);
        LslMarkerSource needle = Assert.IsType<LslMarkerSource>(sources[1]);
        Assert.Equal(32, eeg.Stream.ChannelCount);
        Assert.Equal(500, eeg.Stream.NominalRateHz);
        Assert.Equal("acqsim-eeg-" + id, eeg.Stream.SourceId);
        Assert.Equal(TestRig.Labels32, eeg.Stream.Channels.Select(c => c.Label));

        var capture = new RawCapture();
        // Fast pace compresses 90 s into well under a second, and the EEG and marker inlets are independent TCP
        // streams: on a loaded machine the EEG can run tens of simulated seconds ahead of the markers. Buffers
        // that cover the whole run make the result depend on timestamps only, as in a live session.
        SessionPlan plan = LslTestKit.Plan(profile);
        plan.Aligner.HistorySeconds = 2 * seconds;
        plan.Epochs.HistorySeconds = 2 * seconds;
        var session = new AcquisitionSession(sources, plan, TestRig.TempFolder(), new SessionMetadata(), backend.LocalClock, [capture]);
        using var stop = new CancellationTokenSource();
        Task<SessionSummary> running = session.RunAsync(stop.Token);
        await publisher.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        long produced = rig.Eeg.Produced;
        Assert.Equal((long)(seconds * 500), produced);
        Assert.Equal(produced, publisher.SamplesPushed);
        bool all = await LslTestKit.WaitUntilAsync(() => eeg.Received == produced && needle.Received == publisher.MarkersPushed, TimeSpan.FromSeconds(20));
        Assert.True(all, $"received {eeg.Received}/{produced} samples, {needle.Received}/{publisher.MarkersPushed} markers");
        stop.Cancel();
        SessionSummary summary = await running.WaitAsync(TimeSpan.FromSeconds(20));
        output.WriteLine(summary.ToText());

        StreamStatistics stats = summary.Streams.Single(s => s.Key == "eeg");
        Assert.Equal(produced, stats.Samples);
        Assert.Equal(0, stats.Gaps);
        Assert.Empty(summary.Errors);
        string[] expectedLabels = [.. rig.Schedule.Events.Take(rig.Markers.Emitted).Select(e => e.Label)];
        Assert.True(expectedLabels.Length >= 10, $"only {expectedLabels.Length} markers in {seconds} s");
        Assert.Equal(expectedLabels, capture.Markers.Select(m => m.Label));
        Assert.Equal(expectedLabels.Length, summary.Markers["needle"]);

        // Ground truth: the same simulation straight into a session, without LSL, gives the same epochs.
        SimulationRig direct = LslTestKit.Rig(id, settings, SimulationPace.Fast, seconds, backend.LocalClock);
        SessionSummary reference = await new AcquisitionSession(direct.Sources, plan, TestRig.TempFolder(), new SessionMetadata(), backend.LocalClock).RunAsync(CancellationToken.None);
        Assert.NotEmpty(reference.EpochsPerCondition);
        Assert.Equal(reference.EpochsPerCondition.OrderBy(p => p.Key), summary.EpochsPerCondition.OrderBy(p => p.Key));
        Assert.Equal(reference.DropsByReason.OrderBy(p => p.Key), summary.DropsByReason.OrderBy(p => p.Key));
        Assert.True(summary.EpochsPerCondition.Values.Sum() >= 8, "too few epochs: " + string.Join(", ", summary.EpochsPerCondition));
    }
}
