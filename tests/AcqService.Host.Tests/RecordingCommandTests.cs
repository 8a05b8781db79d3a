using System.Diagnostics;
using AcqService.Host.Cli;
using AcqService.Xdf;

namespace AcqService.Host.Tests;

/// <summary>Recording, analyze, inspect and repair through the CLI.</summary>
[Collection("console")]
public sealed class RecordingCommandTests
{
    private static async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        using var capture = new ConsoleCapture();
        int code = await CommandLineApp.RunAsync(args);
        return (code, capture.Out, capture.Error);
    }

    [Fact]
    public async Task Analyze_RecordingOfLiveSession_GivesIdenticalResultFiles()
    {
        string live = TestPaths.NewFolder(), replay = TestPaths.NewFolder();
        (int liveCode, _, string liveError) = await RunAsync("demo", "--pace", "fast", "--duration", "150", "--out", live);
        Assert.True(liveCode == ExitCodes.Ok, liveError);
        string recording = Path.Combine(live, "recording.xdf");
        Assert.True(File.Exists(recording));
        (int code, string output, string error) = await RunAsync("analyze", recording, "--out", replay);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("analyzing", output);
        foreach (string file in new[] { "erp_averages.json", "erp_averages.csv", "drop_log.csv", "alpha_power_eeg.csv", "alpha_summary.csv" })
        {
            Assert.True(File.ReadAllBytes(Path.Combine(live, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(replay, file))), $"{file} differs between live and analyze");
        }
    }

    [Fact]
    public async Task Analyze_RecordingOfEegAndNirsSession_GivesIdenticalErpAndHaemodynamicFiles()
    {
        string live = TestPaths.NewFolder(), replay = TestPaths.NewFolder();
        string profile = Path.Combine(TestPaths.RepoRoot, "device-profiles", "simulated-needling-nirs.json");
        (int liveCode, _, string liveError) = await RunAsync("run", "--profile", profile, "--pace", "fast", "--duration", "120", "--out", live);
        Assert.True(liveCode == ExitCodes.Ok, liveError);
        (int code, _, string error) = await RunAsync("analyze", Path.Combine(live, "recording.xdf"), "--out", replay);
        Assert.True(code == ExitCodes.Ok, error);
        foreach (string file in new[] { "hrf_averages.json", "hrf_averages.csv", "erp_averages.json", "alpha_summary.csv" })
        {
            Assert.True(File.ReadAllBytes(Path.Combine(live, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(replay, file))), $"{file} differs between live and analyze");
        }
        Assert.Contains("\"meanUm\"", await File.ReadAllTextAsync(Path.Combine(live, "hrf_averages.json")));
    }

    [SkippableFact]
    public async Task Analyze_ForeignFile_EachLabelIsACondition()
    {
        string folder = TestPaths.NewFolder();
        string file = Path.Combine(TestPaths.RepoRoot, "..", "shared", "data", "xdf", "minimal.xdf");
        Skip.IfNot(File.Exists(file), "shared test data not present");
        (int code, _, string error) = await RunAsync("analyze", file, "--out", folder, "--marker-type", "StringMarker",
            "--tmin", "-0.2", "--tmax", "0.3", "--highpass", "0", "--lowpass", "0", "--notch", "0",
            "--Epochs:Baseline=false", "--Epochs:RejectPeakToPeakMicrovolts=", "--Epochs:FlatPeakToPeakMicrovolts=", "--Alpha:WindowSeconds=0.5", "--Alpha:SegmentSeconds=0.5");
        Assert.True(code == ExitCodes.Ok, error);
        string[] rows = [.. File.ReadLines(Path.Combine(folder, "drop_log.csv")).Skip(1)];
        Assert.Equal(9, rows.Length); // nine string markers in SendDataString
        Assert.Contains(rows, r => r.Contains(",Hello,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Analyze_MissingFileOrBadMagic_ExplainsAndFails()
    {
        (int code, _, string error) = await RunAsync("analyze", "/nonexistent/file.xdf");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("does not exist", error);
        string bogus = Path.Combine(Path.GetTempPath(), $"bogus-{Guid.NewGuid():N}.xdf");
        await File.WriteAllTextAsync(bogus, "this is not an xdf file");
        (code, _, error) = await RunAsync("analyze", bogus, "--out", TestPaths.NewFolder());
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains(bogus, error);
    }

    [Fact]
    public async Task Analyze_DirectoryGivenAsFile_SaysItIsADirectory()
    {
        string folder = TestPaths.NewFolder();
        Directory.CreateDirectory(folder);

        (int code, _, string error) = await RunAsync("analyze", folder);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("is a directory", error);
        Assert.DoesNotContain("does not exist", error);
    }

    [SkippableFact]
    public async Task Inspect_RealFile_ListsStreamsAndCounts()
    {
        string file = Path.Combine(TestPaths.RepoRoot, "..", "shared", "data", "xdf", "eeglab_test.xdf");
        Skip.IfNot(File.Exists(file), "shared test data not present");
        (int code, string output, _) = await RunAsync("inspect", file);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("obci_neeg1", output);
        Assert.Contains("ch=8", output);
        Assert.Contains("samples=9520", output);
    }

    [Fact]
    public async Task Inspect_And_Repair_TruncatedRecording_RecoverEverythingComplete()
    {
        string live = TestPaths.NewFolder();
        (int liveCode, _, _) = await RunAsync("demo", "--pace", "fast", "--duration", "30", "--out", live);
        Assert.Equal(ExitCodes.Ok, liveCode);
        string recording = Path.Combine(live, "recording.xdf");
        string damaged = Path.Combine(live, "damaged.xdf");
        byte[] bytes = await File.ReadAllBytesAsync(recording);
        await File.WriteAllBytesAsync(damaged, bytes.AsSpan(0, (int)(bytes.Length * 0.6) + 3).ToArray());

        (int code, string output, _) = await RunAsync("inspect", damaged);
        Assert.Equal(ExitCodes.SessionErrors, code);
        Assert.Contains("diagnostics", output);

        string clean = Path.Combine(live, "clean.xdf");
        (code, output, string error) = await RunAsync("repair", damaged, "--out", clean);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("samples recovered", output);
        XdfLoadResultCheck(clean, minimumEegSamples: 7000);

        (code, _, error) = await RunAsync("repair", damaged, "--out", clean);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("nothing is overwritten", error);
    }

    [Fact]
    [Trait(AcqExecutable.Trait, AcqExecutable.TraitValue)]
    public async Task Demo_KilledWithSigkillMidSession_RecordingIsReadableUpToLastFlush()
    {
        string folder = TestPaths.NewFolder();
        ProcessStartInfo start = AcqExecutable.StartInfo("demo", "--duration", "60", "--out", folder, "--Simulation:FirstInsertionSeconds=1", "--Lsl:Backend=managed", "--Lsl:Loopback=true");
        // The live demo runs over LSL sockets by default; the flags above keep them on loopback.
        using Process process = Process.Start(start)!;
        string recording = Path.Combine(folder, "recording.xdf");
        var watch = Stopwatch.StartNew();
        // Wait until the recording has real data (several flushes), then kill -9.
        while (watch.Elapsed < TimeSpan.FromSeconds(60) && (!File.Exists(recording) || new FileInfo(recording).Length < 400_000))
        {
            await Task.Delay(200);
        }
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(File.Exists(recording), "no recording was written before the kill");
        XdfLoadResultCheck(recording, minimumEegSamples: 1500);
    }

    /// <summary>The file loads; the EEG stream has 32 channels and at least the given samples; markers are intact.</summary>
    private static void XdfLoadResultCheck(string path, int minimumEegSamples)
    {
        XdfFile file = XdfFile.Load(path);
        XdfStream eeg = file.Streams.Single(s => s.Header.Type == "EEG");
        Assert.Equal(32, eeg.Header.ChannelCount);
        Assert.True(eeg.Timestamps.Length >= minimumEegSamples, $"only {eeg.Timestamps.Length} EEG samples recovered");
        XdfStream markers = file.Streams.Single(s => s.Header.Type == "Markers");
        Assert.All(markers.StringValues!, v => Assert.StartsWith("needle/", v));
    }
}
