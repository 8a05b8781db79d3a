using System.Text.Json;
using AcqService.Host.Cli;

namespace AcqService.Host.Tests;

/// <summary><c>acq replay</c> argument errors and <c>acq demo</c> over real LSL sockets (loopback only).</summary>
[Collection("console")]
public sealed class LslCommandTests
{
    /// <summary>Every LSL command in these tests stays on 127.0.0.1 with the managed backend, whatever appsettings says.</summary>
    private static readonly string[] s_loopback = ["--Lsl:Backend=managed", "--Lsl:Loopback=true"];

    private static async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        using var capture = new ConsoleCapture();
        int code = await CommandLineApp.RunAsync([.. args, .. s_loopback]);
        return (code, capture.Out, capture.Error);
    }

    [Fact]
    public async Task Replay_MissingFile_IsUsageError()
    {
        (int code, _, string error) = await RunAsync("replay", "/nonexistent/recording.xdf");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("acq replay: file '/nonexistent/recording.xdf' does not exist", error);

        (code, _, error) = await RunAsync("replay");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("which file?", error);
    }

    [Fact]
    public async Task Replay_NotXdf_CouldNotRun()
    {
        string bogus = Path.Combine(Path.GetTempPath(), $"bogus-{Guid.NewGuid():N}.xdf");
        await File.WriteAllTextAsync(bogus, "this is not an xdf file");
        (int code, string output, string error) = await RunAsync("replay", bogus);
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains($"'{bogus}' is not an XDF file", error);
        Assert.DoesNotContain("Outlets:", output);
    }

    [Fact]
    public async Task Replay_NoSignalStreamOfThatType_NamesTheStreamsTheFileHas()
    {
        string folder = TestPaths.NewFolder();
        (int liveCode, _, string liveError) = await RunAsync("demo", "--pace", "fast", "--duration", "3", "--out", folder);
        Assert.True(liveCode == ExitCodes.Ok, liveError);
        string recording = Path.Combine(folder, "recording.xdf");

        (int code, string output, string error) = await RunAsync("replay", recording, "--signal-type", "NIRS");
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("has no numeric, regularly sampled stream of type NIRS", error);
        Assert.Contains("'AcqSim EEG' (EEG, float32, 500 Hz)", error);
        Assert.DoesNotContain("Outlets:", output);

        (code, _, error) = await RunAsync("replay", recording, "--speed", "0");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--speed", error);
    }

    [Fact]
    public async Task Demo_PaceFastOverLsl_IsRefusedWithAReason()
    {
        (int code, _, string error) = await RunAsync("demo", "--pace", "fast", "--transport", "lsl", "--duration", "5", "--out", TestPaths.NewFolder());
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--pace fast runs the simulated devices in-process only; use --transport direct", error);
    }

    [Fact]
    public async Task Demo_OverLsl_ShortLiveSession_ReceivesEverySampleThroughLslInlets()
    {
        const int seconds = 8;
        string folder = TestPaths.NewFolder();
        (int code, string output, string error) = await RunAsync("demo", "--transport", "lsl", "--duration", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--out", folder, "--Simulation:FirstInsertionSeconds=1");
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("simulated devices over LSL", output);
        Assert.Matches("source_id 'acqservice-eeg-[0-9a-f]{12}'", output);
        Assert.Contains("Results written to", output);

        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")));
        JsonElement eeg = summary.RootElement.GetProperty("streams").EnumerateArray().Single(s => s.GetProperty("key").GetString() == "eeg");
        long samples = eeg.GetProperty("samples").GetInt64();
        // The session stops once the simulated duration has been published and received, so nothing is cut off.
        Assert.InRange(samples, seconds * 500 - 50, seconds * 500);
        Assert.True(summary.RootElement.GetProperty("markers").GetProperty("needle").GetInt32() >= 0);
        Assert.Equal(0, summary.RootElement.GetProperty("errors").GetArrayLength());

        using JsonDocument session = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "session.json")));
        Assert.Equal("live", session.RootElement.GetProperty("mode").GetString());
        Assert.Equal("lsl", session.RootElement.GetProperty("settings").GetProperty("transport").GetString());
        Assert.StartsWith("acqservice-eeg-", session.RootElement.GetProperty("streams")[0].GetProperty("sourceId").GetString());
        Assert.True(File.Exists(Path.Combine(folder, "recording.xdf")));
    }

    [Fact]
    public async Task Run_NirsProfileOverLsl_IsRefusedWithReason()
    {
        using var capture = new ConsoleCapture();
        int code = await AcqService.Host.Cli.CommandLineApp.RunAsync(["run", "--profile", Path.Combine(TestPaths.RepoRoot, "device-profiles", "simulated-needling-nirs.json"), "--transport", "lsl", "--duration", "5", "--out", TestPaths.NewFolder()]);
        Assert.Equal(AcqService.Host.Cli.ExitCodes.Usage, code);
        Assert.Contains("--transport direct", capture.Error);
    }
}
