using System.Globalization;
using AcqService.Core.Model;
using AcqService.Sources.Profiles;
using AcqService.Lsl;
using AcqService.Lsl.Managed;
using AcqService.Sources.Lsl;
using AcqService.Sources.Simulation;

namespace AcqService.Sources.Tests.Lsl;

/// <summary>A predicate that matches several LSL streams is refused, pinned or decided by the documented rule.</summary>
[Collection("lsl")]
public sealed class LslStreamChoiceTests
{
    private static StreamProfile Eeg(string name, string? sourceId = null, string? hostname = null, string? choose = null)
    {
        StreamProfile s = LslTestKit.LslNeedlingProfile(name, "unused").Streams.Single(p => p.Kind == "signal");
        s.Channels = null;
        s.ChannelCount = 4;
        s.SampleRateHz = 250;
        s.Source.ResolveTimeoutSeconds = 2;
        s.Source.SourceId = sourceId;
        s.Source.Hostname = hostname;
        s.Source.Choose = choose;
        return s;
    }

    private static LslStreamInfo Info(string name, string sourceId) =>
        LslTestKit.Info(name, 4, 250, ChannelFormat.Float32) is { } info ? WithSourceId(info, sourceId) : throw new InvalidOperationException();

    private static LslStreamInfo WithSourceId(LslStreamInfo info, string sourceId)
    {
        info.SourceId = sourceId;
        return info;
    }

    [Fact]
    public async Task TwoOutletsMatch_DefaultRule_FailsListingBothCandidatesWithSourceIdHostnameAndCreatedAt()
    {
        using ManagedLslBackend backend = LslTestKit.Backend();
        string name = LslTestKit.Unique("amp");
        using ILslOutlet a = backend.CreateOutlet(Info(name, "amp-A"));
        using ILslOutlet b = backend.CreateOutlet(Info(name, "amp-B"));

        var error = await Assert.ThrowsAsync<LslSourceException>(() => LslSignalSource.ConnectAsync(Eeg(name), backend));

        Assert.Contains("matches 2 LSL streams", error.Message);
        foreach (ILslOutlet outlet in new[] { a, b })
        {
            Assert.Contains($"source_id '{outlet.Info.SourceId}', hostname '{outlet.Info.Hostname}', created_at {outlet.Info.CreatedAt.ToString("0.000", CultureInfo.InvariantCulture)}", error.Message);
        }
        Assert.NotEqual("", a.Info.Hostname);
        Assert.Contains("source.sourceId", error.Message);
        Assert.Contains("newest", error.Message);
    }

    [Fact]
    public async Task TwoOutletsMatch_SourceIdPinned_UsesThatStreamAndReportsItsHost()
    {
        using ManagedLslBackend backend = LslTestKit.Backend();
        string name = LslTestKit.Unique("amp");
        using ILslOutlet a = backend.CreateOutlet(Info(name, "amp-A"));
        using ILslOutlet b = backend.CreateOutlet(Info(name, "amp-B"));

        using LslSignalSource source = await LslSignalSource.ConnectAsync(Eeg(name, sourceId: "amp-B"), backend);

        Assert.Equal("amp-B", source.Stream.SourceId);
        Assert.Equal(b.Info.Uid, source.Info.Uid);
        Assert.Equal(b.Info.Hostname, source.Stream.Hostname);
        Assert.Equal("the only stream matching", source.Selection);
    }

    [Fact]
    public async Task TwoOutletsMatch_HostnamePinnedButBothOnThisHost_StillRefused()
    {
        using ManagedLslBackend backend = LslTestKit.Backend();
        string name = LslTestKit.Unique("amp");
        using ILslOutlet a = backend.CreateOutlet(Info(name, "amp-A"));
        using ILslOutlet b = backend.CreateOutlet(Info(name, "amp-B"));

        var error = await Assert.ThrowsAsync<LslSourceException>(() => LslSignalSource.ConnectAsync(Eeg(name, hostname: a.Info.Hostname), backend));

        Assert.Contains("matches 2 LSL streams", error.Message);
        Assert.Contains($"hostname='{a.Info.Hostname}'", error.Message);
    }

    [Fact]
    public async Task TwoOutletsMatch_ChooseNewest_UsesTheOneCreatedLast()
    {
        using ManagedLslBackend backend = LslTestKit.Backend();
        string name = LslTestKit.Unique("amp");
        using ILslOutlet older = backend.CreateOutlet(Info(name, "amp-old"));
        await Task.Delay(50);
        using ILslOutlet newer = backend.CreateOutlet(Info(name, "amp-new"));
        Assert.True(newer.Info.CreatedAt > older.Info.CreatedAt);

        using LslSignalSource source = await LslSignalSource.ConnectAsync(Eeg(name, choose: "newest"), backend);

        Assert.Equal("amp-new", source.Stream.SourceId);
        Assert.StartsWith("the newest of 2 streams matching", source.Selection);
        Assert.Contains("not chosen: source_id 'amp-old'", source.Selection);
    }

    [Fact]
    public async Task MarkerStreamOfASecondSimulator_IsRefusedToo()
    {
        using ManagedLslBackend backend = LslTestKit.Backend();
        string shared = Guid.NewGuid().ToString("N");
        // Two simulators publishing the same stream names, as two `acq simulate` runs do; source_ids differ per run.
        using var first = new SimulatedLslPublisher(backend, Rig(shared, "run1", backend));
        using var second = new SimulatedLslPublisher(backend, Rig(shared, "run2", backend));
        StreamProfile markers = LslTestKit.LslNeedlingProfile("unused", "AcqSim Needle " + shared).Streams.Single(s => s.Kind == "markers");
        markers.Source.ResolveTimeoutSeconds = 2;

        var error = await Assert.ThrowsAsync<LslSourceException>(() => LslMarkerSource.ConnectAsync(markers, backend));

        Assert.Contains("matches 2 LSL streams", error.Message);
        Assert.Contains("source_id 'acqsim-needle-run1'", error.Message);
        Assert.Contains("source_id 'acqsim-needle-run2'", error.Message);

        markers.Source.SourceId = "acqsim-needle-run2";
        using LslMarkerSource pinned = await LslMarkerSource.ConnectAsync(markers, backend);
        Assert.Equal("acqsim-needle-run2", pinned.Stream.SourceId);
    }

    [Theory]
    [InlineData("type='EEG'", null, null, "type='EEG'")]
    [InlineData("type='EEG' or type='X'", "dev-1", null, "(type='EEG' or type='X') and source_id='dev-1'")]
    [InlineData("type='EEG'", "o'neil", "lab-pc", "(type='EEG') and source_id=\"o'neil\" and hostname='lab-pc'")]
    public void Query_PinsAreAddedToThePredicate(string predicate, string? sourceId, string? hostname, string expected)
    {
        var source = new SourceProfile { Driver = "lsl", Predicate = predicate, SourceId = sourceId, Hostname = hostname };

        Assert.Equal(expected, LslStreamChoice.Query(source));
    }

    private static SimulationRig Rig(string names, string run, ManagedLslBackend backend) =>
        new(new SimulationSettings(),
            new StreamDescriptor("eeg", StreamKind.Signal, "AcqSim EEG " + names, "EEG", [.. TestRig.Labels32.Select(l => new ChannelDescriptor(l, "uV", "EEG"))], 500, ChannelFormat.Float32, "acqsim-eeg-" + run),
            new StreamDescriptor("needle", StreamKind.Markers, "AcqSim Needle " + names, "Markers", [new ChannelDescriptor("marker", "", "Marker")], 0, ChannelFormat.String, "acqsim-needle-" + run),
            SimulationPace.Live, 5, backend.LocalClock);
}
