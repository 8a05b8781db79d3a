using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AcqService.Host.Cli;
using AcqService.Host.Service;
using AcqService.Xdf;

namespace AcqService.Host.Tests;

/// <summary>
/// The published <c>acq</c> (the Native AOT build that the README installs, named by <c>ACQ_EXECUTABLE</c>) does what
/// the build beside the tests does, byte for byte where the output is deterministic. A native build has no JIT and keeps
/// only the code and metadata the compiler saw used: JSON contracts, settings binding, the HTTP endpoints and the HDF5
/// writer all depend on what was kept, so each is exercised here through the real program. Skipped unless
/// <c>ACQ_EXECUTABLE</c> is set (<c>.ci/run</c> publishes the build and sets it).
/// </summary>
[Collection("console")]
[Trait(AcqExecutable.Trait, AcqExecutable.TraitValue)]
public sealed class PublishedExecutableTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private static void SkipUnlessPublished() =>
        Skip.If(AcqExecutable.Published is null, "ACQ_EXECUTABLE is not set (no published acq to test; .ci/run publishes one)");

    private static async Task<(int Code, string Out, string Error)> InProcessAsync(params string[] args)
    {
        using var capture = new ConsoleCapture();
        int code = await CommandLineApp.RunAsync(args);
        return (code, capture.Out, capture.Error);
    }

    [SkippableTheory]
    [MemberData(nameof(GoldenSessionTests.Cases), MemberType = typeof(GoldenSessionTests))]
    public async Task DemoFastAndAnalyze_SameBytesAsTheGoldenRun(string name, string[] options, string[] expected)
    {
        SkipUnlessPublished();
        string live = TestPaths.NewFolder(), replay = TestPaths.NewFolder();
        (int code, _, string error) = await AcqExecutable.RunAsync(Timeout, ["demo", "--pace", "fast", "--duration", "90", "--out", live, .. options]);
        Assert.True(code == ExitCodes.Ok, name + ": " + error);
        (code, _, error) = await AcqExecutable.RunAsync(Timeout,
            ["analyze", Path.Combine(live, "recording.xdf"), "--out", replay, .. options.Where(o => o.StartsWith("--Epochs:", StringComparison.Ordinal))]);
        Assert.True(code == ExitCodes.Ok, name + ": " + error);
        foreach (string folder in new[] { live, replay })
        {
            for (int i = 0; i < GoldenSessionTests.s_files.Length; i++)
            {
                string file = GoldenSessionTests.s_files[i];
                Assert.True(expected[i] == GoldenSessionTests.Hash(Path.Combine(folder, file)), $"{name}: {file} of the published acq ({(folder == live ? "demo" : "analyze")}) differs from the golden bytes");
            }
            // session.json and summary.json are written through the generated JSON contracts: complete and readable.
            using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")).TrimEnd('\0', ' ', '\n'));
            Assert.Equal("completed", summary.RootElement.GetProperty("ended").GetProperty("kind").GetString());
            using JsonDocument metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "session.json")));
            Assert.True(metadata.RootElement.GetProperty("streams").GetArrayLength() >= 2);
        }
    }

    [SkippableFact]
    public async Task ExportSnirfAndBids_SameBytesAsTheBuildBesideTheTests()
    {
        SkipUnlessPublished();
        string session = TestPaths.NewFolder();
        (int code, _, string error) = await InProcessAsync("run", "--profile", Path.Combine(TestPaths.RepoRoot, "device-profiles", "simulated-needling-nirs.json"),
            "--pace", "fast", "--duration", "40", "--seed", "5", "--out", session);
        Assert.True(code == ExitCodes.Ok, error);
        string recording = Path.Combine(session, "recording.xdf");

        // SNIRF goes through PureHDF, which picks its encoders by reflection at run time (kept for the native build by
        // src/AcqService.Host/PureHDF.rd.xml).
        string managed = Path.Combine(TestPaths.NewFolder(), "managed.snirf"), native = Path.Combine(TestPaths.NewFolder(), "native.snirf");
        (code, _, error) = await InProcessAsync("export-snirf", recording, "--out", managed);
        Assert.True(code == ExitCodes.Ok, error);
        (code, _, error) = await AcqExecutable.RunAsync(Timeout, "export-snirf", recording, "--out", native);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.True(new FileInfo(native).Length > 10_000);
        Assert.Equal(File.ReadAllBytes(managed), File.ReadAllBytes(native));

        string managedBids = TestPaths.NewFolder(), nativeBids = TestPaths.NewFolder();
        (code, _, error) = await InProcessAsync("export-bids", session, "--root", managedBids, "--subject", "P007", "--session", "S01", "--task", "needling");
        Assert.True(code == ExitCodes.Ok, error);
        (code, _, error) = await AcqExecutable.RunAsync(Timeout, "export-bids", session, "--root", nativeBids, "--subject", "P007", "--session", "S01", "--task", "needling");
        Assert.True(code == ExitCodes.Ok, error);
        string[] files = [.. Directory.GetFiles(managedBids, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(managedBids, f)).Order(StringComparer.Ordinal)];
        Assert.Equal(files, Directory.GetFiles(nativeBids, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(nativeBids, f)).Order(StringComparer.Ordinal));
        Assert.Contains(files, f => f.EndsWith("_nirs.snirf", StringComparison.Ordinal));
        foreach (string file in files)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(managedBids, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(nativeBids, file))), $"{file} differs");
        }
    }

    [SkippableFact]
    public async Task ProtocolLock_SameCanonicalHash_AndASessionUnderItCarriesIt()
    {
        SkipUnlessPublished();
        string folder = TestPaths.NewFolder();
        Directory.CreateDirectory(folder);
        string protocol = Path.Combine(folder, "protocol.json"), lockFile = Path.Combine(folder, "protocol.lock.json");
        File.WriteAllText(protocol, ProtocolLockTests.Protocol);
        (int code, _, string error) = await AcqExecutable.RunAsync(Timeout, "protocol", "lock", protocol, "--out", lockFile);
        Assert.True(code == ExitCodes.Ok, error);
        using (JsonDocument written = JsonDocument.Parse(File.ReadAllText(lockFile)))
        {
            Assert.Equal(ProtocolLockTests.ExpectedHash, written.RootElement.GetProperty("sha256").GetString());
        }

        string session = TestPaths.NewFolder();
        (code, _, error) = await AcqExecutable.RunAsync(Timeout, "run", "--profile", TestPaths.DefaultProfile, "--pace", "fast", "--duration", "5", "--out", session,
            "--Session:ProtocolLock=" + lockFile);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains(ProtocolLockTests.ExpectedHash, File.ReadAllText(Path.Combine(session, "session.json")), StringComparison.Ordinal);
        (code, _, error) = await AcqExecutable.RunAsync(Timeout, "run", "--profile", TestPaths.DefaultProfile, "--pace", "fast", "--duration", "5", "--out", TestPaths.NewFolder(),
            "--Session:ProtocolLock=" + lockFile, "--Epochs:TminSeconds=-0.5");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("'Epochs:TminSeconds' is locked by protocol 'st36-trial-v1'", error, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Settings_MisspelledOrUnknown_AreNamed_AndKnownOnesBind()
    {
        SkipUnlessPublished();
        // The unknown-setting check walks the settings classes' properties: a native build must keep them.
        (int code, _, string error) = await AcqExecutable.RunAsync(Timeout, "demo", "--duration", "1", "--Epochs:TminSecond=-0.1");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("unknown setting 'Epochs:TminSecond'", error, StringComparison.Ordinal);
        Assert.Contains("TminSeconds", error, StringComparison.Ordinal);

        string session = TestPaths.NewFolder();
        (code, _, error) = await AcqExecutable.RunAsync(Timeout, "run", "--profile", TestPaths.DefaultProfile, "--pace", "fast", "--duration", "5", "--out", session,
            "--Epochs:TminSeconds=-0.25", "--Alpha:BandHighHz=12", "--Epochs:Filter:NotchHz=60");
        Assert.True(code == ExitCodes.Ok, error);
        using JsonDocument metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(session, "session.json")));
        string text = metadata.RootElement.ToString();
        Assert.Contains("-0.25", text, StringComparison.Ordinal);
        Assert.Contains("\"NotchHz\":60", text.Replace(" ", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
    }

    [SkippableFact]
    public async Task Check_Json_ReportsEveryChannel()
    {
        SkipUnlessPublished();
        (int code, string output, string error) = await AcqExecutable.RunAsync(Timeout, "check", "--seconds", "2", "--json", "--Lsl:Backend=managed", "--Lsl:Loopback=true");
        Assert.True(code is ExitCodes.Ok or 4, $"exit {code}: {error}");
        using JsonDocument report = JsonDocument.Parse(output);
        Assert.True(report.RootElement.ToString().Length > 200);
        Assert.Contains("Fp1", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Serve_ApiDashboardOpenApiAndEventFeed_DriveASession()
    {
        SkipUnlessPublished();
        string root = TestPaths.NewFolder();
        using AcqExecutable.ServeProcess serve = await AcqExecutable.StartServeAsync(root);
        Process process = serve.Process;
        Uri api = serve.Api!;
        Assert.Equal("127.0.0.1", api.Host);
        using var http = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(60) };

        // The OpenAPI document describes every endpoint with its request and response schemas.
        using (JsonDocument openApi = JsonDocument.Parse(await http.GetStringAsync(ControlApi.OpenApiPath.TrimStart('/'))))
        {
            string[] paths = [.. openApi.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name)];
            foreach (string path in new[] { "/api/state", "/api/streams", "/api/session", "/api/session/start", "/api/session/stop", "/api/session/markers", "/api/session/erp", "/api/session/alpha", "/api/sessions", "/api/sessions/{id}", "/api/events" })
            {
                Assert.Contains(path, paths);
            }
            Assert.True(openApi.RootElement.GetProperty("components").GetProperty("schemas").EnumerateObject().Count() >= 5);
        }
        Assert.Contains("<html", await http.GetStringAsync(""), StringComparison.OrdinalIgnoreCase);
        using (JsonDocument state = JsonDocument.Parse(await http.GetStringAsync("api/state")))
        {
            Assert.Equal(JsonValueKind.Object, state.RootElement.ValueKind);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/session")).StatusCode);

        var watch = Stopwatch.StartNew();
        HttpResponseMessage r;
        do
        {
            await Task.Delay(500);
            r = await http.PostAsync("api/session/start", new StringContent("""{"subject":"P021","task":"needling"}""", Encoding.UTF8, "application/json"));
        }
        while (r.StatusCode == HttpStatusCode.ServiceUnavailable && watch.Elapsed < TimeSpan.FromSeconds(30));
        Assert.True(r.StatusCode == HttpStatusCode.Created, await r.Content.ReadAsStringAsync());
        string folder = (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("folder").GetString()!;

        // The live feed: server-sent events with JSON payloads.
        using (var feedTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        using (HttpResponseMessage feed = await http.GetAsync("api/events", HttpCompletionOption.ResponseHeadersRead, feedTimeout.Token))
        {
            Assert.Equal("text/event-stream", feed.Content.Headers.ContentType?.MediaType);
            using var reader = new StreamReader(await feed.Content.ReadAsStreamAsync(feedTimeout.Token));
            string? data = null;
            while (data is null && await reader.ReadLineAsync(feedTimeout.Token) is string line)
            {
                data = line.StartsWith("data:", StringComparison.Ordinal) ? line[5..].Trim() : null;
            }
            Assert.NotNull(data);
            using JsonDocument first = JsonDocument.Parse(data);
        }

        r = await http.PostAsync("api/session/markers", new StringContent("""{"event":"insert","kind":"real","site":"ST36"}""", Encoding.UTF8, "application/json"));
        Assert.True(r.StatusCode == HttpStatusCode.Created, await r.Content.ReadAsStringAsync());
        await Task.Delay(2500);
        using (JsonDocument info = JsonDocument.Parse(await http.GetStringAsync("api/session")))
        {
            Assert.Equal(JsonValueKind.Object, info.RootElement.ValueKind);
        }
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/session/erp")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/session/alpha")).StatusCode);
        r = await http.PostAsync("api/session/stop", null);
        Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        using (JsonDocument past = JsonDocument.Parse(await http.GetStringAsync("api/sessions")))
        {
            Assert.Equal(1, past.RootElement.GetArrayLength());
        }
        XdfFile xdf = XdfFile.Load(Path.Combine(folder, "recording.xdf"));
        Assert.Contains(xdf.Streams.Where(s => s.Header.Type == "Markers").SelectMany(s => s.StringValues ?? []), v => v.Contains("ST36", StringComparison.Ordinal));

        Assert.Equal(0, Kill(process.Id, "TERM"));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}; stderr: {serve.Errors}");
    }

    [SkippableFact]
    public async Task Liblsl_LiveDemoThroughTheNativeLibrary()
    {
        SkipUnlessPublished();
        string? liblsl = Environment.GetEnvironmentVariable("ACQ_LIBLSL_PATH");
        Skip.If(liblsl is null || !File.Exists(liblsl), "liblsl is not available (ACQ_LIBLSL_PATH)");
        string folder = TestPaths.NewFolder();
        (int code, _, string error) = await AcqExecutable.RunAsync(Timeout, "demo", "--duration", "6", "--out", folder, "--Lsl:Backend=native", "--Simulation:FirstInsertionSeconds=1");
        Assert.True(code == ExitCodes.Ok, error);
        XdfFile xdf = XdfFile.Load(Path.Combine(folder, "recording.xdf"));
        Assert.True(xdf.Streams.Single(s => s.Header.Type == "EEG").Timestamps.Length > 2000);
    }

    private static int Kill(int pid, string signal)
    {
        using Process kill = Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        return kill.ExitCode;
    }
}
