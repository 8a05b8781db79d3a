using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AcqService.Core.Analysis;
using AcqService.Core.Pipeline;
using AcqService.Sinks;
using AcqService.Sources.Profiles;
using AcqService.Sources.Simulation;

namespace AcqService.Sources.Tests;

/// <summary>
/// The compile-time JSON contracts (profiles, <c>session.json</c>, <c>summary.json</c>) read and write exactly what the
/// run-time reflection contracts did: same files byte for byte, same profiles.
/// </summary>
public sealed class JsonContractTests
{
    private static readonly JsonSerializerOptions s_reflectionFiles = new(SessionOutput.JsonOptions) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    [Fact]
    public void SessionFiles_UseTheGeneratedContracts()
    {
        Assert.IsType<SessionJsonContext>(SessionOutput.JsonOptions.GetTypeInfo(typeof(SessionMetadata)).OriginatingResolver);
        Assert.IsType<SessionJsonContext>(SessionOutput.JsonOptions.GetTypeInfo(typeof(SessionSummary)).OriginatingResolver);
        Assert.IsType<SessionJsonContext>(SessionOutput.JsonOptions.GetTypeInfo(typeof(EpochOptions)).OriginatingResolver);
    }

    [Fact]
    public void SessionJson_GeneratedAndReflection_AreByteIdentical()
    {
        var metadata = new SessionMetadata
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
            // The settings object is anonymous in the factory; its members are the generated types.
            Settings = new
            {
                Epochs = new EpochOptions(),
                Alpha = new AlphaOptions(),
                Aligner = new AlignerOptions(),
                Simulation = new SimulationSettings(),
                Conditions = new List<ConditionRule> { new("real", "^needle/real/"), new("sham", "sham") },
                Regions = new Dictionary<string, List<string>> { ["posterior"] = ["O1", "O2", "Pz"] },
                DurationSeconds = (double?)null,
                NotANumber = double.NaN,
            },
        };
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
