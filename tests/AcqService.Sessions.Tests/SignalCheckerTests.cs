using System.Text.Json;
using AcqService.Core.Analysis.Quality;
using AcqService.Lsl;
using AcqService.Sessions.Check;
using AcqService.Sources.Drivers;

namespace AcqService.Sessions.Tests;

/// <summary>
/// <c>acq check</c> on the embedded simulated profile (32 EEG channels at 500 Hz, live pace) with faults injected into
/// known channels: each is found at the right channel for the right reason, and the clean channels pass.
/// </summary>
public sealed class SignalCheckerTests
{
    private static SignalChecker Checker() =>
        new(SourceDriverRegistry.Default, () => LslBackends.Create(new LslOptions { Backend = LslBackendKind.Managed, Loopback = true }, _ => { }, out _));

    private static CheckRequest Request(double seconds, Action<AppSettings>? configure = null)
    {
        (var profile, string source, _) = DefaultProfile.Load(null);
        var settings = new AppSettings();
        settings.Simulation.Seed = 7;
        configure?.Invoke(settings);
        return new CheckRequest { Profile = profile, ProfileSource = source, Settings = settings, Seconds = seconds };
    }

    [Fact]
    public async Task InjectedFlatRailedAndMainsChannels_AreFoundWhereInjected_CleanChannelsPass()
    {
        CheckReport report = await Checker().RunAsync(Request(2, s =>
        {
            s.Simulation.FlatChannels = ["Cz"];
            s.Simulation.RailedChannels = ["O1"];
            s.Simulation.MainsChannels = ["F3"];
        }), CancellationToken.None);

        Assert.Equal(CheckVerdict.Fail, report.Worst);
        StreamCheck eeg = Assert.Single(report.Streams, s => s.Key == "eeg");
        Assert.Equal(32, eeg.Channels.Count);
        Assert.Equal(CheckVerdict.Fail, eeg.Verdict);

        ChannelCheck cz = eeg.Channels.Single(c => c.Label == "Cz");
        Assert.True(cz.Flat);
        Assert.Equal(0, cz.Rms);
        Assert.Equal(CheckVerdict.Fail, cz.Verdict);
        Assert.StartsWith("flat:", Assert.Single(cz.Reasons));

        // Offset by full scale and clipped: the positive half of the EEG sits at the rail, about 50 % of the samples.
        ChannelCheck o1 = eeg.Channels.Single(c => c.Label == "O1");
        Assert.False(o1.Flat);
        Assert.InRange(o1.RailedFraction!.Value, 0.35, 0.65);
        Assert.Equal(CheckVerdict.Fail, o1.Verdict);
        Assert.Contains(o1.Reasons, r => r.StartsWith("railed:", StringComparison.Ordinal));

        // 50 µV extra mains on F3 (55 µV in all): (55²/2) µV² against about 10 µV² of EEG in 1–40 Hz, a ratio in the hundreds.
        ChannelCheck f3 = eeg.Channels.Single(c => c.Label == "F3");
        Assert.Equal(CheckVerdict.Fail, f3.Verdict);
        Assert.True(f3.LineNoiseRatio > 50, $"F3 line-noise ratio {f3.LineNoiseRatio}");
        Assert.Equal(["line noise"], f3.Reasons.Select(r => r[..r.IndexOf(':', StringComparison.Ordinal)]));
        Assert.Equal(50, eeg.MainsHz);

        ChannelCheck[] clean = [.. eeg.Channels.Where(c => c.Label is not ("Cz" or "O1" or "F3"))];
        Assert.All(clean, c => Assert.True(c.Verdict == CheckVerdict.Pass, $"{c.Label}: {string.Join("; ", c.Reasons)}"));
        // The simulator's own 5 µV mains (× 1.2 at the edges: ratio ≈ 2.3 at Fp1) stays below the warning ratio; F3's is far above it.
        Assert.True(clean.Max(c => c.LineNoiseRatio!.Value) < report.Thresholds.LineNoiseWarnRatio);
        Assert.True(clean.Min(c => c.Rms!.Value) > 3);

        // Live pace: the timestamps advance at the nominal rate (jitter 0.1 ms averages out in the slope).
        Assert.Equal(CheckVerdict.Pass, eeg.RateVerdict);
        Assert.InRange(eeg.EffectiveRateHz!.Value, 499.5, 500.5);
        Assert.InRange(eeg.Samples, 900, 1000);
        Assert.Equal(0, eeg.ClockOffsetSeconds);

        StreamCheck needle = Assert.Single(report.Streams, s => s.Key == "needle");
        Assert.Equal("markers", needle.Kind);
        Assert.Equal(0, needle.Markers); // the first needle is at 8 s
        Assert.Empty(needle.Channels);
        Assert.Equal(CheckVerdict.Pass, needle.Verdict);
    }

    [Fact]
    public async Task CleanProfile_Passes_AndTheReportRoundTripsThroughJson()
    {
        CheckReport report = await Checker().RunAsync(Request(1), CancellationToken.None);
        Assert.True(report.Worst == CheckVerdict.Pass, report.ToText());

        string json = report.ToJson();
        using JsonDocument doc = JsonDocument.Parse(json);
        Assert.Equal("pass", doc.RootElement.GetProperty("worst").GetString());
        JsonElement eeg = doc.RootElement.GetProperty("streams")[0];
        Assert.Equal("eeg", eeg.GetProperty("key").GetString());
        Assert.Equal(500, eeg.GetProperty("nominalRateHz").GetDouble());
        JsonElement fp1 = eeg.GetProperty("channels")[0];
        Assert.Equal("Fp1", fp1.GetProperty("label").GetString());
        Assert.Equal("pass", fp1.GetProperty("verdict").GetString());
        Assert.Equal(JsonValueKind.Number, fp1.GetProperty("lineNoiseRatio").ValueKind);
        Assert.Equal(0.5, doc.RootElement.GetProperty("thresholds").GetProperty("flatFailUv").GetDouble());
        // Read back through the report's own (compile-time) contracts: this project runs without reflection-built ones.
        CheckReport back = JsonSerializer.Deserialize(json, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<CheckReport>)CheckReport.JsonOptions.GetTypeInfo(typeof(CheckReport)))!;
        Assert.Equal(report.Streams[0].Channels[5].Rms, back.Streams[0].Channels[5].Rms);
        Assert.Equal(CheckVerdict.Pass, back.Worst);

        string text = report.ToText();
        Assert.Contains("Result: pass", text, StringComparison.Ordinal);
        Assert.Contains("line noise:  power in 50 or 60 Hz (auto) ± 1 Hz over power in 1–40 Hz ≥ 5 warn, ≥ 20 fail", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SixtyHertzMains_IsDetected_AndAForcedFiftyDoesNotSeeIt()
    {
        CheckReport auto = await Checker().RunAsync(Request(1, s =>
        {
            s.Simulation.LineFrequencyHz = 60;
            s.Simulation.MainsChannels = ["Pz"];
            s.Simulation.MainsMicrovolts = 20;
        }), CancellationToken.None);
        StreamCheck eeg = auto.Streams[0];
        Assert.Equal(60, eeg.MainsHz);
        ChannelCheck pz = eeg.Channels.Single(c => c.Label == "Pz");
        Assert.NotEqual(CheckVerdict.Pass, pz.Verdict);
        Assert.Contains(pz.Reasons, r => r.StartsWith("line noise: 60 Hz", StringComparison.Ordinal));

        CheckReport forced = await Checker().RunAsync(Request(1, s =>
        {
            s.Simulation.LineFrequencyHz = 60;
            s.Simulation.MainsChannels = ["Pz"];
            s.Simulation.MainsMicrovolts = 20;
            s.Check.MainsHz = 50;
        }), CancellationToken.None);
        Assert.Equal(50, forced.Streams[0].MainsHz);
        Assert.True(forced.Streams[0].Channels.Single(c => c.Label == "Pz").LineNoiseRatio < 0.1);
    }

    [Fact]
    public async Task WrongRequest_IsASetupErrorAndNothingStarts()
    {
        var seconds = await Assert.ThrowsAsync<SessionSetupException>(() => Checker().RunAsync(Request(0.1), CancellationToken.None));
        Assert.True(seconds.IsUsageError);
        Assert.Contains("0.5–120 seconds", seconds.Message, StringComparison.Ordinal);

        var thresholds = await Assert.ThrowsAsync<SessionSetupException>(() => Checker().RunAsync(Request(1, s => s.Check.FlatFailUv = 5), CancellationToken.None));
        Assert.Contains("Check:FlatFailUv (5) must be ≤ Check:FlatWarnUv (1)", thresholds.Message, StringComparison.Ordinal);

        var label = await Assert.ThrowsAsync<SessionSetupException>(() => Checker().RunAsync(Request(1, s => s.Simulation.FlatChannels = ["Xx9"]), CancellationToken.None));
        Assert.True(label.IsUsageError);
        Assert.Contains("Simulation:FlatChannels: 'Xx9' is not a channel", label.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingLslStream_FailsToStart_WithTheDriversMessage()
    {
        // An LSL profile whose stream does not exist on this (loopback-only) computer: the driver's resolve times out.
        string json = """
            { "name": "missing", "streams": [ { "key": "eeg", "kind": "signal", "type": "EEG", "sampleRateHz": 250, "channels": [ { "label": "Cz", "unit": "uV", "type": "EEG" } ],
              "source": { "driver": "lsl", "predicate": "name='AcqCheckTest-no-such-stream-4711'", "resolveTimeoutSeconds": 1 } } ] }
            """;
        var profile = Sources.Profiles.ProfileLoader.Parse(json, "missing.json");
        var request = new CheckRequest { Profile = profile, ProfileSource = "missing.json", Settings = new AppSettings(), Seconds = 1 };
        var ex = await Assert.ThrowsAsync<SessionSetupException>(() => Checker().RunAsync(request, CancellationToken.None));
        Assert.False(ex.IsUsageError);
        Assert.StartsWith("missing.json: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelled_StopsTheSourcesAndThrows()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Checker().RunAsync(Request(30), cancel.Token));
        // Not a speed assertion: a check of 30 s that ignored the token would take 30 s.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Fact]
    public void EffectiveRate_IsTheInverseSlope_OfJitteredTimestamps()
    {
        var random = new Random(3);
        double[] times = [.. Enumerable.Range(0, 2500).Select(i => 1000.0 + (i / 250.5) + (0.002 * (random.NextDouble() - 0.5)))];
        Assert.Equal(250.5, SignalChecker.EffectiveRate(times)!.Value, 0.05);
        Assert.Null(SignalChecker.EffectiveRate([1.0]));
        Assert.Null(SignalChecker.EffectiveRate([1.0, 1.0]));
    }
}
