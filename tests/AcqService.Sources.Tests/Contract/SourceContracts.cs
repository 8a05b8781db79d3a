using System.Diagnostics;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Profiles;
using AcqService.Lsl;
using AcqService.Lsl.Managed;
using AcqService.Sinks.Xdf;
using AcqService.Sources.Lsl;
using AcqService.Sources.Simulation;
using AcqService.Sources.Tests.Lsl;
using AcqService.Sources.Tests.Nirs;
using AcqService.Sources.Xdf;
using AcqService.Xdf;

namespace AcqService.Sources.Tests.Contract;

/// <summary>Simulated devices: rigs with exact (unjittered) device timestamps so the raw ones are known.</summary>
internal static class SimulatedSubjects
{
    public static SimulationSettings Settings() => new() { Seed = 11, TimestampJitterSeconds = 0, MarkerClockOffsetSeconds = 0.25 };

    /// <summary>
    /// A live-pace rig on a clock running <paramref name="speed"/> times faster than real time. Live, because at fast
    /// pace the rig's sources are one unit (the EEG source drives the others and writes their items), so a single
    /// source could not be run on its own.
    /// </summary>
    public static SimulationRig Rig(double? seconds, double speed = 1)
    {
        var clock = Stopwatch.StartNew();
        return new(Settings(), NirsTestKit.SmallEeg(), TestRig.Needle(), NirsTestKit.Nirs(), SimulationPace.Live, seconds,
            () => 1000.0 + (clock.Elapsed.TotalSeconds * speed));
    }

    /// <summary>Device clock of a regular simulated stream: origin + n / rate, exactly.</summary>
    public static double[] Regular(SimulationRig rig, StreamDescriptor stream, double seconds) =>
        [.. Enumerable.Range(0, (int)Math.Round(seconds * stream.NominalRateHz)).Select(n => rig.Origin + (n / stream.NominalRateHz))];
}

public sealed class SimulatedEegSourceContractTests : SourceContractTests
{
    private const double Seconds = 2;

    protected override Task<ContractSubject> CreateAsync()
    {
        SimulationRig rig = SimulatedSubjects.Rig(Seconds, speed: 40);
        return Task.FromResult(new ContractSubject
        {
            Source = rig.Eeg,
            RawTimestamps = new Dictionary<string, double[]> { [rig.Eeg.Stream.Key] = SimulatedSubjects.Regular(rig, rig.Eeg.Stream, Seconds) },
        });
    }

    protected override Task<ContractSubject> CreateEndlessAsync() =>
        Task.FromResult(new ContractSubject { Source = SimulatedSubjects.Rig(null).Eeg });

    protected override string NoGapReason => "the simulated amplifier has no outages (gaps over LSL: LslSignalSource)";
}

public sealed class SimulatedNirsSourceContractTests : SourceContractTests
{
    private const double Seconds = 3;

    protected override Task<ContractSubject> CreateAsync()
    {
        SimulationRig rig = SimulatedSubjects.Rig(Seconds, speed: 40);
        return Task.FromResult(new ContractSubject
        {
            Source = rig.Nirs!,
            RawTimestamps = new Dictionary<string, double[]> { [rig.Nirs!.Stream.Key] = SimulatedSubjects.Regular(rig, rig.Nirs.Stream, Seconds) },
        });
    }

    protected override Task<ContractSubject> CreateEndlessAsync() =>
        Task.FromResult(new ContractSubject { Source = SimulatedSubjects.Rig(null).Nirs! });

    protected override string NoGapReason => "the simulated fNIRS device has no outages";
}

public sealed class SimulatedNeedleSourceContractTests : SourceContractTests
{
    private const double Seconds = 40;

    protected override Task<ContractSubject> CreateAsync()
    {
        SimulationRig rig = SimulatedSubjects.Rig(Seconds, speed: 40);
        // The marker device's own clock runs 0.25 s behind: raw = origin + event time − 0.25, uncorrected.
        double[] raw = [.. rig.Schedule.Events.Where(e => e.Time < Seconds).Select(e => rig.Origin + e.Time - rig.Settings.MarkerClockOffsetSeconds)];
        Assert.NotEmpty(raw);
        return Task.FromResult(new ContractSubject
        {
            Source = rig.Markers,
            RawTimestamps = new Dictionary<string, double[]> { [rig.Markers.Stream.Key] = raw },
        });
    }

    protected override Task<ContractSubject> CreateEndlessAsync() =>
        Task.FromResult(new ContractSubject { Source = SimulatedSubjects.Rig(null).Markers });

    protected override string NoGapReason => "the simulated marker source has no outages";
}

public sealed class XdfReplaySourceContractTests : SourceContractTests
{
    private static readonly Lazy<Task<string>> s_recording = new(async () => (await Xdf.XdfTestSessions.RecordAsync(20)).Path);

    protected override async Task<ContractSubject> CreateAsync()
    {
        string path = await s_recording.Value;
        XdfReplaySource source = XdfReplayFactory.Open(path);
        // The file's raw timestamps, read independently of the replay source.
        XdfFile file = XdfFile.Load(path, new XdfLoadOptions { SynchronizeClocks = false, DejitterTimestamps = false });
        var raw = new Dictionary<string, double[]>();
        foreach (StreamDescriptor stream in source.Streams)
        {
            raw[stream.Key] = file.Streams.Single(s => s.Header.Name == stream.Name).Timestamps;
        }
        return new ContractSubject { Source = source, RawTimestamps = raw };
    }

    protected override async Task<ContractSubject> CreateEndlessAsync() =>
        new() { Source = XdfReplayFactory.Open(await s_recording.Value, new XdfReplayOptions { Pace = ReplayPace.Live }) };

    protected override async Task<ContractSubject?> CreateWithGapAsync()
    {
        // A recording that holds a gap (kept in its events stream).
        var registry = new StreamRegistry();
        StreamDescriptor eeg = registry.Add(Xdf.XdfTestSessions.Eeg(ChannelFormat.Float32));
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Recorder<SourceItem>("gap");
        var before = new SampleChunk(eeg.Index, 32, 4) { Count = 4 };
        var after = new SampleChunk(eeg.Index, 32, 4) { Count = 4 };
        for (int i = 0; i < 4; i++)
        {
            before.Timestamps[i] = 50 + (i / 500.0);
            after.Timestamps[i] = 52 + (i / 500.0);
        }
        await edge.WriteAsync(SourceItem.ForSamples(before), CancellationToken.None);
        await edge.WriteAsync(SourceItem.ForGap(new StreamGap(eeg.Index, 50.006, 52.0, 997, "amplifier reconnect")), CancellationToken.None);
        await edge.WriteAsync(SourceItem.ForSamples(after), CancellationToken.None);
        edge.Complete();
        string path = Xdf.XdfTestSessions.TempXdf("gap.xdf");
        await new XdfRecorderSink(path, registry.Streams).RunAsync(edge, CancellationToken.None);
        return new ContractSubject { Source = XdfReplayFactory.Open(path) };
    }
}

/// <summary>LSL sources on the managed backend (loopback) fed by a managed outlet in the test.</summary>
internal static class LslSubjects
{
    public const int Samples = 100;

    public static StreamProfile Profile(string name, bool markers) => new()
    {
        Key = markers ? "needle" : "eeg",
        Kind = markers ? "markers" : "signal",
        Type = markers ? "Markers" : "EEG",
        SampleRateHz = markers ? null : 250,
        ChannelFormat = markers ? "string" : "float32",
        ChannelCount = markers ? 1 : 4,
        Source = new SourceProfile { Driver = "lsl", Predicate = $"name='{name}'", ResolveTimeoutSeconds = 2 },
    };

    public static double[] Times(bool markers) => [.. Enumerable.Range(0, markers ? 5 : Samples).Select(i => 5000 + (markers ? i * 0.5 : i / 250.0))];

    public static async Task<ContractSubject> CreateAsync(bool markers, bool push)
    {
        ManagedLslBackend backend = LslTestKit.Backend();
        string name = LslTestKit.Unique(markers ? "contract-mk" : "contract-eeg");
        ILslOutlet outlet = backend.CreateOutlet(markers
            ? LslTestKit.Info(name, 1, 0, ChannelFormat.String, "Markers")
            : LslTestKit.Info(name, 4, 250, ChannelFormat.Float32));
        ISource source = markers
            ? await LslMarkerSource.ConnectAsync(Profile(name, true), backend)
            : await LslSignalSource.ConnectAsync(Profile(name, false), backend);
        double[] times = Times(markers);
        var subject = new ContractSubject
        {
            Source = source,
            RawTimestamps = new Dictionary<string, double[]> { [source.Streams[0].Key] = times },
            Start = () => Task.Run(() =>
            {
                if (!push || !outlet.WaitForConsumers(TimeSpan.FromSeconds(10)))
                {
                    return;
                }
                if (markers)
                {
                    outlet.PushChunk([.. times.Select((_, i) => "m" + i)], times);
                }
                else
                {
                    outlet.PushChunk(new float[times.Length * 4], times);
                }
            }),
        };
        subject.Owned.Add(backend);
        subject.Owned.Add(outlet);
        return subject;
    }
}

[Collection("lsl")]
public sealed class LslSignalSourceContractTests : SourceContractTests
{
    protected override string? EndlessReason => "an LSL inlet runs until stopped";

    protected override Task<ContractSubject> CreateAsync() => LslSubjects.CreateAsync(markers: false, push: true);

    protected override Task<ContractSubject> CreateEndlessAsync() => LslSubjects.CreateAsync(markers: false, push: true);

    protected override string NoGapReason => "an outage needs seconds of reconnecting; covered by LslRecoveryAndResultsTests";
}

[Collection("lsl")]
public sealed class LslMarkerSourceContractTests : SourceContractTests
{
    protected override string? EndlessReason => "an LSL inlet runs until stopped";

    protected override Task<ContractSubject> CreateAsync() => LslSubjects.CreateAsync(markers: true, push: true);

    protected override Task<ContractSubject> CreateEndlessAsync() => LslSubjects.CreateAsync(markers: true, push: true);

    protected override string NoGapReason => "an outage needs seconds of reconnecting; covered by LslRecoveryAndResultsTests";
}
