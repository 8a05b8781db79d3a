using System.Globalization;
using AcqService.Core.Pipeline;
using AcqService.Core.Profiles;
using AcqService.Core.Results;
using AcqService.Devices.Lsl;
using AcqService.Devices.Profiles;
using AcqService.Devices.Simulation;
using AcqService.Host.Cli;
using AcqService.Host.Hosting;
using AcqService.Lsl;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AcqService.Host.Commands;

/// <summary>
/// <c>acq demo</c>: a live session on the embedded simulated devices (the main job); <c>acq run</c>: a session on
/// any device profile. Both run the worker host until the duration is reached or the service is stopped.
/// </summary>
internal sealed class RunCommand(bool isDemo) : ICommand
{
    public string Name => isDemo ? "demo" : "run";

    public string Summary => isDemo
        ? "Live session on the simulated EEG amplifier and needle-marker source (embedded default profile)."
        : "Acquisition session on a device profile (runs until stopped or --duration).";

    public string Usage => isDemo
        ? "./acq demo [--duration SECONDS] [--out DIR] [--pace live|fast] [--seed N] [--settings FILE] [--Section:Key=value ...]"
        : "./acq run --profile FILE [--duration SECONDS] [--out DIR] [--pace live|fast] [--settings FILE] [--Section:Key=value ...]";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("profile", "FILE", isDemo ? "device profile to use instead of the embedded simulated one" : "device profile (required), e.g. device-profiles/simulated-needling.json"),
        new("duration", "SECONDS", isDemo ? "session length (default 60)" : "session length (default: until Ctrl+C / service stop)"),
        new("out", "DIR", "session folder to write (default: Session:OutputRoot/<date-time>-<profile>)"),
        new("pace", "live|fast", "simulated devices at real time (default) or as fast as possible"),
        new("seed", "N", "random seed of the simulated devices"),
        new("settings", "FILE", "extra settings JSON (same layout as appsettings.json)"),
    ];

    public bool AcceptsSettings => true;

    private static System.Text.Json.JsonElement? ParseJson(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json, new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return document.RootElement.Clone();
    }

    public async Task<int> RunAsync(ParsedArguments arguments, CancellationToken cancellationToken)
    {
        if (arguments.Positionals.Count > 0)
        {
            throw new UsageException($"unexpected argument '{arguments.Positionals[0]}'");
        }
        string? profilePath = arguments.Value("profile");
        if (!isDemo && profilePath is null)
        {
            throw new UsageException("--profile FILE is required (e.g. --profile device-profiles/simulated-needling.json)");
        }
        double? duration = arguments.Number("duration", 1, 30 * 24 * 3600) ?? (isDemo ? 60 : null);
        SimulationPace pace = arguments.Choice("pace", "live", "fast") == "fast" ? SimulationPace.Fast : SimulationPace.Live;
        if (pace == SimulationPace.Fast && duration is null)
        {
            throw new UsageException("--pace fast needs --duration");
        }
        ulong? seed = null;
        if (arguments.Value("seed") is string seedText)
        {
            seed = ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong s) ? s : throw new UsageException($"--seed: '{seedText}' is not a non-negative integer");
        }

        DeviceProfile profile;
        string profileSource, profileJson;
        try
        {
            (profile, profileSource, profileJson) = DefaultProfile.Load(profilePath);
        }
        catch (ProfileException ex)
        {
            Console.Error.WriteLine($"acq {Name}: {ex.Message}");
            return ExitCodes.Usage;
        }

        IConfigurationRoot configuration = SettingsLoader.Build(arguments.Value("settings"), arguments.ConfigurationOverrides);
        (AppSettings settings, List<string> problems) = SettingsLoader.Bind(configuration, profile, profileSource);
        if (seed is ulong chosen)
        {
            settings.Simulation.Seed = chosen;
        }
        var plan = new SessionPlan
        {
            Aligner = settings.Aligner,
            Epochs = settings.Epochs,
            Alpha = settings.Alpha,
            Conditions = ProfileLoader.Conditions(profile),
            Regions = profile.Regions,
        };
        problems.AddRange(plan.Validate());
        if (problems.Count > 0)
        {
            Console.Error.WriteLine($"acq {Name}: invalid settings:");
            foreach (string problem in problems)
            {
                Console.Error.WriteLine("  " + problem);
            }
            return ExitCodes.Usage;
        }

        string folder = arguments.Value("out")
            ?? Path.Combine(settings.Session.OutputRoot, $"{DateTime.Now:yyyyMMdd-HHmmss}-{profile.Name}");
        folder = Path.GetFullPath(folder);
        if (File.Exists(Path.Combine(folder, SessionOutput.MetadataFile)))
        {
            Console.Error.WriteLine($"acq {Name}: '{folder}' already holds a session; choose another --out folder (nothing is overwritten)");
            return ExitCodes.Usage;
        }

        // LSL streams are resolved and checked here, before anything starts, so a missing or mismatching device
        // is reported at once; the backend lives until the session is over.
        using ILslBackend? lsl = profile.Streams.Any(s => s.Source.Driver == "lsl") ? CreateLsl(configuration) : null;
        IReadOnlyList<ISource> sources;
        try
        {
            (sources, _) = SourceBuilder.Build(profile, settings.Simulation, pace, duration, Core.Model.LocalClock.Now, lsl);
        }
        catch (Exception ex) when (ex is NotSupportedException or ArgumentException)
        {
            Console.Error.WriteLine($"acq {Name}: {profileSource}: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (LslSourceException ex)
        {
            Console.Error.WriteLine($"acq {Name}: {profileSource}: {ex.Message}");
            return ExitCodes.Failure;
        }

        var job = new SessionJob
        {
            Sources = sources,
            Plan = plan,
            Folder = folder,
            Settings = settings,
            Metadata = new SessionMetadata
            {
                Mode = pace == SimulationPace.Fast ? "fast" : "live",
                ProfileName = profile.Name,
                ProfileSource = profileSource,
                Profile = ParseJson(profileJson),
                SoftwareVersion = CommandLineApp.Version,
                Settings = new { settings.Epochs, settings.Alpha, settings.Aligner, settings.Simulation, DurationSeconds = duration },
            },
        };

        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            DisableDefaults = true,
        });
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.AddConfiguration(configuration.GetSection("Logging"));
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        // Logs go to stderr so stdout carries the status line and the summary.
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(settings.Session.ShutdownTimeoutSeconds));
        builder.Services.AddSingleton(job);
        builder.Services.AddHostedService<SessionWorker>();
        using IHost host = builder.Build();
        Console.Out.WriteLine($"AcqService {CommandLineApp.Version}: {profile.Name} ({profileSource}), {(duration is double d ? d.ToString(CultureInfo.InvariantCulture) + " s" : "until stopped")}, {job.Metadata.Mode} pace");
        Console.Out.WriteLine($"Session folder: {folder}");
        // LSL streams never end on their own: --duration stops the session like Ctrl+C would.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (lsl is not null && duration is double seconds)
        {
            limit.CancelAfter(TimeSpan.FromSeconds(seconds));
        }
        await host.RunAsync(limit.Token).ConfigureAwait(false);
        if (job.Summary is not null)
        {
            Console.Out.WriteLine();
            Console.Out.Write(job.Summary.ToText());
            Console.Out.WriteLine();
            Console.Out.WriteLine($"Results written to {folder}");
        }
        return job.ExitCode;
    }

    private static ILslBackend CreateLsl(IConfiguration configuration)
    {
        try
        {
            ILslBackend backend = LslHost.Create(configuration, out string description);
            Console.Out.WriteLine($"LSL backend: {description}");
            return backend;
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or AcqService.Lsl.Config.LslConfigException)
        {
            throw new UsageException("LSL: " + ex.Message);
        }
    }
}
