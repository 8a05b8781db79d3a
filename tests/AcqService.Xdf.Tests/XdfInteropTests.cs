using System.Diagnostics;
using System.Text.Json;
using AcqService.Core.Model;

namespace AcqService.Xdf.Tests;

/// <summary>Runs tools/xdf_interop.py on a file we wrote, when python3 and pyxdf or Debian libxdf are present.</summary>
public sealed class XdfInteropTests
{
    [SkippableFact]
    public void WrittenFile_IndependentReaders_AgreeWithOurValues()
    {
        var script = Path.Combine(XdfTestFiles.RepositoryRootPath, "tools", "xdf_interop.py");
        var python = FindPython();
        Skip.If(python is null, "python3 not found");
        var (probeExit, probeOutput) = Run(python!, $"\"{script}\" --probe");
        Skip.If(probeExit == 2, "no independent XDF reader: " + probeOutput.Replace('\n', ';'));
        Assert.Equal(0, probeExit);

        var path = XdfTestFiles.NewTempFile("interop.xdf");
        var expectedPath = Path.ChangeExtension(path, ".json");
        var expected = WriteInteropFile(path);
        File.WriteAllText(expectedPath, JsonSerializer.Serialize(new { streams = expected }));

        var (exit, output) = Run(python!, $"\"{script}\" --xdf \"{path}\" --expected \"{expectedPath}\"");

        Assert.True(exit == 0, output);
        Assert.Contains("OK", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void WrittenFile_TamperedExpectation_IsReportedAsMismatch()
    {
        var script = Path.Combine(XdfTestFiles.RepositoryRootPath, "tools", "xdf_interop.py");
        var python = FindPython();
        Skip.If(python is null, "python3 not found");
        var (probeExit, probeOutput) = Run(python!, $"\"{script}\" --probe");
        Skip.If(probeExit == 2, "no independent XDF reader: " + probeOutput.Replace('\n', ';'));

        var path = XdfTestFiles.NewTempFile("interop.xdf");
        var expectedPath = Path.ChangeExtension(path, ".json");
        var expected = WriteInteropFile(path);
        ((double[])expected[1]["timestamps"])[1] += 1e-3;
        File.WriteAllText(expectedPath, JsonSerializer.Serialize(new { streams = expected }));

        var (exit, output) = Run(python!, $"\"{script}\" --xdf \"{path}\" --expected \"{expectedPath}\"");

        Assert.True(exit == 1, output);
        Assert.Contains("MISMATCH", output, StringComparison.Ordinal);
    }

    private static List<Dictionary<string, object>> WriteInteropFile(string path)
    {
        var streams = new List<Dictionary<string, object>>();
        using var writer = XdfWriter.Create(path);
        // No clock offsets: libxdf applies them itself and the comparison is about raw decoding.
        var eegStamps = Enumerable.Range(0, 300).Select(i => 1000.0 + (i / 100.0)).ToArray();
        var eeg = Enumerable.Range(0, 600).Select(i => (float)Math.Sin(i * 0.1) * 50f).ToArray();
        writer.AddStream(1, XdfWriter.CreateStreamInfoXml("eeg", "EEG", 2, 100, ChannelFormat.Float32), ChannelFormat.Float32, 2, 100);
        writer.WriteSamples(1, eegStamps.AsSpan(0, 100), eeg.AsSpan(0, 200));
        writer.WriteBoundary();
        writer.WriteSamples(1, eegStamps.AsSpan(100), eeg.AsSpan(200));
        streams.Add(Describe(1, "eeg", "float32", 2, 100, eegStamps, Rows(eeg.Select(v => (object)(double)v).ToArray(), 2)));

        var intStamps = new[] { 5.0, 5.5, 6.25 };
        double[] ints = [short.MinValue, 0, short.MaxValue];
        writer.AddStream(2, XdfWriter.CreateStreamInfoXml("ints", "misc", 1, 2, ChannelFormat.Int16), ChannelFormat.Int16, 1, 2);
        writer.WriteSamples(2, intStamps, ints);
        streams.Add(Describe(2, "ints", "int16", 1, 2, intStamps, Rows(ints.Select(v => (object)v).ToArray(), 1)));

        var dStamps = new[] { 7.0, 8.0 };
        double[] doubles = [Math.PI, -1e-3];
        writer.AddStream(3, XdfWriter.CreateStreamInfoXml("doubles", "misc", 1, 0, ChannelFormat.Double64), ChannelFormat.Double64, 1, 0);
        writer.WriteSamples(3, dStamps, doubles);
        streams.Add(Describe(3, "doubles", "double64", 1, 0, dStamps, Rows(doubles.Select(v => (object)v).ToArray(), 1)));

        var mStamps = new[] { 1000.5, 1001.25 };
        string[] markers = ["needle-in", "Grüße 漢字"];
        writer.AddStream(4, XdfWriter.CreateStreamInfoXml("markers", "Markers", 1, 0, ChannelFormat.String), ChannelFormat.String, 1, 0);
        writer.WriteSamples(4, mStamps, markers);
        streams.Add(Describe(4, "markers", "string", 1, 0, mStamps, Rows(markers.Cast<object>().ToArray(), 1)));
        return streams;
    }

    private static Dictionary<string, object> Describe(uint id, string name, string format, int channels, double srate, double[] stamps, object[][] values) => new()
    {
        ["stream_id"] = id,
        ["name"] = name,
        ["channel_format"] = format,
        ["channel_count"] = channels,
        ["nominal_srate"] = srate,
        ["timestamps"] = stamps,
        ["values"] = values,
    };

    private static object[][] Rows(object[] flat, int channels) =>
        Enumerable.Range(0, flat.Length / channels).Select(i => flat.Skip(i * channels).Take(channels).ToArray()).ToArray();

    private static string? FindPython()
    {
        foreach (var candidate in new[] { "/usr/bin/python3", "/usr/local/bin/python3" })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
            .Select(d => Path.Combine(d, "python3")).FirstOrDefault(File.Exists);
    }

    private static (int Exit, string Output) Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "timed out");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
