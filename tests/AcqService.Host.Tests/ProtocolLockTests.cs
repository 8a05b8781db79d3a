using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AcqService.Host.Cli;
using AcqService.Sessions.Protocols;
using AcqService.Sources.Xdf;
using AcqService.Xdf;
using Xunit.Abstractions;

namespace AcqService.Host.Tests;

/// <summary>Locked and blinded protocols: canonical hash, overrides refused, hash in every output, blinding and unblinding.</summary>
[Collection("console")]
public sealed partial class ProtocolLockTests(ITestOutputHelper output)
{
    internal const string Protocol = """
        {
          "name": "st36-trial-v1",
          "settings": {
            "Epochs": { "TminSeconds": -0.2, "TmaxSeconds": 0.8, "RejectPeakToPeakMicrovolts": 150, "Filter": { "HighPassHz": 0.1, "LowPassHz": 30, "NotchHz": 50 } },
            "Alpha": { "BandLowHz": 8, "BandHighHz": 13 }
          },
          "conditions": [
            { "name": "insert/real", "match": "^needle/insert;.*kind=real" },
            { "name": "insert/sham", "match": "^needle/insert;.*kind=sham" },
            { "name": "manipulate/real", "match": "^needle/manipulate;.*kind=real" },
            { "name": "manipulate/sham", "match": "^needle/manipulate;.*kind=sham" },
            { "name": "remove/real", "match": "^needle/remove;.*kind=real" },
            { "name": "remove/sham", "match": "^needle/remove;.*kind=sham" }
          ],
          "regions": { "parietal-occipital": ["P3", "Pz", "P4", "PO3", "PO4", "O1", "Oz", "O2"], "central": ["C3", "Cz", "C4", "CP1", "CP2"] }
        }
        """;

    /// <summary>The same protocol with every object's keys in another order, other whitespace and 150 spelt 150.0.</summary>
    private const string Reordered = """
        {"regions":{"central":["C3","Cz","C4","CP1","CP2"],"parietal-occipital":["P3","Pz","P4","PO3","PO4","O1","Oz","O2"]},
         "conditions":[{"match":"^needle/insert;.*kind=real","name":"insert/real"},{"match":"^needle/insert;.*kind=sham","name":"insert/sham"},
          {"match":"^needle/manipulate;.*kind=real","name":"manipulate/real"},{"match":"^needle/manipulate;.*kind=sham","name":"manipulate/sham"},
          {"match":"^needle/remove;.*kind=real","name":"remove/real"},{"match":"^needle/remove;.*kind=sham","name":"remove/sham"}],
         "settings":{"Alpha":{"BandHighHz":13,"BandLowHz":8.0},"Epochs":{"Filter":{"NotchHz":50,"LowPassHz":30,"HighPassHz":0.1},"RejectPeakToPeakMicrovolts":150.0,"TmaxSeconds":0.8,"TminSeconds":-0.2}},
         "name":"st36-trial-v1"}
        """;

    /// <summary>
    /// SHA-256 of the canonical form of <see cref="Protocol"/> with today's defaults filled in. Fixed here so a change of
    /// canonical form, number formatting or a default (which would silently change what a lock means) fails this test.
    /// </summary>
    internal const string ExpectedHash = "210269b9787d2805b81c5e305c66bf12379dd38b0db39a04d2d14c1a5572af5d";

    private static async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        using var capture = new ConsoleCapture();
        int code = await CommandLineApp.RunAsync(args);
        return (code, capture.Out, capture.Error);
    }

    private static string Blinded => Protocol.Replace("\"regions\"", "\"blinding\": { \"real\": \"B\", \"sham\": \"A\" },\n  \"regions\"", StringComparison.Ordinal);

    private static async Task<(string Lock, string? Key)> LockAsync(string text)
    {
        string folder = TestPaths.NewFolder();
        Directory.CreateDirectory(folder);
        string protocol = Path.Combine(folder, "trial.json");
        File.WriteAllText(protocol, text);
        (int code, _, string error) = await RunAsync("protocol", "lock", protocol);
        Assert.True(code == ExitCodes.Ok, error);
        string key = Path.Combine(folder, "trial.key.json");
        return (Path.Combine(folder, "trial.lock.json"), File.Exists(key) ? key : null);
    }

    private static async Task<string> RunSessionAsync(params string[] extra)
    {
        string folder = TestPaths.NewFolder();
        (int code, _, string error) = await RunAsync(["run", "--profile", TestPaths.DefaultProfile, "--pace", "fast", "--duration", "60", "--out", folder, "--Session:SubjectId=P001", .. extra]);
        Assert.True(code == ExitCodes.Ok, error);
        return folder;
    }

    [Fact]
    public void CanonicalJson_IsPythonsSortedCompactForm_WithTheSameSha256()
    {
        JsonNode doc = JsonNode.Parse("""{ "b": [1, 2.5, {"z": true, "a": null}], "a": "x", "c": {"y": -0.2, "x": 0.1}, "Epochs": {"TminSeconds": -0.2, "RejectPeakToPeakMicrovolts": 150.0} }""")!;
        // Expected values from Python: json.dumps(d, sort_keys=True, separators=(',', ':')) and hashlib.sha256.
        Assert.Equal("""{"Epochs":{"RejectPeakToPeakMicrovolts":150,"TminSeconds":-0.2},"a":"x","b":[1,2.5,{"a":null,"z":true}],"c":{"x":0.1,"y":-0.2}}""", CanonicalJson.Write(doc));
        Assert.Equal("2917c3a9e075e4e8bee3a4da70cc177aad0eaac12e1bfc44dbfc2d5f1582191d", CanonicalJson.Sha256(doc));
    }

    [Fact]
    public void LockHash_IsStableAcrossKeyOrderAndNumberSpelling_AndChangesWithAnyValue()
    {
        (ProtocolLock a, Blinding? noKey) = ProtocolLock.Lock(Protocol);
        (ProtocolLock b, _) = ProtocolLock.Lock(Reordered);
        (ProtocolLock c, _) = ProtocolLock.Lock(Protocol.Replace("\"TminSeconds\": -0.2", "\"TminSeconds\": -0.3", StringComparison.Ordinal));
        output.WriteLine(a.Sha256);
        Assert.Null(noKey);
        Assert.Equal(a.Sha256, b.Sha256);
        Assert.Equal(ExpectedHash, a.Sha256);
        Assert.NotEqual(a.Sha256, c.Sha256);
        Assert.Matches("^[0-9a-f]{64}$", a.Sha256);
        // Omitted settings are written out with their values, so the lock does not depend on later defaults.
        Assert.Equal(0.5, (double)a.Protocol["settings"]!["Epochs"]!["FlatPeakToPeakMicrovolts"]!);
        Assert.Equal(2.5, (double)a.Protocol["settings"]!["Aligner"]!["GapThresholdPeriods"]!);
    }

    [Fact]
    public async Task Session_UnderALock_RefusesOverridesNamingTheSetting_AndAnEditedLock()
    {
        (string lockFile, _) = await LockAsync(Protocol);
        (int code, _, string error) = await RunAsync("run", "--profile", TestPaths.DefaultProfile, "--pace", "fast", "--duration", "5", "--out", TestPaths.NewFolder(),
            "--Session:ProtocolLock=" + lockFile, "--Epochs:TminSeconds=-0.5");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("'Epochs:TminSeconds' is locked by protocol 'st36-trial-v1'", error, StringComparison.Ordinal);

        string settings = Path.Combine(Path.GetDirectoryName(lockFile)!, "settings.json");
        File.WriteAllText(settings, """{"Alpha": {"BandHighHz": 12}}""");
        (code, _, error) = await RunAsync("run", "--profile", TestPaths.DefaultProfile, "--pace", "fast", "--duration", "5", "--out", TestPaths.NewFolder(),
            "--settings", settings, "--Session:ProtocolLock=" + lockFile);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("'Alpha:BandHighHz' is locked", error, StringComparison.Ordinal);

        File.WriteAllText(lockFile, File.ReadAllText(lockFile).Replace("\"TminSeconds\": -0.2", "\"TminSeconds\": -0.5", StringComparison.Ordinal));
        (code, _, error) = await RunAsync("run", "--profile", TestPaths.DefaultProfile, "--pace", "fast", "--duration", "5", "--out", TestPaths.NewFolder(),
            "--Session:ProtocolLock=" + lockFile);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("was changed after locking", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_UnderALock_CarriesTheHashInSessionJsonSummaryXdfHeaderAndBidsSidecar()
    {
        (string lockFile, _) = await LockAsync(Protocol);
        string session = await RunSessionAsync("--Session:ProtocolLock=" + lockFile, "--Session:SessionLabel=S01");
        using JsonDocument metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(session, "session.json")));
        Assert.Equal(ExpectedHash, metadata.RootElement.GetProperty("protocolHash").GetString());
        Assert.Equal("st36-trial-v1", metadata.RootElement.GetProperty("settings").GetProperty("protocol").GetString());
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(session, "summary.json")));
        Assert.Equal("sha256 " + ExpectedHash, summary.RootElement.GetProperty("protocol").GetString());
        Assert.Contains("Locked protocol: sha256 " + ExpectedHash, File.ReadAllText(Path.Combine(session, "summary.txt")), StringComparison.Ordinal);
        XdfFile file = XdfFile.Load(Path.Combine(session, "recording.xdf"));
        Assert.Equal(ExpectedHash, RecordingMetadata.FromFileHeader(file.FileHeaderXml)!.ProtocolHash);

        string root = TestPaths.NewFolder();
        (int code, _, string error) = await RunAsync("export-bids", session, "--root", root);
        Assert.True(code == ExitCodes.Ok, error);
        using JsonDocument sidecar = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "sub-P001", "ses-S01", "eeg", "sub-P001_ses-S01_task-needling_eeg.json")));
        Assert.Contains(ExpectedHash, sidecar.RootElement.GetProperty("TaskDescription").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BlindedSession_ShowsOnlyCodes_AndUnblindRestoresTheWords()
    {
        (string lockFile, string? key) = await LockAsync(Blinded);
        Assert.NotNull(key);
        string lockText = File.ReadAllText(lockFile);
        Assert.DoesNotMatch(@"insert/real|kind=real|kind=sham", lockText);

        // Without the key a blinded protocol does not run.
        (int code, _, string error) = await RunAsync("run", "--profile", TestPaths.DefaultProfile, "--pace", "fast", "--duration", "5", "--out", TestPaths.NewFolder(), "--Session:ProtocolLock=" + lockFile);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--Session:BlindingKey", error, StringComparison.Ordinal);

        string blinded = await RunSessionAsync("--Session:ProtocolLock=" + lockFile, "--Session:BlindingKey=" + key);
        Assert.DoesNotContain(Directory.GetFiles(blinded), f => Path.GetFileName(f).Contains("key", StringComparison.OrdinalIgnoreCase));
        int files = 0;
        foreach (string file in Directory.GetFiles(blinded))
        {
            // Latin-1 reads every byte, so the XDF's marker strings and header are searched too.
            string text = File.ReadAllText(file, Encoding.Latin1);
            Assert.False(RealOrSham().IsMatch(text), $"{Path.GetFileName(file)}: '{RealOrSham().Match(text).Value}' in a blinded output");
            files++;
        }
        Assert.True(files >= 8, $"{files} files");
        string dropLog = File.ReadAllText(Path.Combine(blinded, "drop_log.csv"));
        Assert.Contains("kind=A", dropLog, StringComparison.Ordinal);
        Assert.Contains("insert/B", dropLog, StringComparison.Ordinal);

        // The same session under the same protocol, not blinded: the reference for the unblinded copies.
        (string plainLock, _) = await LockAsync(Protocol);
        string plain = await RunSessionAsync("--Session:ProtocolLock=" + plainLock);

        (code, string stdout, error) = await RunAsync("protocol", "unblind", blinded, "--key", key!);
        Assert.True(code == ExitCodes.Ok, error);
        output.WriteLine(stdout);
        string unblinded = Path.Combine(blinded, "unblinded");
        // Everything but the two clock columns (each run starts at its own clock time) is the same as the plain run.
        string[] WithoutTimes(string folder) => [.. File.ReadAllLines(Path.Combine(folder, "drop_log.csv")).Select(l => string.Join(',', l.Split(',')[2..]))];
        Assert.Equal(WithoutTimes(plain), WithoutTimes(unblinded));
        Assert.Contains(WithoutTimes(unblinded), l => l.Contains("kind=real", StringComparison.Ordinal) && l.Contains("insert/real", StringComparison.Ordinal));
        Assert.Contains(WithoutTimes(unblinded), l => l.Contains("kind=sham", StringComparison.Ordinal));
        Assert.Matches(@"insert/real", File.ReadAllText(Path.Combine(unblinded, "erp_averages.json")));
        string[] Conditions(string folder) => [.. File.ReadAllLines(Path.Combine(folder, "alpha_summary.csv")).Skip(1).Order(StringComparer.Ordinal)];
        Assert.Equal(Conditions(plain), Conditions(unblinded));
        // The blinded originals stay as they were.
        Assert.Equal(dropLog, File.ReadAllText(Path.Combine(blinded, "drop_log.csv")));
    }

    [GeneratedRegex(@"\b(real|sham)\b", RegexOptions.IgnoreCase)]
    private static partial Regex RealOrSham();
}
