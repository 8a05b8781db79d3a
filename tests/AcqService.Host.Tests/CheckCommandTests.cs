using System.Text.Json;
using AcqService.Host.Cli;

namespace AcqService.Host.Tests;

/// <summary><c>acq check</c> end to end on the embedded simulated devices (1 s of live data per run).</summary>
[Collection("console")]
public sealed class CheckCommandTests
{
    private static async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        using var capture = new ConsoleCapture();
        int code = await CommandLineApp.RunAsync(args);
        return (code, capture.Out, capture.Error);
    }

    [Fact]
    public async Task FlatChannelInjected_Exits5_AndTheTableNamesItWithTheThreshold()
    {
        (int code, string output, string error) = await RunAsync("check", "--seconds", "1", "--Simulation:FlatChannels:0=Cz");
        Assert.True(code == ExitCodes.CheckFail, $"exit {code}: {error}\n{output}");
        string cz = Assert.Single(output.Split('\n'), l => l.TrimStart().StartsWith("Cz ", StringComparison.Ordinal));
        Assert.Contains("FAIL", cz, StringComparison.Ordinal);
        Assert.Contains("flat: RMS 0 µV < 0.5 µV", cz, StringComparison.Ordinal);
        Assert.Matches(@"rate (499\.9\d|500\.0\d) Hz effective / 500 Hz nominal \([-+]?0\.0\d %\) pass; clock offset 0\.000 ms; 500 samples", output);
        Assert.Contains("Thresholds (settings Check:*):", output, StringComparison.Ordinal);
        Assert.Contains("Result: FAIL — 1 channel(s) failed, 0 warned", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CleanProfile_Exits0()
    {
        (int code, string output, string error) = await RunAsync("check", "--seconds", "1");
        Assert.True(code == ExitCodes.Ok, $"exit {code}: {error}\n{output}");
        Assert.Contains("Result: pass — 0 channel(s) failed, 0 warned, 0 of 2 stream(s) failed", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MainsOnOneChannel_Exits4_WhenItIsAWarning()
    {
        // F3 (≈ 10 µV² in 1–40 Hz) with 5 + 9 µV of 50 Hz: (14²/2) / 10 ≈ 10, between the warning (5) and the failure (20).
        (int code, string output, string error) = await RunAsync("check", "--seconds", "1", "--json", "--Simulation:MainsChannels:0=F3", "--Simulation:MainsMicrovolts=9");
        Assert.True(code == ExitCodes.CheckWarn, $"exit {code}: {error}\n{output}");
        using JsonDocument doc = JsonDocument.Parse(output);
        Assert.Equal("warn", doc.RootElement.GetProperty("worst").GetString());
        JsonElement[] channels = [.. doc.RootElement.GetProperty("streams")[0].GetProperty("channels").EnumerateArray()];
        JsonElement f3 = Assert.Single(channels, c => c.GetProperty("verdict").GetString() != "pass");
        Assert.Equal("F3", f3.GetProperty("label").GetString());
        Assert.InRange(f3.GetProperty("lineNoiseRatio").GetDouble(), 5, 20);
    }

    [Fact]
    public async Task Json_IsTheWholeStdout_WithThresholdsFromSettingsAndOptions()
    {
        (int code, string output, string error) = await RunAsync("check", "--seconds", "1", "--json", "--mains", "60", "--Check:HfWarnUv=4", "--Simulation:RailedChannels:0=Oz");
        Assert.True(code == ExitCodes.CheckFail, $"exit {code}: {error}\n{output}");
        using JsonDocument doc = JsonDocument.Parse(output);
        JsonElement root = doc.RootElement;
        Assert.Equal("fail", root.GetProperty("worst").GetString());
        Assert.Equal(60, root.GetProperty("thresholds").GetProperty("mainsHz").GetDouble());
        Assert.Equal(4, root.GetProperty("thresholds").GetProperty("hfWarnUv").GetDouble());
        JsonElement eeg = root.GetProperty("streams")[0];
        Assert.Equal(60, eeg.GetProperty("mainsHz").GetDouble());
        Assert.Equal(0, eeg.GetProperty("clockOffsetSeconds").GetDouble());
        JsonElement oz = eeg.GetProperty("channels").EnumerateArray().Single(c => c.GetProperty("label").GetString() == "Oz");
        Assert.Equal("fail", oz.GetProperty("verdict").GetString());
        Assert.StartsWith("railed:", oz.GetProperty("reasons")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal("markers", root.GetProperty("streams")[1].GetProperty("kind").GetString());
    }

    [Theory]
    [InlineData(new[] { "--seconds", "0.1" }, "--seconds: 0.1 is out of range (0.5 to 120)")]
    [InlineData(new[] { "--seconds", "abc" }, "--seconds: 'abc' is not a number")]
    [InlineData(new[] { "--mains", "55" }, "--mains: '55' is not one of 50, 60, auto")]
    [InlineData(new[] { "--Check:FlatUvv=1" }, "unknown setting 'Check:FlatUvv'")]
    [InlineData(new[] { "--Check:FlatFailUv=3" }, "Check:FlatFailUv (3) must be ≤ Check:FlatWarnUv (1)")]
    [InlineData(new[] { "--Simulation:FlatChannels:0=Xy" }, "Simulation:FlatChannels: 'Xy' is not a channel of the simulated EEG")]
    [InlineData(new[] { "extra" }, "unexpected argument 'extra'")]
    public async Task WrongArguments_Exit2_WithTheMessage(string[] args, string expected)
    {
        (int code, _, string error) = await RunAsync(["check", .. args]);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProfileWithoutItsLslStream_Exits3()
    {
        string profile = Path.Combine(TestPaths.NewFolder(), "missing.json");
        Directory.CreateDirectory(Path.GetDirectoryName(profile)!);
        await File.WriteAllTextAsync(profile, """
            { "name": "missing", "streams": [ { "key": "eeg", "kind": "signal", "type": "EEG", "sampleRateHz": 250, "channels": [ { "label": "Cz", "unit": "uV", "type": "EEG" } ],
              "source": { "driver": "lsl", "predicate": "name='AcqCheckCli-no-such-stream-4711'", "resolveTimeoutSeconds": 1 } } ] }
            """);
        (int code, _, string error) = await RunAsync("check", "--profile", profile, "--seconds", "1", "--Lsl:Backend=managed");
        Assert.True(code == ExitCodes.Failure, $"exit {code}: {error}");
        Assert.Contains("acq check: " + profile + ": ", error, StringComparison.Ordinal);
    }
}
