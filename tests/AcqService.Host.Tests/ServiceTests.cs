using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using AcqService.Host.Hosting;
using AcqService.Host.Service;
using AcqService.Sessions;
using AcqService.Xdf;

namespace AcqService.Host.Tests;

/// <summary>
/// The lab service through its real surfaces: Kestrel on loopback (ephemeral ports), the LabRecorder-style TCP port,
/// and the <c>acq serve</c> process under SIGTERM. The station publishes its simulated devices over loopback LSL.
/// </summary>
[Collection("console")]
public sealed class ServiceTests
{
    private static int Kill(int pid, string signal)
    {
        using Process kill = Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        return kill.ExitCode;
    }

    private static async Task<StationHost> StartAsync(string root, params string[] extra)
    {
        string[] args =
        [
            "--Station:Api:Port=0", "--Station:RemoteControl:Port=0", $"--Session:OutputRoot={root}", "--Lsl:Backend=managed", "--Lsl:Loopback=true",
            "--Simulation:FirstInsertionSeconds=1", "--Logging:LogLevel:Default=Warning", .. extra,
        ];
        StationHost host = await StationHost.StartAsync(SettingsLoader.Build(null, args), profilePath: null);
        await WaitAsync(() => host.Station.Watcher.Snapshot().First(s => s.Key == "eeg").State == "present", 20, "the simulated EEG stream was never seen present");
        return host;
    }

    private static async Task WaitAsync(Func<bool> condition, double seconds, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed.TotalSeconds < seconds, what);
            await Task.Delay(100);
        }
    }

    private static HttpClient Client(StationHost host, string? token = null)
    {
        var http = new HttpClient { BaseAddress = host.ApiAddress, Timeout = TimeSpan.FromSeconds(120) };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
        return http;
    }

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static Task<HttpResponseMessage> PostJson(HttpClient http, string path, string json) =>
        http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task Api_StartMarkStop_WritesAFolderWhoseDropLogAndRecordingHoldTheMarkEnteredByHand()
    {
        string root = TestPaths.NewFolder();
        await using StationHost host = await StartAsync(root);
        using HttpClient http = Client(host);

        // Nothing running: stop and mark are 404 with a reason, a past session that does not exist is 404.
        HttpResponseMessage r = await http.PostAsync("api/session/stop", null);
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Contains("no session", (await JsonOf(r)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await PostJson(http, "api/session/markers", """{"event":"insert"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/sessions/nope")).StatusCode);
        // Invalid labels and bodies are 400 with a JSON reason, and start nothing.
        r = await PostJson(http, "api/session/start", """{"subject":"P 1"}""");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("subject 'P 1'", (await JsonOf(r)).GetProperty("error").GetString());
        r = await PostJson(http, "api/session/start", "{not json");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("JSON", (await JsonOf(r)).GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Null(host.Station.Current);

        r = await PostJson(http, "api/session/start", """{"subject":"P010","session":"S02","task":"needling","run":"1","protocol":"pilot","notes":"left leg"}""");
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        JsonElement started = await JsonOf(r);
        string id = started.GetProperty("id").GetString()!;
        string folder = started.GetProperty("folder").GetString()!;
        Assert.Contains("sub-P010_ses-S02_task-needling_run-1", id);

        // A second start while running: 409 naming the running session.
        r = await PostJson(http, "api/session/start", "{}");
        Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
        Assert.Contains(id, (await JsonOf(r)).GetProperty("error").GetString());

        await Task.Delay(2500);
        r = await PostJson(http, "api/session/markers", """{"event":"insert","kind":"real","site":"ST36"}""");
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        JsonElement mark = await JsonOf(r);
        Assert.Equal("needle/insert;site=ST36;kind=real;source=manual", mark.GetProperty("label").GetString());
        Assert.Equal("insert/real", mark.GetProperty("condition").GetString());
        double markTime = mark.GetProperty("timestamp").GetDouble();
        Assert.Equal(HttpStatusCode.BadRequest, (await PostJson(http, "api/session/markers", """{"event":"insert","label":"x"}""")).StatusCode);

        // The marked epoch (window to +0.8 s) is averaged once its data is in: the live ERP endpoint shows insert/real.
        await WaitAsync(() => host.Station.Current!.ErpAverages.Any(a => a.Condition == "insert/real"), 15, "no insert/real average after the mark");
        JsonElement erp = await JsonOf(await http.GetAsync("api/session/erp?channels=Cz,Pz&step=10"));
        JsonElement insertReal = erp.GetProperty("averages").EnumerateArray().First(a => a.GetProperty("condition").GetString() == "insert/real");
        Assert.Equal(["Cz", "Pz"], insertReal.GetProperty("channels").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(insertReal.GetProperty("times").GetArrayLength(), insertReal.GetProperty("mean")[0].GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("api/session/erp?channels=Nope")).StatusCode);
        JsonElement alpha = await JsonOf(await http.GetAsync("api/session/alpha"));
        Assert.Equal(3, alpha.GetProperty("regions").GetArrayLength());
        Assert.True(alpha.GetProperty("points").GetArrayLength() >= 2, "alpha series has fewer than two points after 3 s");
        // An EEG-only session has no haemodynamics: 404 with the reason.
        r = await http.GetAsync("api/session/hrf");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Contains("no fNIRS", (await JsonOf(r)).GetProperty("error").GetString());

        r = await http.PostAsync("api/session/stop", null);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        JsonElement ended = await JsonOf(r);
        Assert.Equal("ended", ended.GetProperty("phase").GetString());
        Assert.Equal("operatorStop", ended.GetProperty("end").GetProperty("kind").GetString());
        Assert.Equal(1, ended.GetProperty("markersByHand").GetInt32());
        Assert.All(ended.GetProperty("files").EnumerateArray(), f => Assert.True(f.GetProperty("complete").GetBoolean(), f.GetProperty("file").GetString()));

        // The drop log has the hand-entered marker, epoched, at the time the API gave.
        string[] rows = File.ReadAllLines(Path.Combine(folder, "drop_log.csv"));
        string row = Assert.Single(rows, l => l.Contains("source=manual", StringComparison.Ordinal));
        string[] cells = row.Split(',');
        // The drop log writes 6 decimals: compare within half of its last digit (rounding both sides to 5 decimals
        // failed whenever the time lay next to a rounding boundary, about one run in twenty).
        Assert.Equal(markTime, double.Parse(cells[0], System.Globalization.CultureInfo.InvariantCulture), 6e-7);
        Assert.Equal("insert/real", cells[5]);
        Assert.Equal("epoch", cells[6]);
        // The recording has the manual marker stream with that marker.
        XdfFile xdf = XdfFile.Load(Path.Combine(folder, "recording.xdf"));
        XdfStream manual = xdf.Streams.Single(s => s.Header.Name == "AcqService manual markers");
        Assert.Equal(["needle/insert;site=ST36;kind=real;source=manual"], manual.StringValues!);
        Assert.Equal(markTime, manual.Timestamps[0], 1e-9);
        // session.json carries the labels.
        using JsonDocument meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "session.json")));
        JsonElement settings = meta.RootElement.GetProperty("settings");
        Assert.Equal("P010", settings.GetProperty("subjectId").GetString());
        Assert.Equal("needling", settings.GetProperty("task").GetString());

        // Past sessions and their files.
        JsonElement past = await JsonOf(await http.GetAsync("api/sessions"));
        Assert.Contains(past.EnumerateArray(), p => p.GetProperty("id").GetString() == id && p.GetProperty("ended").GetString() == "operatorStop");
        r = await http.GetAsync($"api/sessions/{id}/files/drop_log.csv");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Contains("source=manual", await r.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"api/sessions/{id}/files/..%2Fsession.json")).StatusCode);
        Assert.Equal("idle", (await JsonOf(await http.GetAsync("api/state"))).GetProperty("state").GetString());

        // The OpenAPI description lists the endpoints.
        JsonElement openApi = await JsonOf(await http.GetAsync("openapi/v1.json"));
        JsonElement paths = openApi.GetProperty("paths");
        foreach (string path in new[] { "/api/state", "/api/streams", "/api/session/start", "/api/session/stop", "/api/session/markers", "/api/session/erp", "/api/session/alpha", "/api/sessions", "/api/events" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"OpenAPI has no {path}");
        }
    }

    [Fact]
    public async Task Api_LiveFeed_CarriesTheSessionAndTheMarkAsTheyHappen()
    {
        string root = TestPaths.NewFolder();
        await using StationHost host = await StartAsync(root);
        using HttpClient http = Client(host);
        using var feed = new HttpClient { BaseAddress = host.ApiAddress, Timeout = Timeout.InfiniteTimeSpan };
        using HttpResponseMessage stream = await feed.GetAsync("api/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        var events = new List<(string Type, string Data)>();
        using var reading = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Task collect = Task.Run(async () =>
        {
            string? type = null;
            while (await reader.ReadLineAsync(reading.Token) is string line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    type = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    lock (events)
                    {
                        events.Add((type!, line[6..]));
                    }
                }
            }
        });
        Assert.Equal(HttpStatusCode.Created, (await PostJson(http, "api/session/start", "{}")).StatusCode);
        await Task.Delay(2000);
        Assert.Equal(HttpStatusCode.Created, (await PostJson(http, "api/session/markers", """{"event":"remove","kind":"sham","site":"LI4"}""")).StatusCode);
        await WaitAsync(() =>
        {
            lock (events)
            {
                return events.Any(e => e.Type == "epoch" && e.Data.Contains("LI4", StringComparison.Ordinal));
            }
        }, 20, "no epoch event for the marked LI4 removal");
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("api/session/stop", null)).StatusCode);
        await WaitAsync(() =>
        {
            lock (events)
            {
                return events.Any(e => e.Type == "session" && e.Data.Contains("\"phase\":\"ended\"", StringComparison.Ordinal));
            }
        }, 20, "no session-ended event");
        lock (events)
        {
            Assert.Equal("state", events[0].Type);
            Assert.Contains(events, e => e.Type == "marker" && e.Data.Contains("needle/remove;site=LI4;kind=sham;source=manual", StringComparison.Ordinal));
            Assert.Contains(events, e => e.Type == "alpha");
            Assert.Contains(events, e => e.Type == "session" && e.Data.Contains("\"phase\":\"recording\"", StringComparison.Ordinal));
        }
        await reading.CancelAsync();
        await Task.WhenAny(collect, Task.Delay(5000));
    }

    [Fact]
    public async Task Api_TokenPolicy_RequestsWithoutTheTokenGet401AndChangeNothing()
    {
        string root = TestPaths.NewFolder();
        // 127.0.0.2 is another loopback address: the "beyond loopback" policy is forced on, and no packet leaves the machine.
        await using StationHost host = await StartAsync(root, "--Station:Api:Address=127.0.0.2", "--Station:Api:RequireToken=true", "--Station:Api:Token=s3cret-token");
        Assert.Equal("127.0.0.2", host.ApiAddress.Host);
        using HttpClient anonymous = Client(host);
        using HttpClient wrong = Client(host, "not-the-token");
        using HttpClient authorised = Client(host, "s3cret-token");
        HttpResponseMessage r = await anonymous.GetAsync("api/state");
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Contains("token", (await JsonOf(r)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostJson(anonymous, "api/session/start", "{}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostJson(wrong, "api/session/start", "{}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("openapi/v1.json")).StatusCode);
        Assert.Null(host.Station.Current);
        r = await authorised.GetAsync("api/state");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("idle", (await JsonOf(r)).GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("api/state?token=s3cret-token")).StatusCode);
        Assert.Empty(Directory.Exists(root) ? Directory.GetDirectories(root) : []);
    }

    [Fact]
    public async Task Serve_NonLoopbackAddressWithoutToken_IsRefusedBeforeBinding()
    {
        SessionSetupException ex = await Assert.ThrowsAsync<SessionSetupException>(() =>
            StationHost.StartAsync(SettingsLoader.Build(null, ["--Station:Api:Address=10.255.255.1", "--Station:Api:Port=0", "--Station:RemoteControl:Enabled=false"]), null));
        Assert.True(ex.IsUsageError);
        Assert.Contains("Station:Api:Token", ex.Message);
    }

    [Fact]
    public async Task RemoteControl_ExperimentScriptWrittenForLabRecorder_RecordsWhereLabRecorderWould()
    {
        string root = TestPaths.NewFolder();
        string study = Path.Combine(TestPaths.NewFolder(), "study");
        await using StationHost host = await StartAsync(root);
        using var client = new TcpClient();
        await client.ConnectAsync(host.RemoteControl!.Endpoint);
        using NetworkStream net = client.GetStream();
        using var reader = new StreamReader(net, Encoding.UTF8);
        async Task<string> Send(string line)
        {
            await net.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            return await reader.ReadLineAsync(timeout.Token) ?? "";
        }

        Assert.Equal("OK", await Send("select all"));
        Assert.Equal("OK", await Send($"filename {{root:{study}}} {{template:exp%n/%p_block_%b.xdf}} {{participant:P003}} {{task:MemoryGuided}} {{run:2}} {{modality:eeg}}"));
        Assert.Equal("OK", await Send("start"));
        Assert.StartsWith("ERROR already recording", await Send("start"));
        // Garbage and unknown commands get an error line; the service carries on.
        Assert.StartsWith("ERROR unknown command 'bogus'", await Send("bogus"));
        Assert.StartsWith("ERROR malformed filename command", await Send("filename {oops"));
        Assert.StartsWith("ERROR run 'x'", await Send("filename {run:x}"));
        Assert.StartsWith("ERROR 'select some'", await Send("select some"));
        Assert.Equal("OK", await Send("update"));
        await Task.Delay(3000);
        Assert.Equal("OK", await Send("stop"));
        Assert.Equal("ERROR not recording", await Send("stop"));

        // LabRecorder's legacy template (lower-cased, %n = run with three digits, %p participant, %b task).
        string recording = Path.Combine(study, "exp002", "P003_block_MemoryGuided.xdf");
        Assert.True(File.Exists(recording), recording);
        XdfFile xdf = XdfFile.Load(recording);
        XdfStream eeg = xdf.Streams.Single(s => s.Header.Type == "EEG");
        Assert.True(eeg.Timestamps.Length > 1000, $"only {eeg.Timestamps.Length} EEG samples in 3 s at 500 Hz");
        string folder = Path.Combine(study, "exp002", "P003_block_MemoryGuided");
        Assert.True(File.Exists(Path.Combine(folder, "summary.json")));
        using (JsonDocument meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "session.json"))))
        {
            Assert.Equal("P003", meta.RootElement.GetProperty("settings").GetProperty("subjectId").GetString());
            Assert.Equal("2", meta.RootElement.GetProperty("settings").GetProperty("run").GetString());
        }

        // Same name again: the old file and folder are kept as *_old1, as LabRecorder does with the file.
        Assert.Equal("OK", await Send("start"));
        await Task.Delay(1500);
        Assert.Equal("OK", await Send("stop"));
        Assert.True(File.Exists(Path.Combine(study, "exp002", "P003_block_MemoryGuided_old1.xdf")) || File.Exists(Path.Combine(study, "exp002", "P003_block_MemoryGuided.xdf")));
        Assert.True(Directory.Exists(folder + "_old1"));

        // BIDS template (the default) after a new filename without template: sub-%p/ses-%s/%m/…_run-%r_%m.xdf is not restored
        // by LabRecorder either once a template was given, so check the service still answers and the state API works.
        using HttpClient http = Client(host);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/state")).StatusCode);
    }

    [Fact]
    public async Task Serve_SessionsInARow_OneLosesItsSource_TheServiceStaysUpAndTheNextSessionWorks()
    {
        string root = TestPaths.NewFolder();
        await using StationHost host = await StartAsync(root, "--Station:SourceLostSeconds=2", "--Station:WatchRetrySeconds=1");
        using HttpClient http = Client(host);

        async Task<JsonElement> RunAsync(double seconds, Action? during = null)
        {
            HttpResponseMessage r = await PostJson(http, "api/session/start", "{}");
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            await Task.Delay(1000);
            during?.Invoke();
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            if (host.Station.Current is not null)
            {
                r = await http.PostAsync("api/session/stop", null);
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                return await JsonOf(r);
            }
            return JsonSerializer.SerializeToElement(host.Station.History[^1], LiveFeed.Json);
        }

        JsonElement first = await RunAsync(2);
        Assert.Equal("operatorStop", first.GetProperty("end").GetProperty("kind").GetString());

        // The amplifier goes silent for 8 s: after 2 s without data the session ends as "source failed", saying which stream.
        JsonElement second = await RunAsync(5, () => host.Simulator!.SimulateOutage(TimeSpan.FromSeconds(8)));
        Assert.Equal("sourceFailed", second.GetProperty("end").GetProperty("kind").GetString());
        Assert.Contains("'eeg' delivered no data", second.GetProperty("end").GetProperty("reason").GetString());
        using (JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(second.GetProperty("folder").GetString()!, "summary.json"))))
        {
            Assert.Equal("sourceFailed", summary.RootElement.GetProperty("ended").GetProperty("kind").GetString());
        }
        // The watcher shows it, then sees it come back by itself.
        Assert.NotEqual("present", host.Station.Watcher.Snapshot().First(s => s.Key == "eeg").State);
        await WaitAsync(() => host.Station.Watcher.Snapshot().First(s => s.Key == "eeg").State == "present", 20, "the EEG stream did not come back after the outage");

        JsonElement third = await RunAsync(2.5);
        Assert.Equal("operatorStop", third.GetProperty("end").GetProperty("kind").GetString());
        Assert.Empty(third.GetProperty("errors").EnumerateArray());
        Assert.Equal(3, host.Station.History.Count);
        XdfFile xdf = XdfFile.Load(third.GetProperty("recording").GetString()!);
        Assert.True(xdf.Streams.Single(s => s.Header.Type == "EEG").Timestamps.Length > 1000);
    }

    [Fact]
    [Trait(AcqExecutable.Trait, AcqExecutable.TraitValue)]
    public async Task Serve_Sigterm_DuringASession_LeavesACompleteFolderAndExitsZero()
    {
        string root = TestPaths.NewFolder();
        using AcqExecutable.ServeProcess serve = await AcqExecutable.StartServeAsync(root);
        Process process = serve.Process;
        Uri api = serve.Api!;
        using var http = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(60) };
        var watch = Stopwatch.StartNew();
        HttpResponseMessage r;
        do
        {
            await Task.Delay(500);
            r = await PostJson(http, "api/session/start", """{"subject":"P020"}""");
        }
        while (r.StatusCode == HttpStatusCode.ServiceUnavailable && watch.Elapsed < TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        string folder = (await JsonOf(r)).GetProperty("folder").GetString()!;
        await Task.Delay(3000);

        Assert.Equal(0, Kill(process.Id, "TERM"));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}; stderr: {serve.Errors}");

        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")).TrimEnd('\0', ' ', '\n'));
        JsonElement end = summary.RootElement.GetProperty("ended");
        Assert.Equal("operatorStop", end.GetProperty("kind").GetString());
        Assert.Contains("SIGTERM", end.GetProperty("reason").GetString());
        Assert.All(summary.RootElement.GetProperty("files").EnumerateArray(), f => Assert.True(f.GetProperty("complete").GetBoolean(), f.GetProperty("file").GetString()));
        foreach (string file in new[] { "session.json", "erp_averages.json", "erp_averages.csv", "drop_log.csv", "alpha_summary.csv", "summary.txt", "recording.xdf" })
        {
            Assert.True(File.Exists(Path.Combine(folder, file)), file);
        }
        XdfFile xdf = XdfFile.Load(Path.Combine(folder, "recording.xdf"));
        Assert.True(xdf.Streams.Single(s => s.Header.Type == "EEG").Timestamps.Length > 1000);
        Assert.All(xdf.Streams, s => Assert.NotNull(s.Footer));
    }

    [Fact]
    public async Task Cli_StartMarkStatusStop_DriveTheRunningService()
    {
        string root = TestPaths.NewFolder();
        await using StationHost host = await StartAsync(root);
        string url = host.ApiAddress.ToString();

        static async Task<(int Code, string Out, string Error)> Acq(params string[] args)
        {
            using var capture = new ConsoleCapture();
            int code = await Cli.CommandLineApp.RunAsync(args);
            return (code, capture.Out, capture.Error);
        }

        (int code, string output, string error) = await Acq("start", "--url", url, "--subject", "P030", "--task", "rest");
        Assert.True(code == 0, error);
        Assert.Contains("sub-P030_ses-S001_task-rest", output);
        (code, _, error) = await Acq("start", "--url", url);
        Assert.Equal(1, code);
        Assert.Contains("409", error);
        Assert.Contains("is running", error);
        await Task.Delay(1500);
        (code, output, error) = await Acq("mark", "--url", url, "--event", "insert", "--kind", "sham", "--site", "PC6");
        Assert.True(code == 0, error);
        Assert.Contains("needle/insert;site=PC6;kind=sham;source=manual", output);
        Assert.Contains("condition insert/sham", output);
        (code, _, error) = await Acq("mark", "--url", url);
        Assert.Equal(2, code);
        Assert.Contains("--event", error);
        (code, output, _) = await Acq("status", "--url", url);
        Assert.Equal(0, code);
        Assert.Contains(": recording", output);
        Assert.Contains("stream eeg", output);
        (code, output, _) = await Acq("status", "--url", url, "--json");
        Assert.Equal("recording", JsonDocument.Parse(output).RootElement.GetProperty("state").GetString());
        (code, output, error) = await Acq("stop", "--url", url);
        Assert.True(code == 0, error);
        Assert.Contains("ended: operatorStop", output);
        (code, _, error) = await Acq("stop", "--url", url);
        Assert.Equal(1, code);
        Assert.Contains("no session is running", error);

        // No service there: exit 3 with a hint.
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int closed = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        (code, _, error) = await Acq("status", "--url", $"http://127.0.0.1:{closed}/");
        Assert.Equal(3, code);
        Assert.Contains("Is 'acq serve' running?", error);
    }

    [Fact]
    public void ShippedSystemdUnitAndStationSettings_AreConsistent()
    {
        string dir = Path.Combine(TestPaths.RepoRoot, "tools", "systemd");
        var configuration = SettingsLoader.Build(Path.Combine(dir, "appsettings.station.json"), []);
        (AppSettings settings, List<string> problems) = SettingsLoader.Bind(configuration, DefaultProfile.Load(null).Profile, "embedded");
        Assert.Empty(problems);
        var station = new StationOptions();
        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(configuration.GetSection("Station"), station);
        Assert.Empty(station.Validate());
        Assert.Equal("127.0.0.1", station.Api.Address);
        Assert.False(station.Api.TokenRequired);

        string[] unit = File.ReadAllLines(Path.Combine(dir, "acqservice.service"));
        string Value(string key) => Assert.Single(unit, l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..];
        Assert.Equal("notify", Value("Type"));
        Assert.Equal("SIGTERM", Value("KillSignal"));
        Assert.Contains(" serve --settings /etc/acqservice/appsettings.json", Value("ExecStart"));
        // systemd must wait longer than the session's own drain timeout, or SIGKILL would cut the results short.
        Assert.True(double.Parse(Value("TimeoutStopSec"), System.Globalization.CultureInfo.InvariantCulture) > settings.Session.ShutdownTimeoutSeconds + 10);
        Assert.StartsWith(settings.Session.OutputRoot.TrimEnd('/').Replace("/sessions", "", StringComparison.Ordinal), Value("ReadWritePaths"));
    }

    [Fact]
    public async Task Api_Check_FindsTheInjectedFlatAndMainsChannels_WhileTheServiceRuns()
    {
        string root = TestPaths.NewFolder();
        await using StationHost host = await StartAsync(root, "--Simulation:FlatChannels:0=Cz", "--Simulation:MainsChannels:0=F3");
        using HttpClient http = Client(host);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/check")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsync("api/check?seconds=0.1", null)).StatusCode);
        HttpResponseMessage r = await http.PostAsync("api/check?seconds=2", null);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        JsonElement report = await JsonOf(r);
        Assert.Equal("fail", report.GetProperty("worst").GetString());
        JsonElement eeg = report.GetProperty("streams").EnumerateArray().Single(s => s.GetProperty("key").GetString() == "eeg");
        JsonElement Channel(string label) => eeg.GetProperty("channels").EnumerateArray().Single(c => c.GetProperty("label").GetString() == label);
        Assert.Equal("fail", Channel("Cz").GetProperty("verdict").GetString());
        Assert.True(Channel("Cz").GetProperty("flat").GetBoolean());
        Assert.NotEqual("pass", Channel("F3").GetProperty("verdict").GetString());
        Assert.True(Channel("F3").GetProperty("lineNoiseRatio").GetDouble() > 5);
        Assert.Equal("pass", Channel("Pz").GetProperty("verdict").GetString());
        Assert.InRange(eeg.GetProperty("effectiveRateHz").GetDouble(), 495, 505);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/check")).StatusCode);
    }

    [Fact]
    public async Task Api_StationWithSimulatedFnirs_GivesHaemodynamicAveragesLive()
    {
        string root = TestPaths.NewFolder();
        string[] args =
        [
            "--Station:Api:Port=0", "--Station:RemoteControl:Enabled=false", $"--Session:OutputRoot={root}", "--Lsl:Backend=managed", "--Lsl:Loopback=true",
            "--Simulation:FirstInsertionSeconds=1", "--Logging:LogLevel:Default=Warning", "--Haemodynamic:TmaxSeconds=8",
        ];
        await using StationHost host = await StationHost.StartAsync(SettingsLoader.Build(null, args), Path.Combine(TestPaths.RepoRoot, "device-profiles", "simulated-needling-nirs.json"));
        await WaitAsync(() => host.Station.Watcher.Snapshot().All(s => s.State == "present"), 30, "the simulated EEG, fNIRS and marker streams were not all present");
        using HttpClient http = Client(host);
        Assert.Equal(HttpStatusCode.Created, (await PostJson(http, "api/session/start", "{}")).StatusCode);
        await WaitAsync(() => host.Station.Current!.Session.Pipeline.Nirs.LatestAverages.Count > 0, 40, "no haemodynamic average 40 s into the session");
        JsonElement hrf = await JsonOf(await http.GetAsync("api/session/hrf"));
        JsonElement first = hrf.GetProperty("averages")[0];
        Assert.True(first.GetProperty("count").GetInt32() >= 1);
        int points = first.GetProperty("times").GetArrayLength();
        Assert.Equal(points, first.GetProperty("hbo").GetArrayLength());
        Assert.Equal(points, first.GetProperty("hbr").GetArrayLength());
        Assert.Equal(-5, first.GetProperty("times")[0].GetDouble(), 1);
        JsonElement ended = await JsonOf(await http.PostAsync("api/session/stop", null));
        Assert.Equal("operatorStop", ended.GetProperty("end").GetProperty("kind").GetString());
        Assert.True(File.Exists(Path.Combine(ended.GetProperty("folder").GetString()!, "hrf_averages.json")));
    }

    [Fact]
    public async Task Serve_WithAStudyCatalogueOffline_QueuesEachSessionAndShowsTheBacklogInStatus()
    {
        string root = TestPaths.NewFolder();
        // A closed loopback port: the database is "offline"; the session must still end normally and wait in the outbox.
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int closed = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        await using StationHost host = await StartAsync(root, "--Study:Name=NeedleTrial", "--Study:Site=hamburg",
            $"--Study:ConnectionString=Host=127.0.0.1;Port={closed};Username=acq;Database=catalog", "--Study:ConnectTimeoutSeconds=1");
        using HttpClient http = Client(host);
        Assert.Equal(HttpStatusCode.Created, (await PostJson(http, "api/session/start", "{}")).StatusCode);
        await Task.Delay(2000);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("api/session/stop", null)).StatusCode);
        await WaitAsync(() => host.Station.Catalog!.Backlog.Pending == 1, 20, "the session was not queued for the catalogue");
        JsonElement state = await JsonOf(await http.GetAsync("api/state"));
        Assert.Equal(1, state.GetProperty("catalogue").GetProperty("pending").GetInt32());
        Assert.StartsWith("catalogue: 1 waiting", state.GetProperty("catalogueStatus").GetString());
        using var capture = new ConsoleCapture();
        Assert.Equal(0, await Cli.CommandLineApp.RunAsync(["status", "--url", host.ApiAddress.ToString()]));
        Assert.Contains("catalogue: 1 waiting", capture.Out);
    }
}
