using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using AcqService.Core.Model;
using AcqService.Host.Cli;
using AcqService.Sinks.Snirf;
using AcqService.Xdf;
using Xunit.Abstractions;

namespace AcqService.Host.Tests;

/// <summary><c>acq export-snirf</c>: a simulated fNIRS session recorded to XDF, exported, read back by PureHDF and by MNE-Python.</summary>
[Collection("console")]
public sealed class SnirfExportTests(ITestOutputHelper output)
{
    private const string Python = "/usr/bin/python3";

    private static async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        using var capture = new ConsoleCapture();
        int code = await CommandLineApp.RunAsync(args);
        return (code, capture.Out, capture.Error);
    }

    /// <summary>A fast 120 s session with the fNIRS profile (recorded to XDF); returns the session folder.</summary>
    private static async Task<string> RecordNirsSessionAsync()
    {
        string folder = TestPaths.NewFolder();
        (int code, _, string error) = await RunAsync("run", "--profile", Path.Combine(TestPaths.RepoRoot, "device-profiles", "simulated-needling-nirs.json"),
            "--pace", "fast", "--duration", "120", "--out", folder, "--Session:SubjectId=P007");
        Assert.True(code == ExitCodes.Ok, error);
        Assert.True(File.Exists(Path.Combine(folder, "recording.xdf")));
        return folder;
    }

    private static async Task<(string Session, string Snirf)> ExportAsync()
    {
        string session = await RecordNirsSessionAsync();
        string snirf = Path.Combine(session, "export", "nirs.snirf");
        (int code, string stdout, string error) = await RunAsync("export-snirf", session, "--out", snirf);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("16 channels", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(snirf));
        return (session, snirf);
    }

    [Fact]
    public async Task Recording_CarriesTheSimulatedProbeInTheStreamDescription()
    {
        string session = await RecordNirsSessionAsync();
        XdfFile file = XdfFile.Load(Path.Combine(session, "recording.xdf"));
        XdfStream nirs = file.Streams.Single(s => s.Header.Type == "NIRS");
        XElement desc = nirs.Header.ParseXml()!.Element("desc")!;
        XElement first = desc.Element("channels")!.Elements("channel").First();
        Assert.Equal(("S1-D1 760", "nirs_raw", "V", "1", "1", "760"), ((string)first.Element("label")!, (string)first.Element("type")!, (string)first.Element("unit")!,
            (string)first.Element("source")!, (string)first.Element("detector")!, (string)first.Element("wavelength")!));
        Assert.Equal(0.03, double.Parse((string)first.Element("distance")!, CultureInfo.InvariantCulture), 12);
        NirsMontage montage = NirsMontage.Parse(desc.ToString(), [])!;
        Assert.Equal(16, montage.Channels.Count);
        Assert.Equal([760, 850], montage.WavelengthsNm);
        Assert.Equal((8, 8), (montage.Sources.Count, montage.Detectors.Count));
        Assert.True(montage.HasPositions);
        Assert.All(Enumerable.Range(0, 16), c => Assert.Equal(0.03, montage.DistanceM(c), 12));
    }

    [Fact]
    public async Task Export_ReadBackWithPureHdf_EqualsTheRecording()
    {
        (string session, string snirf) = await ExportAsync();
        XdfFile file = XdfFile.Load(Path.Combine(session, "recording.xdf"));
        XdfStream nirs = file.Streams.Single(s => s.Header.Type == "NIRS");
        SnirfDocument back = SnirfReader.Read(snirf);

        Assert.Equal(nirs.SampleCount, back.Frames);
        Assert.Equal(1200, back.Frames);
        Assert.Equal(16, back.Montage.Channels.Count);
        Assert.Equal([760, 850], back.Montage.WavelengthsNm);
        double maxValueDiff = 0, maxTimeDiff = 0;
        for (int f = 0; f < back.Frames; f++)
        {
            maxTimeDiff = Math.Max(maxTimeDiff, Math.Abs(back.Time[f] - (nirs.Timestamps[f] - nirs.Timestamps[0])));
            for (int c = 0; c < 16; c++)
            {
                maxValueDiff = Math.Max(maxValueDiff, Math.Abs(back[f, c] - nirs.GetValue(f, c)));
            }
        }
        output.WriteLine($"frames {back.Frames}, max |value diff| {maxValueDiff}, max |time diff| {maxTimeDiff} s, span {back.Time[^1]} s");
        Assert.Equal(0, maxValueDiff);
        Assert.Equal(0, maxTimeDiff);
        Assert.Equal(0, back.Time[0]);
        Assert.InRange((back.Frames - 1) / back.Time[^1], 9.999, 10.001);
        // Channel order and indices: S1-D1 760, S1-D1 850, S2-D2 760, ...
        for (int c = 0; c < 16; c++)
        {
            NirsChannel ch = back.Montage.Channels[c];
            Assert.Equal((c / 2) + 1, ch.Source);
            Assert.Equal((c / 2) + 1, ch.Detector);
            Assert.Equal(c % 2 == 0 ? 760 : 850, ch.WavelengthNm);
            Assert.Equal("V", ch.Unit);
            Assert.Equal(0.03, back.Montage.DistanceM(c), 12);
        }
        Assert.Equal("P007", back.SubjectId);
        Assert.NotNull(back.StartUtc);
        Assert.Equal("AcqService (simulated CW-fNIRS)", back.ExtraTags["ManufacturerName"]);

        // Stimuli: one per condition, onsets = marker time − first fNIRS frame, every needle marker of the recording.
        XdfStream markers = file.Streams.Single(s => s.Header.Type == "Markers");
        Assert.Equal(markers.SampleCount, back.Stims.Sum(s => s.Events.Count));
        Assert.Contains(back.Stims, s => s.Name == "insert/real" || s.Name == "insert/sham");
        double[] expected = [.. markers.Timestamps.Select(t => t - nirs.Timestamps[0]).Order()];
        double[] got = [.. back.Stims.SelectMany(s => s.Events.Select(e => e.Onset)).Order()];
        Assert.Equal(expected.Length, got.Length);
        Assert.All(expected.Zip(got), p => Assert.Equal(p.First, p.Second, 9));
        Assert.All(back.Stims.SelectMany(s => s.Events), e => Assert.Equal((0.0, 1.0), (e.Duration, e.Value)));
        output.WriteLine(string.Join(", ", back.Stims.Select(s => $"{s.Name}: {s.Events.Count}")));
    }

    [SkippableFact]
    public async Task Export_OpensInMne_WithTheRecordingsChannelsRateValuesAndStimuli()
    {
        Skip.IfNot(File.Exists(Python), $"{Python} not found");
        (int probe, _) = RunProcess(Python, "-c", "import mne, h5py, scipy");
        Skip.If(probe != 0, "python3-mne / python3-h5py / python3-scipy are not installed (apt-get install python3-mne python3-h5py python3-scipy)");

        (string session, string snirf) = await ExportAsync();
        XdfFile file = XdfFile.Load(Path.Combine(session, "recording.xdf"));
        XdfStream nirs = file.Streams.Single(s => s.Header.Type == "NIRS");
        XdfStream markers = file.Streams.Single(s => s.Header.Type == "Markers");
        SnirfDocument back = SnirfReader.Read(snirf);

        // The expectation comes from the XDF recording, not from the SNIRF file.
        string folder = Path.GetDirectoryName(snirf)!;
        using (var values = new BinaryWriter(File.Create(Path.Combine(folder, "expected.f64"))))
        {
            for (int f = 0; f < nirs.SampleCount; f++)
            {
                for (int c = 0; c < nirs.ChannelCount; c++)
                {
                    values.Write(nirs.GetValue(f, c));
                }
            }
        }
        string[] labels = [.. nirs.Header.ParseXml()!.Element("desc")!.Element("channels")!.Elements("channel").Select(c => ((string)c.Element("label")!).Replace('-', '_'))];
        var stims = new JsonObject();
        foreach (SnirfStim stim in back.Stims)
        {
            // Names from the export, onsets from the recording's marker timestamps.
            stims[stim.Name] = new JsonArray([.. stim.Events.Select(e => JsonValue.Create(markers.Timestamps.Select(t => t - nirs.Timestamps[0]).MinBy(t => Math.Abs(t - e.Onset))))]);
        }
        var expected = new JsonObject
        {
            ["channels"] = new JsonArray([.. labels.Select(l => JsonValue.Create(l))]),
            ["wavelengths"] = new JsonArray(760, 850),
            ["sfreq"] = nirs.Header.NominalSrate,
            ["frames"] = nirs.SampleCount,
            ["values_file"] = "expected.f64",
            ["stims"] = stims,
            ["distance_m"] = 0.03,
            ["subject"] = "P007",
        };
        string expectedPath = Path.Combine(folder, "expected.json");
        await File.WriteAllTextAsync(expectedPath, expected.ToJsonString());

        (int code, string report) = RunProcess(Python, Path.Combine(TestPaths.RepoRoot, "tools", "snirf_check.py"), snirf, expectedPath);
        output.WriteLine(report);
        Assert.True(code == 0, report);
        JsonNode result = JsonNode.Parse(report.Trim().Split('\n')[^1])!;
        Assert.True((bool)result["ok"]!);
        Assert.Equal(16, (int)result["n_channels"]!);
        Assert.Equal(10.0, (double)result["sfreq"]!, 6);
        Assert.True((double)result["max_relative_difference"]! <= 1e-6);
        Assert.Equal(markers.SampleCount, result["stim_counts"]!.AsObject().Sum(p => (int)p.Value!));
    }

    [Fact]
    public async Task RecordingWithoutNirs_FailsWithAClearMessage_AndBadArgumentsAreUsageErrors()
    {
        string folder = TestPaths.NewFolder();
        (int code, _, string error) = await RunAsync("demo", "--pace", "fast", "--duration", "20", "--out", folder);
        Assert.True(code == ExitCodes.Ok, error);
        string snirf = Path.Combine(folder, "out.snirf");
        (code, _, error) = await RunAsync("export-snirf", Path.Combine(folder, "recording.xdf"), "--out", snirf);
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("no fNIRS stream", error, StringComparison.Ordinal);
        Assert.Contains("AcqSim EEG", error, StringComparison.Ordinal);
        Assert.False(File.Exists(snirf));
        Assert.False(File.Exists(snirf + ".partial"));

        (code, _, error) = await RunAsync("export-snirf", folder);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--out", error, StringComparison.Ordinal);
        (code, _, error) = await RunAsync("export-snirf", "/nonexistent/recording.xdf", "--out", snirf);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
        string bogus = Path.Combine(folder, "bogus.xdf");
        await File.WriteAllTextAsync(bogus, "not an xdf file");
        (code, _, error) = await RunAsync("export-snirf", bogus, "--out", snirf);
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains(bogus, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Montage_DescriptionRoundTrip_AndLabelFallbackSkipsNonNirsChannels()
    {
        ChannelDescriptor[] channels = [new("S1-D2 850", "V", "NIRS"), new("S1-D2 760", "V", "NIRS"), new("S2-D1 760", "V", "NIRS"), new("S2-D1 850", "V", "NIRS")];
        NirsMontage simulated = NirsMontage.Simulated(channels, 0.025);
        XElement desc = simulated.ToDescription(channels);
        NirsMontage back = NirsMontage.Parse(desc.ToString(), [])!;
        Assert.Equal(simulated.Channels, back.Channels);
        Assert.Equal([760, 850], back.WavelengthsNm);
        // Positions travel as decimal text rounded to 1 nm.
        Assert.All(simulated.Sources.Concat(simulated.Detectors).Zip(back.Sources.Concat(back.Detectors)), p =>
        {
            Assert.Equal(p.First.Label, p.Second.Label);
            Assert.True(Math.Abs(p.First.X - p.Second.X) + Math.Abs(p.First.Y - p.Second.Y) + Math.Abs(p.First.Z - p.Second.Z) < 1e-9, $"{p.First} vs {p.Second}");
        });
        // S1 over D1 is 2.5 cm; S1–D2 is diagonal: sqrt(0.03² + 0.025²).
        Assert.Equal(Math.Sqrt((0.03 * 0.03) + (0.025 * 0.025)), back.DistanceM(0), 12);

        // The live haemoglobin stage's layout from the same description: distances and midpoints from the positions.
        Core.Analysis.NirsLayout layout = Core.Analysis.NirsMontageLayout.ToLayout(back, 4);
        Assert.Equal(["S1-D2", "S2-D1"], layout.Pairs.Select(p => p.Name));
        Assert.Equal((1, 0, 760, 850), (layout.Pairs[0].Channel1, layout.Pairs[0].Channel2, layout.Pairs[0].Wavelength1Nm, layout.Pairs[0].Wavelength2Nm));
        Assert.Equal(back.DistanceM(0), layout.Pairs[0].DistanceM, 12);
        Assert.Equal(0.0, layout.Pairs[0].Midpoint!.Value.X, 9);

        // A device that publishes only labels (an Aurora-like frame counter first, MNE-style names): positions unknown.
        NirsMontage? labelsOnly = NirsMontage.Parse(null, ["frame", "S1_D1 760", "S1_D1 850", "S2_D1 760nm", "S2_D1 850nm", "HEADING"]);
        Assert.NotNull(labelsOnly);
        Assert.Equal([1, 2, 3, 4], labelsOnly!.Channels.Select(c => c.StreamChannel));
        Assert.Equal((2, 1), (labelsOnly.Sources.Count, labelsOnly.Detectors.Count));
        Assert.False(labelsOnly.HasPositions);
        Assert.Null(NirsMontage.Parse("<desc><channels><channel><label>Fp1</label></channel></channels></desc>", ["Fp1"]));
        // Artinis OxySoft labels: receiver (detector) and transmitter (source), wavelength in brackets; gyroscope channels skipped.
        NirsMontage oxy = NirsMontage.FromLabels(["[1] Rx1 - Tx2 [760nm]", "[1] Rx1 - Tx2 [850nm]", "HEADING"])!;
        Assert.Equal([(2, 1, 760), (2, 1, 850)], oxy.Channels.Select(c => (c.Source, c.Detector, c.WavelengthNm)));

        // Positions in millimetres (XDF's EEG convention) are converted; a channel naming a missing wavelength is an error.
        NirsMontage mm = NirsMontage.Parse("<desc><channels><channel><label>a</label><source>1</source><detector>1</detector><wavelength>760</wavelength></channel></channels>"
            + "<montage><optodes><unit>mm</unit><sources><source><location><X>10</X><Y>0</Y><Z>0</Z></location></source></sources>"
            + "<detectors><detector><location><X>40</X><Y>0</Y><Z>0</Z></location></detector></detectors></optodes></montage></desc>", [])!;
        Assert.Equal(0.03, mm.DistanceM(0), 12);
        Assert.Throws<ArgumentException>(() => new NirsMontage([new NirsChannel(0, "x", 1, 1, 900, "nirs_raw", "V")], [new("S1", 0, 0, 0)], [new("D1", 0, 0, 0)], [760, 850]));
    }

    private static (int Code, string Output) RunProcess(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }
        // MNE writes a config file under HOME; keep it out of the user's home.
        info.Environment["MNE_DONTWRITE_HOME"] = "true";
        info.Environment["MPLBACKEND"] = "Agg";
        using Process p = Process.Start(info)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync(), stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            return (-1, "timed out after 3 minutes");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
