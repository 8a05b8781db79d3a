using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sinks;
using AcqService.Sources.Simulation;
using AcqService.Sources.Xdf;
using AcqService.Sessions;
using AcqService.Sinks.Xdf;

namespace AcqService.Sources.Tests.Xdf;

/// <summary>Recorded and replayed sessions for the XDF tests.</summary>
internal static class XdfTestSessions
{
    public const double Clock = 1000.0;

    public sealed record Recorded(AcquisitionSession Session, SimulationRig Rig, RawCapture Capture, XdfRecorderSink Recorder, SessionSummary Summary, string Path);

    public static string TempXdf(string name = "rec.xdf")
    {
        string folder = TestRig.TempFolder();
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }

    public static StreamDescriptor Eeg(ChannelFormat format) =>
        new("eeg", StreamKind.Signal, "SimEEG", "EEG", [.. TestRig.Labels32.Select(l => new ChannelDescriptor(l, "uV", "EEG"))], 500, format, "sim-eeg");

    public static SimulationSettings Settings(ulong seed = 7) => new()
    {
        Seed = seed,
        VariableChunks = true,
        // A marker device whose clock runs 0.25 s behind: the recording must carry the offsets that undo it.
        MarkerClockOffsetSeconds = 0.25,
    };

    public static SessionPlan Plan() => new() { Conditions = TestRig.DefaultConditions(), Regions = TestRig.Regions() };

    /// <summary>Runs a fast simulated session with the XDF recorder and a raw capture as taps.</summary>
    public static async Task<Recorded> RecordAsync(double seconds, ChannelFormat eegFormat = ChannelFormat.Float32, SessionPlan? plan = null, SimulationSettings? settings = null, string? path = null)
    {
        path ??= TempXdf();
        var rig = new SimulationRig(settings ?? Settings(), Eeg(eegFormat), TestRig.Needle(), SimulationPace.Fast, seconds, () => Clock);
        var capture = new RawCapture();
        var metadata = new RecordingMetadata
        {
            SubjectId = "P001", SessionId = "S002", Protocol = "needling-erp", ConditionRules = TestRig.DefaultConditions(),
            StartedUtc = new DateTimeOffset(2026, 3, 4, 10, 11, 12, 345, TimeSpan.Zero),
        };
        var recorder = new XdfRecorderSink(path, [.. rig.Sources.SelectMany(s => s.Streams)], metadata);
        var session = new AcquisitionSession(rig.Sources, plan ?? Plan(), TestRig.TempFolder(), new SessionMetadata(), () => Clock, [recorder, capture]);
        SessionSummary summary = await session.RunAsync(CancellationToken.None);
        Assert.Empty(session.Errors);
        return new Recorded(session, rig, capture, recorder, summary, path);
    }
}
