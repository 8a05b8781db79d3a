using System.Globalization;
using AcqService.Core.Pipeline;
using AcqService.Core.Profiles;
using AcqService.Core.Results;
using AcqService.Devices.Lsl;
using AcqService.Devices.Profiles;
using AcqService.Devices.Simulation;
using AcqService.Devices.Xdf;
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
        if (SessionLauncher.ReportProblems(problems, Name))
        {
            return ExitCodes.Usage;
        }

        string? folder = SessionLauncher.PrepareFolder(arguments.Value("out"), settings, profile.Name, Name);
        if (folder is null)
        {
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

        string? recording = null;
        if (settings.Session.Record)
        {
            recording = Path.Combine(folder, settings.Session.RecordingFileName);
            try
            {
                Directory.CreateDirectory(folder);
                var streams = sources.SelectMany(s => s.Streams).ToList();
                XdfPreflightResult preflight = XdfRecorderSink.Preflight(recording, XdfRecorderSink.EstimateBytesPerSecond(streams), duration ?? 3600);
                if (preflight.RenamedExisting is not null)
                {
                    Console.Error.WriteLine($"acq {Name}: an existing recording was renamed to {preflight.RenamedExisting}");
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"acq {Name}: cannot record to {recording}: {ex.Message}");
                return ExitCodes.Failure;
            }
        }

        var metadata = new SessionMetadata
        {
            Mode = pace == SimulationPace.Fast ? "fast" : "live",
            ProfileName = profile.Name,
            ProfileSource = profileSource,
            Profile = SessionLauncher.ParseJson(profileJson),
            SoftwareVersion = CommandLineApp.Version,
            Settings = new { settings.Epochs, settings.Alpha, settings.Aligner, settings.Simulation, DurationSeconds = duration, settings.Session.SubjectId, settings.Session.SessionLabel, settings.Session.Protocol },
        };
        if (recording is not null)
        {
            metadata.Notes.Add($"raw recording: {Path.GetFileName(recording)}");
        }
        metadata.ClockAtStart = Core.Model.LocalClock.Now();
        var recordingMetadata = new RecordingMetadata
        {
            ClockAtStart = metadata.ClockAtStart,
            SubjectId = settings.Session.SubjectId,
            SessionId = settings.Session.SessionLabel,
            Protocol = settings.Session.Protocol,
            ConditionRules = plan.Conditions,
            SoftwareVersion = "AcqService " + CommandLineApp.Version,
        };
        var job = new SessionJob
        {
            Sources = sources,
            Plan = plan,
            Folder = folder,
            Settings = settings,
            Metadata = metadata,
            Lsl = lsl,
            RawSinks = loggers => recording is null
                ? []
                : [new XdfRecorderSink(recording, [.. sources.SelectMany(s => s.Streams)], recordingMetadata, loggers.CreateLogger("AcqService.Recorder"))],
        };
        string banner = $"AcqService {CommandLineApp.Version}: {profile.Name} ({profileSource}), {(duration is double d ? d.ToString(CultureInfo.InvariantCulture) + " s" : "until stopped")}, {metadata.Mode} pace{(recording is null ? "" : ", recording to " + Path.GetFileName(recording))}";
        // LSL streams never end on their own: --duration stops the session like Ctrl+C would.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (lsl is not null && duration is double seconds)
        {
            limit.CancelAfter(TimeSpan.FromSeconds(seconds));
        }
        return await SessionLauncher.RunAsync(job, configuration, banner, limit.Token).ConfigureAwait(false);
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
