using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using AcqService.Core.Analysis;
using AcqService.Core.Analysis.Quality;
using AcqService.Core.Pipeline;
using AcqService.Sessions.Check;
using AcqService.Sessions.Protocols;
using AcqService.Tests.Shared;

namespace AcqService.Sessions.Tests;

/// <summary>
/// The compile-time JSON contracts of this project write what the reflection-built ones did: protocol locks and their
/// canonical text byte for byte as recorded before the change (the hashes are signatures: an existing lock must still
/// verify), check reports as the reflection contracts write them; and nothing needs reflection (this project runs
/// with reflection-built contracts disabled).
/// </summary>
public sealed class JsonContractTests
{
    private static string Golden(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", name));

    [Fact]
    public void ThisRun_HasNoReflectionBuiltContracts() => Assert.False(JsonSerializer.IsReflectionEnabledByDefault);

    [Fact]
    public void CanonicalText_IsTheRecordedOne()
    {
        Assert.Equal(Golden("canonical.txt"), CanonicalJson.Write(JsonNode.Parse(GoldenInputs.Canonical)));
        Assert.Equal(Golden("canonical-built.txt"), CanonicalJson.Write(GoldenInputs.Built()));
    }

    [Theory]
    [InlineData("full")]
    [InlineData("blinded")]
    [InlineData("defaults")]
    public void Lock_WritesTheRecordedFileAndHashes(string name)
    {
        (ProtocolLock locked, Blinding? key) = ProtocolLock.Lock(GoldenInputs.Protocols.Single(p => p.Name == name).Json);
        string[] hashes = Golden(name + ".sha").Split('\n');
        Assert.Equal(hashes[0], locked.Sha256);
        // A new key has a random salt, so its hash is the recorded run's own (fixed keys: BlindingKeyHash_IsTheCanonicalOne).
        Assert.Equal(hashes[1] == "-", key is null);
        string expected = key is null ? Golden(name + ".lock") : Golden(name + ".lock").Replace(hashes[1], key.Sha256, StringComparison.Ordinal);
        Assert.Equal(expected, locked.ToFileText());
    }

    [Fact]
    public void BlindingKeyHash_IsTheCanonicalOne()
    {
        // SHA-256 of {"format":"acqservice-blinding-key/1","map":{"real":"A","sham":"B"},"salt":"0011…eeff"}, the
        // canonical text as documented (sorted keys, no whitespace), computed outside .NET (sha256sum).
        var key = new Blinding(new Dictionary<string, string> { ["sham"] = "B", ["real"] = "A" }, "00112233445566778899aabbccddeeff");
        Assert.Equal("e4179850621b607c03f29407eb6aeec6e6ac6babd93bb6a8e79667c037d319a7", key.Sha256);
    }

    [Theory]
    [InlineData("full")]
    [InlineData("blinded")]
    [InlineData("defaults")]
    public void RecordedLock_StillVerifies_AndReadsTheSameSections(string name)
    {
        string path = Path.Combine(Path.GetTempPath(), $"acq-lock-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, Golden(name + ".lock"));
            ProtocolLock read = ProtocolLock.Read(path);
            (ProtocolLock locked, _) = ProtocolLock.Lock(GoldenInputs.Protocols.Single(p => p.Name == name).Json);
            Assert.Equal(locked.Sha256, read.Sha256);
            // Section by section, compared through the reflection contracts (independent of the generated ones).
            var reflection = new JsonSerializerOptions { TypeInfoResolver = new DefaultJsonTypeInfoResolver(), NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
            Assert.Equal(JsonSerializer.Serialize(locked.Epochs, reflection), JsonSerializer.Serialize(read.Epochs, reflection));
            Assert.Equal(JsonSerializer.Serialize(locked.Alpha, reflection), JsonSerializer.Serialize(read.Alpha, reflection));
            Assert.Equal(JsonSerializer.Serialize(locked.Aligner, reflection), JsonSerializer.Serialize(read.Aligner, reflection));
            Assert.Equal(JsonSerializer.Serialize(locked.Haemoglobin, reflection), JsonSerializer.Serialize(read.Haemoglobin, reflection));
            Assert.Equal(JsonSerializer.Serialize(locked.Haemodynamic, reflection), JsonSerializer.Serialize(read.Haemodynamic, reflection));
            Assert.Equal(locked.Conditions, read.Conditions);
            if (name == "full")
            {
                Assert.Equal(Dsp.WindowKind.Hamming, read.Alpha.Window);
                Assert.Equal(Dsp.DetrendKind.Linear, read.Alpha.Detrend);
                Assert.Equal(BeerLambertConvention.ModifiedBeerLambert, read.Haemoglobin.Convention);
                Assert.Null(read.Haemoglobin.LowPassHz);
                Assert.Equal("S1-D8", read.Haemoglobin.ShortPairs["S1-D1"]);
                Assert.Equal(4, read.Epochs.Filter.Order);
                Assert.Equal(["eeg", "ÆØÅ"], read.Epochs.Streams);
                Assert.Equal(["O1", "O2", "Pz"], read.Alpha.Regions["posterior"]);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Lock_StillRefusesUnknownKeysAndAcceptsEnumNumbers()
    {
        var unknown = Assert.Throws<ArgumentException>(() => ProtocolLock.Lock("""{ "name": "x", "settings": { "Epochs": { "bogus": 1 } }, "conditions": [] }"""));
        Assert.Contains("bogus", unknown.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ProtocolLock.Lock("""{ "name": "x", "settings": { "Alpha": { "window": "NoSuchWindow" } }, "conditions": [] }"""));
        (ProtocolLock numbered, _) = ProtocolLock.Lock("""{ "name": "x", "settings": { "Haemoglobin": { "convention": 1 } }, "conditions": [] }""");
        Assert.Equal(BeerLambertConvention.ModifiedBeerLambert, numbered.Haemoglobin.Convention);
        Assert.Equal("ModifiedBeerLambert", (string?)numbered.Protocol["settings"]!["Haemoglobin"]!["Convention"]);
    }

    [Fact]
    public void LockedSections_UseTheGeneratedContracts()
    {
        // The lock's own options are private; its contracts are the context's, and every enum they reach has its
        // converter there (checked through the serializer defaults plus the same converters).
        var options = new JsonSerializerOptions
        {
            TypeInfoResolver = ProtocolJsonContext.Default,
            Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter<BeerLambertConvention>(), new System.Text.Json.Serialization.JsonStringEnumConverter<Dsp.WindowKind>(), new System.Text.Json.Serialization.JsonStringEnumConverter<Dsp.DetrendKind>() },
        };
        IReadOnlySet<Type> types = GeneratedContracts.AssertComplete(options,
            typeof(EpochOptions), typeof(AlphaOptions), typeof(AlignerOptions), typeof(HaemoglobinOptions), typeof(HaemodynamicWindow));
        Assert.Equal(new[] { typeof(BeerLambertConvention), typeof(Dsp.DetrendKind), typeof(Dsp.WindowKind) }, types.Where(t => t.IsEnum).OrderBy(t => t.Name));
    }

    private static CheckReport FullReport() => new()
    {
        Time = new DateTimeOffset(2026, 11, 30, 12, 0, 0, 250, TimeSpan.Zero),
        Profile = "Simulated µV → needle",
        ProfileSource = "/profiles/\"lab\" <1>.json",
        Seconds = 2.5,
        Thresholds = new CheckThresholds { MainsHz = 50, FullScaleUv = null },
        Worst = CheckVerdict.Fail,
        Streams =
        [
            new StreamCheck
            {
                Key = "eeg", Kind = "signal", Name = "AcqSim EEG", Type = "EEG", SourceId = "sim-1", Hostname = "lab-pc", NominalRateHz = 500,
                EffectiveRateHz = 499.98, RateVerdict = CheckVerdict.Pass, ClockOffsetSeconds = -0.0012, Samples = 1250, Markers = null, Gaps = 1, MainsHz = 50,
                Verdict = CheckVerdict.Fail, Reasons = ["1 gap"],
                Channels =
                [
                    new ChannelCheck { Label = "Cz", Unit = "µV", Rms = 0.01, PeakToPeak = 0.05, Flat = true, RailedFraction = 0, LineNoiseRatio = 0.2, HfNoise = 1.5, Verdict = CheckVerdict.Fail, Reasons = ["flat: RMS 0.01 µV < 0.5 µV"] },
                    new ChannelCheck { Label = "Fp1", Rms = null, PeakToPeak = null, RailedFraction = null, LineNoiseRatio = null, HfNoise = null, Verdict = CheckVerdict.Warn },
                ],
            },
            new StreamCheck { Key = "markers", Kind = "markers", Markers = 12, RateVerdict = CheckVerdict.Pass, Verdict = CheckVerdict.Pass },
        ],
    };

    [Fact]
    public void CheckReport_GeneratedAndReflection_AreByteIdentical_AndReadBack()
    {
        Assert.IsType<CheckReportJsonContext>(CheckReport.JsonOptions.TypeInfoResolver);
        GeneratedContracts.AssertComplete(CheckReport.JsonOptions, typeof(CheckReport));
        CheckReport report = FullReport();
        var reflection = new JsonSerializerOptions(CheckReport.JsonOptions) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        string json = report.ToJson();
        Assert.Equal(JsonSerializer.Serialize(report, reflection), json);
        Assert.Contains("\"verdict\": \"warn\"", json, StringComparison.Ordinal);
        CheckReport back = JsonSerializer.Deserialize(json, (JsonTypeInfo<CheckReport>)CheckReport.JsonOptions.GetTypeInfo(typeof(CheckReport)))!;
        Assert.Equal(json, back.ToJson());
    }
}
