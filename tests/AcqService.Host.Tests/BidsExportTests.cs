using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using AcqService.Host.Cli;
using AcqService.Sinks.Bids;
using AcqService.Xdf;
using Xunit.Abstractions;

namespace AcqService.Host.Tests;

/// <summary>One simulated EEG+fNIRS session (markers on a clock 2.5 s off the EEG's), recorded once for all BIDS tests.</summary>
public sealed class BidsSessionFixture : IAsyncLifetime
{
    /// <summary>The marker device's clock offset: onsets computed without clock offsets would be off by this much.</summary>
    public const double MarkerClockOffset = 2.5;

    public string Session { get; } = TestPaths.NewFolder();

    public async Task InitializeAsync()
    {
        using var capture = new ConsoleCapture();
        int code = await CommandLineApp.RunAsync(["run", "--profile", Path.Combine(TestPaths.RepoRoot, "device-profiles", "simulated-needling-nirs.json"),
            "--pace", "fast", "--duration", "60", "--out", Session, "--Session:SubjectId=P007", "--Session:SessionLabel=S01", "--Session:Protocol=ST36-real-vs-sham",
            "--Simulation:MarkerClockOffsetSeconds=" + MarkerClockOffset.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(code == ExitCodes.Ok, capture.Error);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary><c>acq export-bids</c>: validity (official validator), round trip, idempotence, entity rules, check verdicts.</summary>
[Collection("console")]
public sealed class BidsExportTests(BidsSessionFixture fixture, ITestOutputHelper output) : IClassFixture<BidsSessionFixture>
{
    private const string Stem = "sub-P007_ses-S01_task-needling";

    private static async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        using var capture = new ConsoleCapture();
        int code = await CommandLineApp.RunAsync(args);
        return (code, capture.Out, capture.Error);
    }

    private async Task<string> ExportAsync(params string[] extra)
    {
        string root = TestPaths.NewFolder();
        (int code, string stdout, string error) = await RunAsync(["export-bids", fixture.Session, "--root", root, .. extra]);
        Assert.True(code == ExitCodes.Ok, error);
        output.WriteLine(stdout + error);
        return root;
    }

    private static string Eeg(string root, string suffix) => Path.Combine(root, "sub-P007", "ses-S01", "eeg", $"{Stem}_{suffix}");

    [SkippableFact]
    public async Task Export_PassesTheOfficialBidsValidator_WithNoErrors()
    {
        string tool = Path.Combine(TestPaths.RepoRoot, "tools", "bids-validator");
        string validator = Path.Combine(tool, "node_modules", ".bin", "bids-validator");
        Skip.IfNot(Which("node") is not null, "node is not installed (apt-get install nodejs npm)");
        Skip.IfNot(File.Exists(validator), $"the BIDS validator is not installed: run 'npm ci' in {tool} (.ci/run does)");

        string root = await ExportAsync();
        // A second participant in the same dataset (participants.tsv gains a row), checked by the validator too.
        (int second, _, string secondError) = await RunAsync("export-bids", fixture.Session, "--root", root, "--subject", "P008", "--run", "2");
        Assert.True(second == ExitCodes.Ok, secondError);
        var start = new ProcessStartInfo(validator) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in (string[])["--json", root])
        {
            start.ArgumentList.Add(a);
        }
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), "bids-validator did not finish within 3 minutes");
        string json = await stdout;
        output.WriteLine(await stderr);
        using JsonDocument report = JsonDocument.Parse(json);
        JsonElement issues = report.RootElement.GetProperty("issues");
        string[] errors = [.. issues.GetProperty("errors").EnumerateArray().Select(e => $"{e.GetProperty("key").GetString()}: {e.GetProperty("reason").GetString()}")];
        string[] warnings = [.. issues.GetProperty("warnings").EnumerateArray().Select(e => e.GetProperty("key").GetString()!)];
        output.WriteLine($"errors: {errors.Length}; warnings: {string.Join(", ", warnings)}");
        Assert.Empty(errors);
        JsonElement summary = report.RootElement.GetProperty("summary");
        Assert.Equal(["P007", "P008"], summary.GetProperty("subjects").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(["needling"], summary.GetProperty("tasks").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(["EEG", "NIRS"], summary.GetProperty("modalities").EnumerateArray().Select(s => s.GetString()!).Order());
    }

    [Fact]
    public async Task RoundTrip_BrainVisionValuesAndEventOnsets_EqualTheRecording()
    {
        string root = await ExportAsync();
        BrainVisionData back = BrainVision.Read(Eeg(root, "eeg.vhdr"));

        // Expectation from the XDF itself: raw values, raw timestamps, and each stream's recorded clock offsets.
        XdfFile file = XdfFile.Load(Path.Combine(fixture.Session, "recording.xdf"), new XdfLoadOptions { SynchronizeClocks = false, DejitterTimestamps = false });
        XdfStream eeg = file.Streams.Single(s => s.Header.Type == "EEG");
        XdfStream needle = file.Streams.Single(s => s.Header.Type == "Markers");
        Assert.Equal(500, back.SamplingRateHz, 9);
        Assert.Equal(eeg.SampleCount, back.Samples);
        Assert.Equal(30000, back.Samples);
        Assert.Equal(eeg.ChannelCount, back.Channels.Count);
        Assert.Equal("Fp1", back.Channels[0].Name);
        Assert.All(back.Channels, c => Assert.Equal("µV", c.Unit));
        int differing = 0;
        for (int i = 0; i < back.Values.Length; i++)
        {
            // float32 recording, float32 BrainVision at resolution 1: bit-identical.
            if (back.Values[i] != (float)eeg.NumericValues![i])
            {
                differing++;
            }
        }
        Assert.Equal(0, differing);

        Assert.Equal(BidsSessionFixture.MarkerClockOffset, needle.ClockValues.Distinct().Single());
        double eegOffset = eeg.ClockValues.Length > 0 ? eeg.ClockValues[0] : 0;
        double t0 = eeg.Timestamps[0] + eegOffset;
        double[] expectedOnsets = [.. needle.Timestamps.Select(t => t + BidsSessionFixture.MarkerClockOffset - t0).Where(o => o >= 0 && o < eeg.SampleCount / 500.0)];
        Assert.Equal(needle.SampleCount, expectedOnsets.Length);
        Assert.True(expectedOnsets.Length >= 8, $"only {expectedOnsets.Length} markers");

        string[][] rows = [.. File.ReadAllLines(Eeg(root, "events.tsv")).Skip(1).Select(l => l.Split('\t'))];
        double[] onsets = [.. rows.Select(r => double.Parse(r[0], CultureInfo.InvariantCulture))];
        Assert.Equal(expectedOnsets.Length, onsets.Length);
        double maxOnsetError = expectedOnsets.Zip(onsets).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"{onsets.Length} events, max |onset error| {maxOnsetError:E2} s");
        Assert.True(maxOnsetError <= 5.1e-7, $"onset error {maxOnsetError}");

        // Sample positions: the session's own placement (drop log sample_index), in events.tsv and in the .vmrk (1-based there).
        long[] placed = [.. File.ReadAllLines(Path.Combine(fixture.Session, "drop_log.csv")).Skip(1).Select(l => l.Split(','))
            .Where(f => f[2] == "eeg").Select(f => long.Parse(f[8], CultureInfo.InvariantCulture))];
        Assert.Equal(placed, rows.Select(r => long.Parse(r[4], CultureInfo.InvariantCulture)));
        BrainVisionMarker[] stimuli = [.. back.Markers.Where(m => m.Type == "Stimulus")];
        Assert.Equal(placed, stimuli.Select(m => m.Sample));
        Assert.Equal("New Segment", back.Markers[0].Type);
        // Conditions and codes as the session classified them.
        string[] conditions = [.. File.ReadAllLines(Path.Combine(fixture.Session, "drop_log.csv")).Skip(1).Select(l => l.Split(',')).Where(f => f[2] == "eeg").Select(f => f[5])];
        Assert.Equal(conditions, rows.Select(r => r[2]));
        Assert.All(rows, r => Assert.Contains(r[6], (string[])["real", "sham"]));
        Assert.All(rows.Zip(stimuli), p => Assert.Equal("S" + p.First[3].PadLeft(3), p.Second.Description));
    }

    [Fact]
    public async Task ExportTwice_IsIdempotent_AndADifferentFileIsNeverOverwrittenSilently()
    {
        string root = await ExportAsync();
        Dictionary<string, string> first = Hashes(root);
        Assert.True(first.Count >= 15, string.Join(", ", first.Keys));

        (int code, string stdout, _) = await RunAsync("export-bids", fixture.Session, "--root", root);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("0 file(s) written", stdout, StringComparison.Ordinal);
        Assert.Equal(first, Hashes(root));

        string events = Eeg(root, "events.tsv");
        File.AppendAllText(events, "99.000000\t0.000000\tedited\tn/a\t1\tn/a\tn/a\tby hand\n");
        string edited = File.ReadAllText(events);
        (code, _, string error) = await RunAsync("export-bids", fixture.Session, "--root", root);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains($"{Stem}_events.tsv", error, StringComparison.Ordinal);
        Assert.Contains("--overwrite", error, StringComparison.Ordinal);
        Assert.Equal(edited, File.ReadAllText(events));

        (code, stdout, error) = await RunAsync("export-bids", fixture.Session, "--root", root, "--overwrite");
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("1 file(s) written", stdout, StringComparison.Ordinal);
        Assert.Equal(first, Hashes(root));
    }

    [Theory]
    [InlineData("--subject", "P-007", "subject 'P-007'")]
    [InlineData("--session", "S_01", "session 'S_01'")]
    [InlineData("--task", "real vs sham", "task 'real vs sham'")]
    [InlineData("--run", "-1", "run '-1'")]
    public async Task InvalidEntityLabels_AreRefusedNamingTheValue(string option, string value, string expected)
    {
        string root = TestPaths.NewFolder();
        (int code, _, string error) = await RunAsync("export-bids", fixture.Session, "--root", root, option + "=" + value);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public async Task CheckReport_FailingChannelsAreBad_WarningsNoted()
    {
        string report = Path.Combine(TestPaths.NewFolder(), "check.json");
        Directory.CreateDirectory(Path.GetDirectoryName(report)!);
        File.WriteAllText(report, """
            {"worst": "fail", "streams": [{"stream": "eeg", "channels": [
              {"channel": "Fp1", "verdict": "fail", "reason": "flat: RMS 0.1 uV < 0.5"},
              {"channel": "Cz", "verdict": "warn", "reason": "line noise 0.4 > 0.3"},
              {"channel": "Oz", "verdict": "pass"}]}]}
            """);
        string root = await ExportAsync("--check", report);
        Dictionary<string, string[]> channels = File.ReadAllLines(Eeg(root, "channels.tsv")).Skip(1).Select(l => l.Split('\t')).ToDictionary(f => f[0]);
        Assert.Equal(32, channels.Count);
        Assert.Equal(["bad", "acq check: fail (flat: RMS 0.1 uV < 0.5)"], channels["Fp1"][3..]);
        Assert.Equal(["good", "acq check: warn (line noise 0.4 > 0.3)"], channels["Cz"][3..]);
        Assert.Equal(["good", "acq check: pass"], channels["Oz"][3..]);
        Assert.Equal("not in the acq check report", channels["Pz"][4]);
        Assert.Single(channels.Values, c => c[3] == "bad");
    }

    [Fact]
    public async Task CheckReport_FromARealAcqCheckRun_MarksTheFlatChannelBad()
    {
        // The report exactly as `acq check --json` writes it, with Fp1 made flat in the simulator.
        (int code, string json, string error) = await RunAsync("check", "--seconds", "1", "--json", "--Simulation:FlatChannels:0=Fp1");
        Assert.True(code == ExitCodes.CheckFail, error);
        string report = Path.Combine(Directory.CreateDirectory(TestPaths.NewFolder()).FullName, "check.json");
        File.WriteAllText(report, json);
        string root = await ExportAsync("--check", report);
        Dictionary<string, string[]> channels = File.ReadAllLines(Eeg(root, "channels.tsv")).Skip(1).Select(l => l.Split('\t')).ToDictionary(f => f[0]);
        Assert.Equal("bad", channels["Fp1"][3]);
        Assert.Contains("flat", channels["Fp1"][4], StringComparison.OrdinalIgnoreCase);
        Assert.Equal("good", channels["Pz"][3]);
        Assert.Single(channels.Values, c => c[3] == "bad");
    }

    [Fact]
    public async Task Sidecars_CarryRateLineFrequencyAndSubjectInParticipants()
    {
        string root = await ExportAsync();
        using JsonDocument sidecar = JsonDocument.Parse(File.ReadAllText(Eeg(root, "eeg.json")));
        Assert.Equal(500, sidecar.RootElement.GetProperty("SamplingFrequency").GetDouble());
        Assert.Equal(50, sidecar.RootElement.GetProperty("PowerLineFrequency").GetDouble());
        Assert.Equal(32, sidecar.RootElement.GetProperty("EEGChannelCount").GetInt32());
        Assert.Equal(60, sidecar.RootElement.GetProperty("RecordingDuration").GetDouble(), 6);
        Assert.Equal("participant_id\nsub-P007\n", File.ReadAllText(Path.Combine(root, "participants.tsv")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(fixture.Session, "recording.xdf")),
            File.ReadAllBytes(Path.Combine(root, "sourcedata", "sub-P007", "ses-S01", $"{Stem}_recording.xdf")));
        Assert.True(File.Exists(Path.Combine(root, "sub-P007", "ses-S01", "nirs", $"{Stem}_nirs.snirf")));

        // A second subject joins participants.tsv; the first stays.
        (int code, _, string error) = await RunAsync("export-bids", fixture.Session, "--root", root, "--subject", "P008");
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Equal("participant_id\nsub-P007\nsub-P008\n", File.ReadAllText(Path.Combine(root, "participants.tsv")));
    }

    private static Dictionary<string, string> Hashes(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(root, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    private static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
