using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Profiles;
using AcqService.Sources.Simulation;
using AcqService.Lsl;
using AcqService.Lsl.Config;
using AcqService.Lsl.Managed;
using AcqService.Sessions;

namespace AcqService.Sources.Tests.Lsl;

/// <summary>
/// LSL test helpers. Every backend is the loopback preset (nothing leaves 127.0.0.1) and every stream name and
/// source_id carries a Guid, so tests never see each other's (or other engineers') streams.
/// </summary>
internal static class LslTestKit
{
    public static ManagedLslBackend Backend() => new(LslConfig.Loopback());

    public static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N");

    /// <summary>The repository's <c>lsl-needling.json</c>, with its predicates narrowed to this test's streams.</summary>
    public static DeviceProfile LslNeedlingProfile(string eegName, string markerName)
    {
        DeviceProfile profile = ProfileLoader.LoadFile(Path.Combine(RepositoryRoot(), "device-profiles", "lsl-needling.json"));
        StreamProfile eeg = profile.Streams.Single(s => s.Kind == "signal");
        StreamProfile markers = profile.Streams.Single(s => s.Kind == "markers");
        Assert.Equal("type='EEG'", eeg.Source.Predicate);
        Assert.Equal("type='Markers'", markers.Source.Predicate);
        eeg.Source.Predicate += $" and name='{eegName}'";
        markers.Source.Predicate += $" and name='{markerName}'";
        return profile;
    }

    public static SessionPlan Plan(DeviceProfile profile) => new()
    {
        Conditions = ProfileLoader.Conditions(profile),
        Regions = profile.Regions,
    };

    /// <summary>A rig whose two streams have unique names and source ids.</summary>
    public static SimulationRig Rig(string id, SimulationSettings settings, SimulationPace pace, double? seconds, Func<double> clock) =>
        new(settings,
            new StreamDescriptor("eeg", StreamKind.Signal, "AcqSim EEG " + id, "EEG", [.. TestRig.Labels32.Select(l => new ChannelDescriptor(l, "uV", "EEG"))], 500, ChannelFormat.Float32, "acqsim-eeg-" + id),
            new StreamDescriptor("needle", StreamKind.Markers, "AcqSim Needle " + id, "Markers", [new ChannelDescriptor("marker", "", "Marker")], 0, ChannelFormat.String, "acqsim-needle-" + id),
            pace, seconds, clock);

    public static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "device-profiles")) && File.Exists(Path.Combine(dir.FullName, "Directory.Build.props")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("repository root (with device-profiles/) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Polls until <paramref name="condition"/> holds or the timeout passes.</summary>
    public static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }
            await Task.Delay(50);
        }
        return true;
    }

    /// <summary>A single info for hand-made outlets.</summary>
    public static LslStreamInfo Info(string name, int channels, double rate, ChannelFormat format, string type = "EEG") => new()
    {
        Name = name,
        Type = type,
        ChannelCount = channels,
        NominalSrate = rate,
        ChannelFormat = format,
        SourceId = name + "-sid",
    };
}

/// <summary>Raw tap that keeps markers and gaps (and releases chunks).</summary>
internal sealed class RawCapture : IRawSink
{
    public List<Marker> Markers { get; } = [];

    public List<StreamGap> Gaps { get; } = [];

    public string Name => "capture";

    public async Task RunAsync(Edge<SourceItem> input, CancellationToken cancellationToken)
    {
        while (await input.Reader.WaitToReadAsync(cancellationToken))
        {
            while (input.Reader.TryRead(out SourceItem item))
            {
                item.Chunk?.Release();
                if (item.Kind == SourceItemKind.Marker)
                {
                    Markers.Add(item.Marker);
                }
                else if (item.Kind == SourceItemKind.Gap)
                {
                    Gaps.Add(item.Gap);
                }
            }
        }
    }
}
