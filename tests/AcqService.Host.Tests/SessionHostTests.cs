using System.Globalization;
using System.Text.Json;
using AcqService.Host.Cli;

namespace AcqService.Host.Tests;

/// <summary>A whole simulated session through the CLI and the worker host, checking the files a lab would use.</summary>
[Collection("console")]
public sealed class SessionHostTests
{
    [Fact]
    public async Task Demo_FastSession_WritesCompleteSessionFolder()
    {
        string folder = TestPaths.NewFolder();
        int code;
        string output;
        using (var capture = new ConsoleCapture())
        {
            code = await CommandLineApp.RunAsync(["demo", "--pace", "fast", "--duration", "240", "--out", folder, "--Session:StatusIntervalSeconds=0.5"]);
            output = capture.Out;
        }
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("Results written to", output);
        string[] expected = ["session.json", "erp_averages.json", "erp_averages.csv", "drop_log.csv", "alpha_power_eeg.csv", "alpha_summary.csv", "summary.json", "summary.txt"];
        foreach (string file in expected)
        {
            Assert.True(File.Exists(Path.Combine(folder, file)), $"{file} missing");
        }

        using JsonDocument session = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "session.json")));
        JsonElement root = session.RootElement;
        Assert.Equal("fast", root.GetProperty("mode").GetString());
        Assert.Equal("simulated-needling", root.GetProperty("profileName").GetString());
        Assert.True(root.GetProperty("endedUtc").GetDateTimeOffset() >= root.GetProperty("startedUtc").GetDateTimeOffset());
        Assert.Equal(32, root.GetProperty("streams")[0].GetProperty("channels").GetArrayLength());
        Assert.Equal(-0.2, root.GetProperty("settings").GetProperty("epochs").GetProperty("tminSeconds").GetDouble());

        // Drop log: exactly one outcome per marker.
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")));
        int markers = summary.RootElement.GetProperty("markers").GetProperty("needle").GetInt32();
        string[] dropRows = [.. File.ReadLines(Path.Combine(folder, "drop_log.csv")).Skip(1)];
        Assert.Equal(markers, dropRows.Length);
        int epochs = dropRows.Count(r => r.Contains(",epoch,", StringComparison.Ordinal));

        // ERP averages: counts add up to the accepted epochs; layout as documented.
        using JsonDocument erp = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "erp_averages.json")));
        int total = 0;
        foreach (JsonElement condition in erp.RootElement.GetProperty("conditions").EnumerateArray())
        {
            total += condition.GetProperty("count").GetInt32();
            Assert.Equal(32, condition.GetProperty("meanUv").GetArrayLength());
            Assert.Equal(501, condition.GetProperty("timesS").GetArrayLength()); // -0.2..0.8 s at 500 Hz
            Assert.Equal(501, condition.GetProperty("meanUv")[0].GetArrayLength());
        }
        Assert.Equal(epochs, total);
        Assert.True(total >= 20, $"only {total} epochs in 240 s");

        // Alpha series: one row per 0.5 s once the 2 s window is full, 32 + 32 + 2 × regions columns plus 3.
        string[] alphaRows = [.. File.ReadLines(Path.Combine(folder, "alpha_power_eeg.csv"))];
        Assert.Equal(3 + 64 + 6, alphaRows[0].Split(',').Length);
        Assert.InRange(alphaRows.Length - 1, 475, 478);
        // Updates every 0.5 s of signal: consecutive window-end times differ by 0.5 s (± timestamp jitter).
        double[] times = [.. alphaRows.Skip(1).Take(50).Select(r => double.Parse(r.Split(',')[0], CultureInfo.InvariantCulture))];
        for (int i = 1; i < times.Length; i++)
        {
            Assert.InRange(times[i] - times[i - 1], 0.499, 0.501);
        }

        string text = File.ReadAllText(Path.Combine(folder, "summary.txt"));
        Assert.Contains("insert/real", text);
        Assert.Contains("parietal-occipital", text);
    }

    [Fact]
    public async Task Demo_OutputFolderWithSession_IsNeverOverwritten()
    {
        string folder = TestPaths.NewFolder();
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "session.json"), "{}");
        using var capture = new ConsoleCapture();
        int code = await CommandLineApp.RunAsync(["demo", "--pace", "fast", "--duration", "5", "--out", folder]);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("already holds a session", capture.Error);
        Assert.Equal("{}", await File.ReadAllTextAsync(Path.Combine(folder, "session.json")));
    }
}
