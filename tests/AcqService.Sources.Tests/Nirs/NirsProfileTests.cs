using AcqService.Core.Pipeline;
using AcqService.Sources.Drivers;
using AcqService.Sources.Profiles;
using AcqService.Sinks;
using AcqService.Sources.Simulation;
using Xunit.Abstractions;
using AcqService.Sessions;

namespace AcqService.Sources.Tests.Nirs;

/// <summary><c>device-profiles/simulated-needling-nirs.json</c> through the profile loader, the source builder and a fast session.</summary>
public sealed class NirsProfileTests(ITestOutputHelper output)
{
    private const double Clock = 1000.0;

    private static string ProfilePath(string name) => Path.Combine(NirsTestKit.RepoRoot, "device-profiles", name);

    [Fact]
    public void Profile_LoadsAndBuildsThreeSources_WithTheDefaultEegAndNeedleStreams()
    {
        DeviceProfile profile = ProfileLoader.LoadFile(ProfilePath("simulated-needling-nirs.json"));
        (IReadOnlyList<ISource> sources, SimulationRig? rig) = SourceBuilder.Build(profile, SourceBuilder.SimulationSettingsOf(profile, "test"), SimulationPace.Fast, 60, () => Clock);
        Assert.Equal(3, sources.Count);
        Assert.NotNull(rig?.Nirs);
        Assert.Equal(NirsTestKit.Labels16, rig!.Nirs!.Stream.Channels.Select(c => c.Label));
        Assert.All(rig.Nirs.Stream.Channels, c => Assert.True(c.Unit == "V" && c.Type == "NIRS"));
        Assert.Equal(("NIRS", 10.0), (rig.Nirs.Stream.Type, rig.Nirs.Stream.NominalRateHz));
        // The EEG and needle streams are the default profile's, unchanged.
        DeviceProfile defaults = ProfileLoader.LoadFile(ProfilePath("simulated-needling.json"));
        Assert.Equal(ProfileLoader.Describe(defaults).Select(Summary), ProfileLoader.Describe(profile).Where(s => s.Type != "NIRS").Select(Summary));
        Assert.Equal(2, SourceBuilder.Build(defaults, new SimulationSettings(), SimulationPace.Fast, 60, () => Clock).Sources.Count);
    }

    [Fact]
    public void NirsWithoutEegAndNeedle_IsRejected()
    {
        DeviceProfile profile = ProfileLoader.LoadFile(ProfilePath("simulated-needling-nirs.json"));
        profile.Streams.RemoveAll(s => s.Source.Driver == "simulated-eeg");
        profile.Regions.Clear();
        // The simulation driver states the rule once, when the profile is checked.
        Assert.Contains(SourceDriverRegistry.Default.Validate(profile), p => p.Contains("the 'simulated-nirs' driver needs a 'simulated-eeg' and a 'simulated-needle' stream", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FastSession_WithNirsProfile_CompletesWithoutErrors_NirsAt10Hz_AnalysesOnEegOnly()
    {
        DeviceProfile profile = ProfileLoader.LoadFile(ProfilePath("simulated-needling-nirs.json"));
        (IReadOnlyList<ISource> sources, SimulationRig? rig) = SourceBuilder.Build(profile, SourceBuilder.SimulationSettingsOf(profile, "test"), SimulationPace.Fast, 300, () => Clock);
        var plan = new SessionPlan { Conditions = ProfileLoader.Conditions(profile), Regions = profile.Regions };
        var session = new AcquisitionSession(sources, plan, TestRig.TempFolder(), new SessionMetadata(), () => Clock);
        SessionSummary summary = await session.RunAsync(CancellationToken.None);
        output.WriteLine(summary.ToText());
        Assert.Empty(summary.Errors);
        StreamStatistics nirs = summary.Streams.Single(s => s.Key == "nirs");
        Assert.Equal(3000, nirs.Samples);
        Assert.InRange(nirs.EffectiveRateHz, 9.99, 10.01);
        Assert.Equal(0, nirs.Gaps);
        Assert.Equal(["eeg"], session.Erp.StreamKeys);
        Assert.Equal(["eeg"], session.Alpha.StreamKeys);
        Assert.True(summary.EpochsPerCondition.Values.Sum() > 0);
        Assert.Equal(rig!.Schedule.Events.Count, summary.Markers.Values.Sum());
    }

    private static string Summary(Core.Model.StreamDescriptor s) =>
        $"{s.Key}|{s.Kind}|{s.Type}|{s.NominalRateHz}|{s.Format}|{string.Join(",", s.Channels.Select(c => c.Label + ":" + c.Unit))}";
}
