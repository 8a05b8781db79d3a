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
    public async Task Run_EegNirsAndMarkersOverLsl_GivesErpAlphaAndHaemoglobin_AndRecordingAnalyzesToTheSame()
    {
        // 24 s at live pace: needles at 1, ~5, ~9, ~13 s; a short haemodynamic window (−2..8 s) so several complete.
        string live = TestPaths.NewFolder(), replay = TestPaths.NewFolder();
        string profile = Path.Combine(TestPaths.RepoRoot, "device-profiles", "simulated-needling-nirs.json");
        string[] window = ["--Haemodynamic:TminSeconds=-2", "--Haemodynamic:TmaxSeconds=8", "--Haemodynamic:BaselineStartSeconds=-2", "--Haemoglobin:BaselineSeconds=1"];
        (int code, string output, string error) = await RunAsync(["run", "--profile", profile, "--transport", "lsl", "--duration", "24", "--out", live,
            "--Simulation:FirstInsertionSeconds=1", .. window]);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("simulated devices over LSL", output);
        Assert.Matches("fNIRS: .*source_id 'acqservice-nirs-[0-9a-f]{12}'", output);

        using (JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(live, "summary.json"))))
        {
            JsonElement nirs = summary.RootElement.GetProperty("streams").EnumerateArray().Single(s => s.GetProperty("key").GetString() == "nirs");
            // 10 Hz for 24 s, every frame received through the LSL inlet before the session stopped.
            Assert.InRange(nirs.GetProperty("samples").GetInt64(), 235, 240);
            Assert.Equal(0, summary.RootElement.GetProperty("errors").GetArrayLength());
        }
        using (JsonDocument session = JsonDocument.Parse(File.ReadAllText(Path.Combine(live, "session.json"))))
        {
            // The fNIRS stream arrived through an LSL inlet with the simulator's montage in its desc.
            JsonElement nirs = session.RootElement.GetProperty("streams").EnumerateArray().Single(s => s.GetProperty("key").GetString() == "nirs");
            Assert.StartsWith("acqservice-nirs-", nirs.GetProperty("sourceId").GetString());
        }
        using (JsonDocument hrf = JsonDocument.Parse(File.ReadAllText(Path.Combine(live, "hrf_averages.json"))))
        {
            int epochs = hrf.RootElement.GetProperty("conditions").EnumerateArray().Sum(a => a.GetProperty("count").GetInt32());
            Assert.InRange(epochs, 2, 4);
            // Pre/post per condition, region ("all") and chromophore, over the same epochs.
            JsonElement[] prePost = [.. hrf.RootElement.GetProperty("prePost").EnumerateArray()];
            Assert.Equal(epochs, prePost.Where(p => p.GetProperty("region").GetString() == "all" && p.GetProperty("chromophore").GetString() == "hbo").Sum(p => p.GetProperty("events").GetInt32()));
        }
        // Every needle event also has a haemodynamic row in the drop log (stream nirs), after the ERP rows.
        string[] nirsRows = [.. File.ReadLines(Path.Combine(live, "drop_log.csv")).Where(r => r.Contains(",nirs,", StringComparison.Ordinal))];
        Assert.True(nirsRows.Length >= 3, $"{nirsRows.Length} haemodynamic drop-log rows");
        Assert.True(new FileInfo(Path.Combine(live, "erp_averages.json")).Length > 1000);
        Assert.True(File.ReadLines(Path.Combine(live, "alpha_power_eeg.csv")).Count() > 20);

        (code, _, error) = await RunAsync(["analyze", Path.Combine(live, "recording.xdf"), "--out", replay, .. window]);
        Assert.True(code == ExitCodes.Ok, error);
        foreach (string file in new[] { "hrf_averages.json", "hrf_averages.csv", "erp_averages.json", "erp_averages.csv", "alpha_power_eeg.csv", "alpha_summary.csv", "drop_log.csv" })
        {
            Assert.True(File.ReadAllBytes(Path.Combine(live, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(replay, file))), $"{file} differs between live (LSL) and analyze");
        }
    }
}
