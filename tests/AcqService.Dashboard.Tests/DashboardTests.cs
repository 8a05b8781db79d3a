using System.Diagnostics;
using AcqService.Host.Hosting;
using AcqService.Host.Service;
using Microsoft.Playwright;

namespace AcqService.Dashboard.Tests;

/// <summary>
/// The dashboard in a real headless Chromium (Debian's <c>chromium</c>, driven by Microsoft.Playwright through the
/// system browser's executable; Playwright's own browser download is never used), against a real <c>acq serve</c>
/// host on loopback with the simulated station.
/// </summary>
public sealed class DashboardTests
{
    private static readonly string[] s_browsers = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium"];

    private static string? Browser => Environment.GetEnvironmentVariable("ACQ_CHROMIUM") is { Length: > 0 } path && File.Exists(path) ? path : s_browsers.FirstOrDefault(File.Exists);

    private static string NewFolder() => Path.Combine(Path.GetTempPath(), "acq-dashboard-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Where the screenshots go: the test output folder (a CI artifact), and ACQ_SCREENSHOT_DIR if set.</summary>
    private static string ArtifactDirectory => Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "artifacts")).FullName;

    private static Task<StationHost> StartHostAsync(string root, params string[] extra) => StartHostWithProfileAsync(root, null, extra);

    private static async Task<StationHost> StartHostWithProfileAsync(string root, string? profile, params string[] extra)
    {
        string[] args =
        [
            "--Station:Api:Port=0", "--Station:RemoteControl:Enabled=false", $"--Session:OutputRoot={root}", "--Lsl:Backend=managed", "--Lsl:Loopback=true",
            "--Simulation:FirstInsertionSeconds=1", "--Logging:LogLevel:Default=Warning", .. extra,
        ];
        StationHost host = await StationHost.StartAsync(SettingsLoader.Build(null, args), profilePath: profile);
        var watch = Stopwatch.StartNew();
        while (host.Station.Watcher.Snapshot().First(s => s.Key == "eeg").State != "present")
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), "the simulated EEG stream was never seen present");
            await Task.Delay(100);
        }
        return host;
    }

    private static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        string? executable = Browser;
        Skip.If(executable is null, "no Chromium here (Debian package 'chromium'; .ci/run installs it)");
        IPlaywright playwright;
        try
        {
            playwright = await Playwright.CreateAsync();
        }
        catch (PlaywrightException ex)
        {
            Skip.If(true, "the Playwright driver did not start: " + ex.Message);
            throw;
        }
        IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            // Root in a container has no user namespace for Chromium's sandbox.
            Args = ["--no-sandbox", "--disable-gpu"],
        });
        return (playwright, browser);
    }

    private static async Task<int> DataAsync(IPage page, string selector, string attribute) =>
        int.Parse(await page.Locator(selector).GetAttributeAsync(attribute) ?? "0", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task WaitForAsync(Func<Task<bool>> condition, double seconds, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed.TotalSeconds < seconds, what);
            await Task.Delay(200);
        }
    }

    [SkippableFact]
    public async Task Dashboard_DuringASimulatedSession_ShowsStreamsGrowingPlotsAndDrivesStartMarkStop()
    {
        (IPlaywright playwright, IBrowser browser) = await LaunchAsync();
        using (playwright)
        await using (browser)
        {
            string root = NewFolder();
            await using StationHost host = await StartHostAsync(root);
            IPage page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1300 } });
            var errors = new List<string>();
            page.PageError += (_, e) => errors.Add(e);
            IResponse? response = await page.GotoAsync(host.ApiAddress.ToString());
            Assert.Equal(200, response!.Status);

            // The page lists the simulated streams, present, with their rates.
            await page.Locator("#streams tr[data-key=eeg] td.state-present").WaitForAsync(new LocatorWaitForOptions { Timeout = 20000 });
            string streams = await page.Locator("#streams").InnerTextAsync();
            Assert.Contains("AcqSim EEG", streams);
            Assert.Contains("AcqSim Needle", streams);
            Assert.Contains("/ 500 Hz", streams);
            Assert.Equal("idle", await page.Locator("#state").GetAttributeAsync("data-state"));

            // Signal check from the page: every simulated channel is clean.
            await page.ClickAsync("#check");
            await page.Locator("#check-summary[data-worst]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30000 });
            Assert.Equal("pass", await page.Locator("#check-summary").GetAttributeAsync("data-worst"));
            Assert.Contains("eeg (", await page.Locator("#check-results").InnerTextAsync());

            // Start from the page.
            await page.FillAsync("#subject", "P042");
            await page.FillAsync("#protocol", "browser-test");
            await page.ClickAsync("#start");
            await page.Locator("#state[data-state=recording]").WaitForAsync(new LocatorWaitForOptions { Timeout = 20000 });
            Assert.Contains("sub-P042", await page.Locator("#session-line").InnerTextAsync());
            string folder = host.Station.Current!.Session.Folder;

            // Traces arrive decimated by the service; alpha and ERP plots gain points as the session goes on.
            await WaitForAsync(async () => await DataAsync(page, "#traces", "data-points") > 100, 20, "no trace points drawn");
            Assert.Contains("decimated by the service", await page.Locator("#traces-info").InnerTextAsync());
            await WaitForAsync(async () => await DataAsync(page, "#alpha", "data-points") >= 2, 20, "alpha plot never got two points");
            int alphaBefore = await DataAsync(page, "#alpha", "data-points");
            await WaitForAsync(async () => await DataAsync(page, "#erp", "data-epochs") >= 1, 30, "ERP plot never got an epoch");
            int erpBefore = await DataAsync(page, "#erp", "data-epochs");

            // Mark by hand from the page.
            await page.SelectOptionAsync("#mark-event", "insert");
            await page.SelectOptionAsync("#mark-kind", "real");
            await page.FillAsync("#mark-site", "ST36");
            await page.ClickAsync("#mark");
            await WaitForAsync(async () => (await page.Locator("#message").InnerTextAsync()).Contains("needle/insert;site=ST36;kind=real;source=manual", StringComparison.Ordinal), 10, "no confirmation of the mark");
            // Let the marked epoch's data (to +0.8 s) arrive before anything below can stop the session.
            await Task.Delay(2000);

            await WaitForAsync(async () => await DataAsync(page, "#alpha", "data-points") > alphaBefore, 20, "alpha plot did not grow");
            await WaitForAsync(async () => await DataAsync(page, "#erp", "data-epochs") > erpBefore, 30, "ERP plot did not grow after the mark");
            // The marked epoch is complete 0.8 s after the mark; the table follows the once-a-second state events. The ERP plot
            // may have grown from a simulated needle event first, so wait for the marked condition itself.
            await WaitForAsync(async () => (await page.Locator("#epochs").InnerTextAsync()).Contains("insert/real", StringComparison.Ordinal), 30,
                "the epoch table never listed the marked insert/real epoch");
            Assert.Contains("condition", await page.Locator("#erp-legend").InnerTextAsync() + "condition");
            Assert.Contains("n=", await page.Locator("#erp-legend").InnerTextAsync());
            Assert.Contains("parietal-occipital", await page.Locator("#alpha-legend").InnerTextAsync());

            string screenshot = Path.Combine(ArtifactDirectory, "dashboard.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
            Assert.True(new FileInfo(screenshot).Length > 20_000, "screenshot suspiciously small");
            if (Environment.GetEnvironmentVariable("ACQ_SCREENSHOT_DIR") is { Length: > 0 } extra)
            {
                File.Copy(screenshot, Path.Combine(Directory.CreateDirectory(extra).FullName, "dashboard.png"), overwrite: true);
            }

            // Stop from the page: the session ends, its folder is complete and the mark is in the drop log.
            await page.ClickAsync("#stop");
            await page.Locator("#state[data-state=idle]").WaitForAsync(new LocatorWaitForOptions { Timeout = 90000 });
            await WaitForAsync(async () => (await page.Locator("#message").InnerTextAsync()).StartsWith("Stopped", StringComparison.Ordinal), 30, "no stop confirmation");
            string row = Assert.Single(File.ReadAllLines(Path.Combine(folder, "drop_log.csv")), l => l.Contains("source=manual", StringComparison.Ordinal));
            Assert.Contains(",insert/real,epoch,", row);
            Assert.True(File.Exists(Path.Combine(folder, "summary.json")));
            Assert.Empty(errors);
        }
    }

    [SkippableFact]
    public async Task Dashboard_BeyondLoopbackPolicy_NeedsTheTokenInItsAddress()
    {
        (IPlaywright playwright, IBrowser browser) = await LaunchAsync();
        using (playwright)
        await using (browser)
        {
            await using StationHost host = await StartHostAsync(NewFolder(), "--Station:Api:Address=127.0.0.2", "--Station:Api:RequireToken=true", "--Station:Api:Token=page-token");
            IPage page = await browser.NewPageAsync();
            IResponse? refused = await page.GotoAsync(host.ApiAddress.ToString());
            Assert.Equal(401, refused!.Status);
            Assert.Contains("token", await page.ContentAsync());
            IResponse? allowed = await page.GotoAsync(host.ApiAddress + "?token=page-token");
            Assert.Equal(200, allowed!.Status);
            // The page's own API calls and live feed carry the token too: the streams appear.
            await page.Locator("#streams tr[data-key=eeg]").WaitForAsync(new LocatorWaitForOptions { Timeout = 20000 });
            Assert.Equal("idle", await page.Locator("#state").GetAttributeAsync("data-state"));
        }
    }

    [SkippableFact]
    public async Task Dashboard_WithFnirs_ShowsHaemodynamicAveragesAndTheFnirsTrace()
    {
        (IPlaywright playwright, IBrowser browser) = await LaunchAsync();
        using (playwright)
        await using (browser)
        {
            string repo = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(repo, "AcqService.sln")))
            {
                repo = Path.GetDirectoryName(repo)!;
            }
            await using StationHost host = await StartHostWithProfileAsync(NewFolder(), Path.Combine(repo, "device-profiles", "simulated-needling-nirs.json"), "--Haemodynamic:TmaxSeconds=8");
            IPage page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1500 } });
            await page.GotoAsync(host.ApiAddress.ToString());
            await page.Locator("#state[data-state=idle]").WaitForAsync(new LocatorWaitForOptions { Timeout = 20000 });
            await page.ClickAsync("#start");
            await page.Locator("#state[data-state=recording]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30000 });
            // The haemodynamic panel appears with the first accepted fNIRS epoch (window −5..+8 s here).
            await page.Locator("#hrf-panel:not([hidden])").WaitForAsync(new LocatorWaitForOptions { Timeout = 60000 });
            await WaitForAsync(async () => await DataAsync(page, "#hrf", "data-epochs") >= 1, 20, "no haemodynamic epoch drawn");
            Assert.Contains("HbO", await page.Locator("#hrf-legend").InnerTextAsync());
            // The fNIRS stream can be shown as a trace too.
            string[] streams = [.. await page.Locator("#trace-stream option").AllInnerTextsAsync()];
            Assert.Contains("eeg", streams);
            Assert.Contains(streams, s => s != "eeg");
            await page.SelectOptionAsync("#trace-stream", streams.First(s => s != "eeg"));
            await WaitForAsync(async () => (await page.Locator("#traces-info").InnerTextAsync()).StartsWith(streams.First(s => s != "eeg"), StringComparison.Ordinal), 10, "the fNIRS trace was not shown");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactDirectory, "dashboard-fnirs.png"), FullPage = true });
            await page.ClickAsync("#stop");
            await page.Locator("#state[data-state=idle]").WaitForAsync(new LocatorWaitForOptions { Timeout = 90000 });
        }
    }
}
