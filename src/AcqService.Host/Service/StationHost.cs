using System.Net;
using AcqService.Host.Cli;
using AcqService.Host.Commands;
using AcqService.Host.Hosting;
using AcqService.Lsl;
using AcqService.Sessions;
using AcqService.Sources.Drivers;
using AcqService.Sources.Profiles;
using AcqService.Sources.Lsl;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AcqService.Host.Service;

/// <summary>
/// Builds and runs the lab service: the station (profile, LSL backend, simulated outlets when the profile is
/// simulated, stream watcher, session runner), the control API on Kestrel and the remote-control port, in one
/// Microsoft.Extensions.Hosting host with systemd integration (readiness and stopping notifications, journal-friendly
/// logs when run by systemd). Used by <c>acq serve</c> and, in-process, by the service tests.
/// </summary>
public sealed class StationHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ILslBackend _lsl;
    private readonly SimulatedLslTransport? _simulator;
    private readonly CancellationTokenSource _background = new();
    private readonly Task _watching;
    private readonly Task _simulating;
    private int _disposed;

    private StationHost(WebApplication app, StationService station, RemoteControlServer? remote, ILslBackend lsl, SimulatedLslTransport? simulator, Uri api)
    {
        _app = app;
        Station = station;
        RemoteControl = remote;
        _lsl = lsl;
        _simulator = simulator;
        ApiAddress = api;
        _simulating = simulator?.RunAsync(_background.Token) ?? Task.CompletedTask;
        _watching = Task.WhenAll(station.Watcher.RunAsync(_background.Token), PublishStateAsync(_background.Token),
            station.Catalog?.RunAsync(_background.Token) ?? Task.CompletedTask);
    }

    /// <summary>The live feed's <c>state</c> event once a second (stream health, running session), while anyone listens.</summary>
    private async Task PublishStateAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (Station.Feed.Subscribers > 0)
                {
                    Station.Feed.Publish("state", Station.State());
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The service stopped.
        }
    }

    /// <summary>The station.</summary>
    public StationService Station { get; }

    /// <summary>The remote-control server, when enabled.</summary>
    public RemoteControlServer? RemoteControl { get; }

    /// <summary>Base address of the control API.</summary>
    public Uri ApiAddress { get; }

    /// <summary>The simulated devices' publisher when the station simulates them (tests use it to cut the signal).</summary>
    public SimulatedLslPublisher? Simulator => _simulator?.Publisher;

    /// <summary>Completes when the host has been asked to stop (SIGTERM, Ctrl+C).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Builds everything, binds the ports and starts.</summary>
    /// <param name="configuration">Settings (sections Station, Session, Epochs… as for every command).</param>
    /// <param name="profilePath">Profile path overriding <c>Station:Profile</c>, or null.</param>
    /// <param name="configureLogging">Extra logging setup (tests capture logs).</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <exception cref="SessionSetupException">Invalid settings or profile (usage error), or a port that cannot be bound.</exception>
    public static async Task<StationHost> StartAsync(IConfiguration configuration, string? profilePath, Action<ILoggingBuilder>? configureLogging = null,
        CancellationToken cancellationToken = default)
    {
        var options = new StationOptions();
        configuration.GetSection("Station").Bind(options);
        List<string> problems = [.. options.Validate()];
        string? path = profilePath ?? (options.Profile.Length > 0 ? options.Profile : null);
        DeviceProfile profile;
        string source, json;
        try
        {
            (profile, source, json) = DefaultProfile.Load(path);
        }
        catch (ProfileException ex)
        {
            throw new SessionSetupException(ex.Message, isUsageError: true, ex);
        }
        (AppSettings settings, List<string> settingsProblems) = SettingsLoader.Bind(configuration, profile, source);
        problems.AddRange(settingsProblems);
        if (problems.Count > 0)
        {
            throw new SessionSetupException("invalid settings:\n  " + string.Join("\n  ", problems), isUsageError: true);
        }

        ILslBackend lsl;
        try
        {
            lsl = LslHost.Create(configuration, out _);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or AcqService.Lsl.Config.LslConfigException)
        {
            throw new SessionSetupException("LSL: " + ex.Message, isUsageError: true, ex);
        }
        var shared = new SharedLslBackend(lsl);
        SimulatedLslTransport? simulator = null;
        WebApplication? app = null;
        RemoteControlServer? remote = null;
        AcqService.Catalog.CatalogPublisher? catalog = null;
        try
        {
            bool simulated = profile.Streams.Any(SourceDriverRegistry.Default.IsSimulated);
            if (options.SimulateOverLsl ?? simulated)
            {
                try
                {
                    // The simulated amplifier runs for as long as the service, like a real one on the lab network.
                    simulator = SimulatedLslTransport.Create(profile, settings.Simulation, durationSeconds: null, shared);
                }
                catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
                {
                    throw new SessionSetupException($"{source}: the simulated devices cannot be published over LSL: {ex.Message} (set Station:SimulateOverLsl=false to run them in-process in each session)", isUsageError: true, ex);
                }
                profile = simulator.ReceiverProfile;
            }

            WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
            {
                ContentRootPath = AppContext.BaseDirectory,
                EnvironmentName = Environments.Production,
            });
            builder.Configuration.AddConfiguration(configuration);
            builder.Logging.AddConfiguration(configuration.GetSection("Logging"));
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
            configureLogging?.Invoke(builder.Logging);
            // Readiness ("READY=1") and stopping notifications when systemd runs the service; journal-style log lines.
            builder.Services.AddSystemd();
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(settings.Session.ShutdownTimeoutSeconds + 30));
            builder.WebHost.UseKestrelCore();
            builder.WebHost.ConfigureKestrel(k => k.Listen(options.Api.ParseAddress(), options.Api.Port));
            builder.Services.AddRoutingCore();
            builder.Services.AddControlApi();
            // Malformed JSON bodies reach the API's error middleware, which answers with a JSON reason like every other error.
            builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
            app = builder.Build();

            ILoggerFactory loggers = app.Services.GetRequiredService<ILoggerFactory>();
            try
            {
                catalog = Commands.CatalogSettings.CreatePublisher(configuration, loggers.CreateLogger("AcqService.Catalog"));
            }
            catch (UsageException ex)
            {
                throw new SessionSetupException(ex.Message, isUsageError: true, ex);
            }
            Func<double> clock = shared.LocalClock;
            var factory = new SessionFactory(SourceDriverRegistry.Default, () => shared, loggers, CommandLineApp.Version);
            var watcher = new StreamWatcher(profile, SourceDriverRegistry.Default, () => shared, clock, TimeSpan.FromSeconds(options.WatchRetrySeconds), loggers.CreateLogger("AcqService.Watcher"));
            var feed = new LiveFeed();
            var station = new StationService(configuration, options, new StationProfile(profile, source, json), factory, watcher, feed, clock, loggers.CreateLogger("AcqService.Station"))
            {
                Checker = new Sessions.Check.SignalChecker(SourceDriverRegistry.Default, () => shared, loggers),
                Catalog = catalog,
            };
            app.MapControlApi(station, options);
            app.Lifetime.ApplicationStopping.Register(() => feed.Close());
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw new SessionSetupException($"the control API cannot listen on {options.Api.Address}:{options.Api.Port}: {ex.Message} (another service on that port? set Station:Api:Port)", isUsageError: false, ex);
            }
            string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? $"http://{options.Api.Address}:{options.Api.Port}";
            if (options.RemoteControl.Enabled)
            {
                remote = new RemoteControlServer(station, options.RemoteControl, loggers.CreateLogger("AcqService.RemoteControl"));
                try
                {
                    remote.Start();
                }
                catch (System.Net.Sockets.SocketException ex)
                {
                    throw new SessionSetupException($"the remote-control port cannot listen on {options.RemoteControl.Address}:{options.RemoteControl.Port}: {ex.Message} (is LabRecorder running with its remote control on? set Station:RemoteControl:Port)", isUsageError: false, ex);
                }
            }
            var host = new StationHost(app, station, remote, lsl, simulator, new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
            app.Lifetime.ApplicationStopping.Register(() => host.OnStopping());
            return host;
        }
        catch
        {
            if (remote is not null)
            {
                await remote.DisposeAsync().ConfigureAwait(false);
            }
            if (app is not null)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }
            if (catalog is not null)
            {
                await catalog.DisposeAsync().ConfigureAwait(false);
            }
            simulator?.Dispose();
            lsl.Dispose();
            throw;
        }
    }

    /// <summary>
    /// SIGTERM / Ctrl+C / systemd stop: the host blocks its shutdown on this callback, so the running session is
    /// stopped and its results written before Kestrel and the process go away.
    /// </summary>
    private void OnStopping()
    {
        Station.ShutdownAsync("the service was stopped (SIGTERM / service stop); the session was closed cleanly").GetAwaiter().GetResult();
        Station.Feed.Close();
    }

    /// <summary>Stops everything: the running session (results written), the ports, the watcher, the simulator, LSL.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await Station.ShutdownAsync("the service stopped").ConfigureAwait(false);
        Station.Feed.Close();
        if (RemoteControl is not null)
        {
            await RemoteControl.DisposeAsync().ConfigureAwait(false);
        }
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        await _app.DisposeAsync().ConfigureAwait(false);
        await _background.CancelAsync().ConfigureAwait(false);
        await Task.WhenAny(Task.WhenAll(_watching, _simulating), Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
        if (Station.Catalog is { } catalog)
        {
            await catalog.DisposeAsync().ConfigureAwait(false);
        }
        _simulator?.Dispose();
        _lsl.Dispose();
        _background.Dispose();
    }
}
