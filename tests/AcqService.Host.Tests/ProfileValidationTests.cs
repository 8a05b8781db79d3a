using System.Text.Json.Nodes;
using AcqService.Sources.Profiles;
using AcqService.Host.Cli;

namespace AcqService.Host.Tests;

[Collection("console")]
public sealed class ProfileValidationTests
{
    private static JsonObject DefaultProfile() => JsonNode.Parse(File.ReadAllText(TestPaths.DefaultProfile))!.AsObject();

    private static ProfileException Invalid(JsonObject profile) =>
        Assert.Throws<ProfileException>(() => ProfileLoader.Parse(profile.ToJsonString(), "test.json"));

    [Fact]
    public void Parse_DefaultProfile_IsValidWith32EegChannels()
    {
        DeviceProfile profile = ProfileLoader.LoadFile(TestPaths.DefaultProfile);
        Assert.Equal(32, profile.Streams.Single(s => s.Key == "eeg").Channels!.Count);
        Assert.Equal(6, profile.Conditions.Count);
    }

    [Fact]
    public void Parse_LslChoiceFields_ValidatedWithPaths()
    {
        JsonObject p = DefaultProfile();
        p["streams"]![0]!["source"]!["choose"] = "first";
        p["streams"]![0]!["source"]!["sourceId"] = "amp-1";
        ProfileException ex = Invalid(p);
        // On a simulated stream they belong to another driver; on an LSL stream the LSL driver checks their values.
        Assert.Contains("$.streams[0].source.choose: not a field of driver 'simulated-eeg'", ex.Message);
        Assert.Contains("$.streams[0].source.sourceId: not a field of driver 'simulated-eeg'", ex.Message);
        p["streams"]![0]!["source"] = new JsonObject { ["driver"] = "lsl", ["predicate"] = "type='EEG'", ["choose"] = "first", ["sourceId"] = " " };
        ex = Invalid(p);
        Assert.Contains("$.streams[0].source.choose: 'first' must be 'only' or 'newest'", ex.Message);
        Assert.Contains("$.streams[0].source.sourceId: ' ' must be non-empty", ex.Message);

        p["streams"]![0]!["source"] = new JsonObject { ["driver"] = "lsl", ["predicate"] = "type='EEG'", ["hostname"] = "lab-pc", ["choose"] = "newest" };
        // A simulated needle stream alone would break the simulators' pair rule: take the markers from LSL too.
        p["streams"]![1]!["source"] = new JsonObject { ["driver"] = "lsl", ["predicate"] = "type='Markers'" };
        StreamProfile eeg = ProfileLoader.Parse(p.ToJsonString(), "test.json").Streams[0];
        Assert.Equal(("lab-pc", "newest"), (eeg.Source.Hostname, eeg.Source.Choose));
    }

    [Fact]
    public void Parse_UnknownField_NamesFileFieldAndPath()
    {
        JsonObject p = DefaultProfile();
        p["streams"]![0]!["sampleRate"] = 500;
        ProfileException ex = Invalid(p);
        Assert.Contains("test.json", ex.Message);
        Assert.Contains("unknown field 'sampleRate'", ex.Message);
        Assert.Contains("$.streams[0]", ex.Message);
    }

    [Fact]
    public void Parse_WrongType_SaysWhatWasExpected()
    {
        JsonObject p = DefaultProfile();
        p["streams"]![0]!["sampleRateHz"] = "fast";
        ProfileException ex = Invalid(p);
        Assert.Contains("$.streams[0].sampleRateHz", ex.Message);
        Assert.Contains("wrong type, expected a number", ex.Message);
    }

    [Fact]
    public void Parse_MissingRequiredField_NamesIt()
    {
        JsonObject p = DefaultProfile();
        p["streams"]![1]!.AsObject().Remove("source");
        ProfileException ex = Invalid(p);
        Assert.Contains("missing required field", ex.Message);
        Assert.Contains("source", ex.Message);
    }

    [Fact]
    public void Parse_ChannelCountMismatchAndMissingChannels_ReportsAllProblems()
    {
        JsonObject p = DefaultProfile();
        p["streams"]![0]!["channelCount"] = 64;
        p["regions"]!["parietal-occipital"]!.AsArray().Add("POz9");
        ProfileException ex = Invalid(p);
        Assert.Contains("$.streams[0].channelCount: 64 but 32 channels are listed", ex.Message);
        Assert.Contains("$.regions.parietal-occipital: channel 'POz9' is not a channel of any signal stream", ex.Message);
        Assert.Equal(2, ex.Problems.Count);
    }

    [Fact]
    public void Parse_SignalWithoutChannelsOrRate_IsRejected()
    {
        JsonObject p = DefaultProfile();
        p["streams"]![0]!.AsObject().Remove("channels");
        p["streams"]![0]!.AsObject().Remove("channelCount");
        p["streams"]![0]!["sampleRateHz"] = 0;
        p.Remove("regions");
        ProfileException ex = Invalid(p);
        Assert.Contains("$.streams[0].sampleRateHz: a signal stream needs a rate", ex.Message);
        Assert.Contains("$.streams[0].channels: a signal stream needs its channels", ex.Message);
    }

    [Fact]
    public void Parse_DuplicateLabelBadPatternUnknownDriver_AllReported()
    {
        JsonObject p = DefaultProfile();
        p["streams"]![0]!["channels"]![1]!["label"] = "Fp1";
        p["conditions"]![0]!["match"] = "([unclosed";
        p["streams"]![1]!["source"]!["driver"] = "teleport";
        ProfileException ex = Invalid(p);
        Assert.Contains("$.streams[0].channels[1].label: 'Fp1' appears twice", ex.Message);
        Assert.Contains("$.conditions[0].match", ex.Message);
        Assert.Contains("unknown driver 'teleport'", ex.Message);
    }

    [Fact]
    public void Parse_MalformedJson_GivesLine()
    {
        ProfileException ex = Assert.Throws<ProfileException>(() => ProfileLoader.Parse("{\n \"name\": \"x\",\n \"streams\": [ }", "broken.json"));
        Assert.Contains("broken.json", ex.Message);
        Assert.Contains("line", ex.Message);
    }

    [Fact]

    public async Task Demo_InvalidProfileFile_ExitsUsageNamingFileAndField()
    {
        JsonObject p = DefaultProfile();
        p["streams"]![0]!["chanels"] = new JsonArray();
        string path = Path.Combine(Path.GetTempPath(), $"bad-profile-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, p.ToJsonString());
        using var capture = new ConsoleCapture();
        int code = await CommandLineApp.RunAsync(["demo", "--profile", path, "--pace", "fast", "--duration", "5"]);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(path, capture.Error);
        Assert.Contains("unknown field 'chanels'", capture.Error);
    }

    [Fact]
    public void Parse_SimulationSettingsWithUnknownField_IsRejectedAtBind()
    {
        JsonObject p = DefaultProfile();
        p["simulation"] = new JsonObject { ["alphaGainRael"] = 0.5 };
        DeviceProfile profile = ProfileLoader.Parse(p.ToJsonString(), "sim.json");
        ProfileException ex = Assert.Throws<ProfileException>(() => AcqService.Sources.Profiles.SourceBuilder.SimulationSettingsOf(profile, "sim.json"));
        Assert.Contains("$.simulation", ex.Message);
        Assert.Contains("alphaGainRael", ex.Message);
    }

    [Fact]
    public void Parse_LslSignalStreamWithoutChannelList_IsValid()
    {
        JsonObject p = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "device-profiles", "lsl-needling.json")))!.AsObject();
        p["streams"]![0]!.AsObject().Remove("channels");
        p["streams"]![0]!.AsObject().Remove("channelCount");
        DeviceProfile profile = ProfileLoader.Parse(p.ToJsonString(), "lsl.json");
        Assert.Null(profile.Streams[0].Channels);
        Assert.Equal("lsl", profile.Streams[0].Source.Driver);
    }

    [Fact]
    public void DefaultProfile_MatchesNeedlingDefaultsUsedByTestsAndBenchmarks()
    {
        DeviceProfile profile = ProfileLoader.LoadFile(TestPaths.DefaultProfile);
        Assert.Equal(AcqService.Sources.Simulation.NeedlingDefaults.Labels32, profile.Streams[0].Channels!.Select(c => c.Label));
        Assert.Equal(AcqService.Sources.Simulation.NeedlingDefaults.Conditions().Select(c => (c.Name, c.Pattern)), profile.Conditions.Select(c => (c.Name, c.Match)));
        Assert.Equal(AcqService.Sources.Simulation.NeedlingDefaults.Regions(), profile.Regions);
    }
}
