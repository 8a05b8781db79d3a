using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AcqService.Host.Cli;

namespace AcqService.Host.Tests;

/// <summary>
/// Results are byte-identical to those of the code before the session factory (issue "Session graph"): the hashes
/// below were taken from <c>./acq demo --pace fast</c> and <c>./acq analyze</c> of its recording at commit 51b5417.
/// The two leading time columns of <c>drop_log.csv</c> and <c>alpha_power_eeg.csv</c> are left out of the hash: they
/// are local-clock times (CLOCK_MONOTONIC), different in every run by design; every other byte is compared.
/// </summary>
[Collection("console")]
public sealed class GoldenSessionTests
{
    public static TheoryData<string, string[], string[]> Cases => new()
    {
        {
            "seed 7, default settings",
            ["--seed", "7"],
            ["61fb571d62418132bca311a682711b08a091806f42d0db0878745ec2b2d4a4af", "50e2bf12b2781bd7ad3cbebd537fb7a91b3d80a4dad24b548c3d9b12a11a8624",
             "ed4bb139948261a78799fb9147b4b0408de232b09f7e88d6a4b35d7f944feb1d", "c21be10f2ed7964e11af1c57b11662183810598001645c8e63fe9500af30264f",
             "02df69378c1578eb910c58446e764ed5d3050aa3944d2a5d6fb59ff0602b61dd"]
        },
        {
            "seed 11, peak-to-peak rejection at 45 µV",
            ["--seed", "11", "--Epochs:RejectPeakToPeakMicrovolts=45"],
            ["4730f05f1ee8153c6d356c662d7fea95f7b3e1ce52e07b9773c77073b1e2682f", "031c5e222fe066079b969b9b221eb7b04c8a2e637763ec3bb25ca4d6407d4ac2",
             "b343cc3fa8957b0439642a1f94f2352222ee3c616cb6cf2bbfddebf04f208378", "3ae7bc0fa4f02bfd9679fa3d0d32e4f55937632abd6b88ca32afb807c99f3716",
             "10a03971c98092144104f8d26f6f91a88116335c20ab26a81a4fa06fe87f989b"]
        },
    };

    internal static readonly string[] s_files = ["erp_averages.json", "erp_averages.csv", "alpha_summary.csv", "drop_log.csv", "alpha_power_eeg.csv"];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task DemoFastAndAnalyzeOfItsRecording_SameBytesAsBeforeTheSessionFactory(string name, string[] options, string[] expected)
    {
        string live = TestPaths.NewFolder(), replay = TestPaths.NewFolder();
        (int code, string error) = await RunAsync(["demo", "--pace", "fast", "--duration", "90", "--out", live, .. options]);
        Assert.True(code == ExitCodes.Ok, name + ": " + error);
        // Analysis settings are not stored in the recording (condition rules are): give analyze the same ones.
        (code, error) = await RunAsync(["analyze", Path.Combine(live, "recording.xdf"), "--out", replay, .. options.Where(o => o.StartsWith("--Epochs:", StringComparison.Ordinal))]);
        Assert.True(code == ExitCodes.Ok, name + ": " + error);
        foreach (string folder in new[] { live, replay })
        {
            string[] actual = [.. s_files.Select(f => Hash(Path.Combine(folder, f)))];
            for (int i = 0; i < s_files.Length; i++)
            {
                Assert.True(expected[i] == actual[i], $"{name}: {s_files[i]} in {(folder == live ? "demo" : "analyze")} differs from the golden bytes");
            }
        }
        // The summary's counts are those of the same run (its layout changes by design: end reason, files).
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(live, "summary.json")));
        int dropRows = File.ReadLines(Path.Combine(live, "drop_log.csv")).Count(l => l.Contains(",dropped,", StringComparison.Ordinal));
        Assert.Equal(dropRows, summary.RootElement.GetProperty("dropsByReason").EnumerateObject().Sum(p => p.Value.GetInt32()));
        Assert.Equal("completed", summary.RootElement.GetProperty("ended").GetProperty("kind").GetString());
    }

    [Fact]
    [Trait(AcqExecutable.Trait, AcqExecutable.TraitValue)]
    public async Task Demo_InterruptedWithSigint_Exits130AndTheSummarySaysTheOperatorStoppedIt()
    {
        string folder = TestPaths.NewFolder();
        // Started through `env --default-signal=INT`: a test run launched in the background of a non-interactive shell
        // inherits SIGINT as ignored, the child would inherit that too, and .NET (like any Unix program) then never sees
        // the signal. The test is about what acq does with a SIGINT it receives, so it resets the disposition first.
        ProcessStartInfo start = AcqExecutable.Wrapped(["env", "--default-signal=INT"], ["demo", "--duration", "120", "--transport", "direct", "--out", folder]);
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(60) && !File.Exists(Path.Combine(folder, "drop_log.csv")))
        {
            await Task.Delay(100);
        }
        await Task.Delay(1500);
        Assert.Equal(0, Kill(process.Id, "INT"));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        Assert.True(process.ExitCode == ExitCodes.Interrupted, $"exit {process.ExitCode}: {await errors}");
        string text = await File.ReadAllTextAsync(Path.Combine(folder, "summary.txt"));
        Assert.Contains("Ended: stopped by the operator", text);
        Assert.Contains("Results written to", await output);
        Assert.True(File.Exists(Path.Combine(folder, "erp_averages.json")));
    }

    [Fact]
    public async Task UnknownSettingsSection_IsAnErrorWithASuggestion()
    {
        (int code, string error) = await RunAsync(["demo", "--pace", "fast", "--duration", "5", "--out", TestPaths.NewFolder(), "--Sesion:SubjectId=P001"]);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("unknown settings section 'Sesion'", error);
        Assert.Contains("did you mean 'Session'?", error);
    }

    private static int Kill(int pid, string signal)
    {
        using Process kill = Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        return kill.ExitCode;
    }

    private static async Task<(int Code, string Error)> RunAsync(string[] args)
    {
        using var capture = new ConsoleCapture();
        int code = await CommandLineApp.RunAsync(args);
        return (code, capture.Error);
    }

    /// <summary>SHA-256 of the file; for the per-row time CSVs, of every row without its first two columns.</summary>
    internal static string Hash(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        string name = Path.GetFileName(path);
        if (name is "drop_log.csv" or "alpha_power_eeg.csv")
        {
            string text = Encoding.UTF8.GetString(bytes);
            bytes = Encoding.UTF8.GetBytes(string.Join("\n", text.Split('\n').Select(l => string.Join(',', l.Split(',').Skip(2)))));
        }
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }
}
