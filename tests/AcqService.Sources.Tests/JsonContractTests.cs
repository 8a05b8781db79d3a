using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AcqService.Core.Analysis;
using AcqService.Core.Pipeline;
using AcqService.Sinks;
using AcqService.Sources.Profiles;
using AcqService.Sources.Simulation;
using AcqService.Tests.Shared;

namespace AcqService.Sources.Tests;

/// <summary>
/// The compile-time JSON contracts (profiles, <c>session.json</c>, <c>summary.json</c>) read and write exactly what the
/// run-time reflection contracts did: same files byte for byte, same profiles.
/// </summary>
public sealed class JsonContractTests
{
    private static readonly JsonSerializerOptions s_reflectionFiles = new(SessionOutput.JsonOptions) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    [Fact]
    public void ThisRun_HasNoReflectionBuiltContracts()
    {
        // The project sets JsonSerializerIsReflectionEnabledByDefault=false (as a Native AOT build does): options
        // without a resolver fail here, so every session written by these tests went through generated contracts.
        Assert.False(JsonSerializer.IsReflectionEnabledByDefault);
    }

    [Fact]
    public void SessionFiles_UseTheGeneratedContracts()
    {
        Assert.IsType<SessionJsonContext>(SessionOutput.JsonOptions.TypeInfoResolver);
        Assert.IsType<SessionJsonContext>(SessionOutput.JsonOptions.GetTypeInfo(typeof(SessionMetadata)).OriginatingResolver);
        Assert.IsType<SessionJsonContext>(SessionOutput.JsonOptions.GetTypeInfo(typeof(SessionSummary)).OriginatingResolver);
        Assert.IsType<SessionJsonContext>(SessionOutput.JsonOptions.GetTypeInfo(typeof(EpochOptions)).OriginatingResolver);
        // Everything the files can contain, including the run-time types of SessionMetadata.Settings, with the enums
        // written as before.
        IReadOnlySet<Type> types = GeneratedContracts.AssertComplete(SessionOutput.JsonOptions,
            typeof(SessionMetadata), typeof(SessionSummary), typeof(DeviceSessionSettings), typeof(RecordingAnalysisSettings));
        Assert.Contains(typeof(SessionEndKind), types);
        Assert.Contains(typeof(Dsp.WindowKind), types);
    }

    /// <summary>Settings as awkward as they get: enums off their defaults, NaN and infinities, nulls, non-ASCII text.</summary>
    private static (EpochOptions Epochs, AlphaOptions Alpha, AlignerOptions Aligner, SimulationSettings Simulation) AwkwardSettings()
    {
        var epochs = new EpochOptions { TminSeconds = double.NaN, BaselineStartSeconds = null, RejectPeakToPeakMicrovolts = double.PositiveInfinity, Streams = ["eeg", "µ→"] };
        epochs.Filter.NotchHz = null;
        var alpha = new AlphaOptions { Window = Dsp.WindowKind.Hamming, Detrend = Dsp.DetrendKind.Linear, BandLowHz = double.NegativeInfinity, Regions = new() { ["posterior"] = ["O1", "O2"] } };
        var aligner = new AlignerOptions { MaxLagSeconds = 0 };
        var simulation = new SimulationSettings { Seed = ulong.MaxValue, MainsHz = null, FlatChannels = ["Cz"] };
        return (epochs, alpha, aligner, simulation);
    }

    private static SessionMetadata Metadata(object settings) => new()
    {
        Mode = "analyze",
        ProfileName = "Simulated µV → needle",
        ProfileSource = "/data/P001 \"run\" 1.xdf",
        Profile = JsonDocument.Parse("""{"name":"x","streams":[{"key":"eeg","rate":1000.5}],"note":"α <8–13 Hz>"}""").RootElement,
        StartedUtc = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero),
        EndedUtc = new DateTimeOffset(2026, 11, 30, 12, 30, 0, 123, TimeSpan.Zero),
        ClockAtStart = 36797.137389,
        ProtocolHash = "ab12",
        Streams = [new StreamSummary("eeg", "signal", "AcqSim EEG", "EEG", 1000, "float32", ["Fz", "Cz"], ["µV", "µV"], "sim-1", "lab-pc")],
        Notes = ["conditions: one per distinct marker label", "tab\there & 'quotes'"],
        Settings = settings,
    };

    [Fact]
    public void SessionJson_DeviceSettings_AreWhatTheAnonymousObjectWrote()
    {
        (EpochOptions epochs, AlphaOptions alpha, AlignerOptions aligner, SimulationSettings simulation) = AwkwardSettings();
        // The object the session factory built before it had a name, written by the reflection contracts.
        var before = new
        {
            Epochs = epochs, Alpha = alpha, Aligner = aligner, Simulation = simulation, DurationSeconds = (double?)null,
            Transport = "lsl", SubjectId = "P001", SessionLabel = "ses-01", Protocol = "", Task = "needling", Run = "1",
        };
        var now = new DeviceSessionSettings
        {
            Epochs = epochs, Alpha = alpha, Aligner = aligner, Simulation = simulation, DurationSeconds = null,
            Transport = "lsl", SubjectId = "P001", SessionLabel = "ses-01", Protocol = "", Task = "needling", Run = "1",
        };
        Assert.Equal(JsonSerializer.Serialize(Metadata(before), s_reflectionFiles), JsonSerializer.Serialize(Metadata(now), SessionOutput.JsonOptions));
        SessionMetadata withDuration = Metadata(new DeviceSessionSettings
        {
            Epochs = epochs, Alpha = alpha, Aligner = aligner, Simulation = simulation, DurationSeconds = 12.5,
            Transport = "direct", SubjectId = "", SessionLabel = "", Protocol = "st36", Task = "", Run = "",
        });
        withDuration.ProtocolHash = null;
        withDuration.EndedUtc = null;
        withDuration.Profile = null;
        Assert.Equal(JsonSerializer.Serialize(withDuration, s_reflectionFiles), JsonSerializer.Serialize(withDuration, SessionOutput.JsonOptions));
    }

    [Fact]
    public void SessionJson_AnalysisSettings_AreWhatTheAnonymousObjectWrote()
    {
        (EpochOptions epochs, AlphaOptions alpha, AlignerOptions aligner, _) = AwkwardSettings();
        List<ConditionRule> rules = [new("real", "^needle/real/"), new("sham \"x\"", "sham")];
        var regions = new Dictionary<string, List<string>> { ["posterior"] = ["O1", "O2", "Pz"], ["zé"] = [] };
        var before = new { Epochs = epochs, Alpha = alpha, Aligner = aligner, Conditions = rules, LabelsAsConditions = rules.Count == 0, Regions = regions, Recording = "/data/P001 µ.xdf" };
        var now = new RecordingAnalysisSettings
        {
            Epochs = epochs, Alpha = alpha, Aligner = aligner, Conditions = rules, LabelsAsConditions = rules.Count == 0, Regions = regions, Recording = "/data/P001 µ.xdf",
        };
        Assert.Equal(JsonSerializer.Serialize(Metadata(before), s_reflectionFiles), JsonSerializer.Serialize(Metadata(now), SessionOutput.JsonOptions));
    }

    [Fact]
    public void SessionJson_GeneratedAndReflection_AreByteIdentical()
    {
        // The settings object as the factory builds it for a recording.
        SessionMetadata metadata = Metadata(new RecordingAnalysisSettings
        {
            Epochs = new EpochOptions(),
            Alpha = new AlphaOptions(),
            Aligner = new AlignerOptions(),
            Conditions = [new("real", "^needle/real/"), new("sham", "sham")],
            Regions = new Dictionary<string, List<string>> { ["posterior"] = ["O1", "O2", "Pz"] },
            Recording = "r.xdf",
        });
        Assert.Equal(JsonSerializer.Serialize(metadata, s_reflectionFiles), JsonSerializer.Serialize(metadata, SessionOutput.JsonOptions));
    }

    [Fact]
    public void SummaryJson_GeneratedAndReflection_AreByteIdentical()
    {
        var summary = new SessionSummary
        {
            Ended = new SessionEnd(SessionEndKind.OperatorStop, "stopped by the operator (Ctrl+C) — µ", new DateTimeOffset(2026, 11, 30, 12, 30, 0, TimeSpan.Zero), 1800.25),
            StartedUtc = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero),
            Protocol = "acupuncture-v2",
            Files = [new OutputFileStatus("erp_averages.json", true, null), new OutputFileStatus("alpha_summary.csv", false, "disk full")],
            InputDamage = ["chunk at byte 1234: bad length"],
            DurationSeconds = 1800.000001,
            Streams = [new StreamStatistics("eeg", 1_800_000, 999.9999, 1)],
            Markers = new Dictionary<string, int> { ["needle/real/insert"] = 150 },
            EpochsPerCondition = new Dictionary<string, int> { ["real"] = 149, ["sham"] = 150 },
            HaemodynamicEpochsPerCondition = new Dictionary<string, int> { ["real"] = 20 },
            MotionArtifactEvents = new Dictionary<string, long> { ["nirs"] = 3 },
            HaemodynamicPrePost = [new HaemodynamicConditionSummary("real", "nirs", "prefrontal", "HbO", 20, 0.1, double.NaN, double.PositiveInfinity, 0.01)],
            DropsByReason = new Dictionary<string, int> { ["amplitude"] = 1 },
            Alpha = [new AlphaConditionSummary("real", "eeg", "posterior", 150, 12.5, 10.25, -18.0, 2.5)],
            Edges = [new EdgeStatistics("sources→aligner", "Wait", 19596, 0)],
            Errors = ["stage 'x' failed: \"quoted\""],
        };
        Assert.Equal(JsonSerializer.Serialize(summary, s_reflectionFiles), JsonSerializer.Serialize(summary, SessionOutput.JsonOptions));
        // A running snapshot, and one with nothing filled in (null members omitted or written as before).
        summary.Ended = new SessionEnd(SessionEndKind.Running, "", summary.StartedUtc, double.NaN);
        summary.Protocol = null;
        Assert.Equal(JsonSerializer.Serialize(summary, s_reflectionFiles), JsonSerializer.Serialize(summary, SessionOutput.JsonOptions));
        var empty = new SessionSummary();
        Assert.Equal(JsonSerializer.Serialize(empty, s_reflectionFiles), JsonSerializer.Serialize(empty, SessionOutput.JsonOptions));
    }

    [Fact]
    public void SerialDriverSection_GeneratedAndReflectionDefaults_AreByteIdentical()
    {
        // SerialDriver hands the drivers' option parsers the source section written with the serializer's defaults.
        var defaults = new JsonSerializerOptions { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        var section = new Dictionary<string, JsonElement>
        {
            ["port"] = JsonDocument.Parse("\"/dev/ttyUSB0\"").RootElement,
            ["codes"] = JsonDocument.Parse("""{"1": "needle/real/insert", "2": "µ → <&>"}""").RootElement,
            ["baud"] = JsonDocument.Parse("115200.0").RootElement,
            ["driver"] = JsonSerializer.SerializeToElement("serial-trigger-box é", ProfileJsonContext.Default.String),
        };
        Assert.Equal(JsonSerializer.Serialize("serial-trigger-box é", defaults), JsonSerializer.Serialize("serial-trigger-box é", ProfileJsonContext.Default.String));
        Assert.Equal(JsonSerializer.Serialize(section, defaults), JsonSerializer.SerializeToElement(section, ProfileJsonContext.Default.DictionaryStringJsonElement).GetRawText());
    }

    private static string RepositoryRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "AcqService.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }
        return dir ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    public static TheoryData<string> ShippedProfiles()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.GetFiles(Path.Combine(RepositoryRoot(), "device-profiles"), "*.json").Where(f => !f.EndsWith(".schema.json", StringComparison.Ordinal)).Order())
        {
            data.Add(Path.GetFileName(file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ShippedProfiles))]
    public void ShippedProfile_GeneratedAndReflection_ReadTheSameProfile(string name)
    {
        string text = File.ReadAllText(Path.Combine(RepositoryRoot(), "device-profiles", name));
        // The loader's own reading rules, with reflection contracts instead of the generated ones.
        Assert.IsType<ProfileJsonContext>(ProfileLoader.Options.TypeInfoResolver);
        var reflection = new JsonSerializerOptions(ProfileLoader.Options) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        DeviceProfile generated = ProfileLoader.Parse(text, name);
        DeviceProfile expected = JsonSerializer.Deserialize<DeviceProfile>(text, reflection)!;
        var write = new JsonSerializerOptions { WriteIndented = true, TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        Assert.Equal(JsonSerializer.Serialize(expected, write), JsonSerializer.Serialize(generated, write));
        Assert.Equal(
            JsonSerializer.Serialize(SourceBuilder.SimulationSettingsOf(expected, name), write),
            JsonSerializer.Serialize(SourceBuilder.SimulationSettingsOf(generated, name), write));
    }
}
