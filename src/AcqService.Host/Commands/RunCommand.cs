using System.Globalization;
using AcqService.Core.Pipeline;
using AcqService.Core.Profiles;
using AcqService.Sinks;
using AcqService.Sources.Lsl;
using AcqService.Sources.Profiles;
using AcqService.Sources.Simulation;
using AcqService.Sources.Xdf;
using AcqService.Host.Cli;
using AcqService.Host.Hosting;
using AcqService.Lsl;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using AcqService.Sessions;
using AcqService.Sinks.Xdf;

namespace AcqService.Host.Commands;

/// <summary>
/// <c>acq demo</c>: a live session on the embedded simulated devices (the main job); <c>acq run</c>: a session on
/// any device profile. Both run the worker host until the duration is reached or the service is stopped.
/// With <c>--transport lsl</c> (the default of <c>demo</c>) the simulated devices are published as LSL outlets in this
/// process and the session receives them through LSL inlets, so the main command exercises the whole LSL stack.
/// </summary>
internal sealed class RunCommand(bool isDemo) : ICommand
{
    public string Name => isDemo ? "demo" : "run";

    public string Summary => isDemo
        ? "Live session on the simulated EEG amplifier and needle-marker source (embedded default profile)."
        : "Acquisition session on a device profile (runs until stopped or --duration).";

    public string Usage => isDemo
        ? "./acq demo [--duration SECONDS] [--out DIR] [--pace live|fast] [--transport lsl|direct] [--seed N] [--settings FILE] [--Section:Key=value ...]"
        : "./acq run --profile FILE [--duration SECONDS] [--out DIR] [--pace live|fast] [--transport lsl|direct] [--settings FILE] [--Section:Key=value ...]";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("profile", "FILE", isDemo ? "device profile to use instead of the embedded simulated one" : "device profile (required), e.g. device-profiles/simulated-needling.json"),
        new("duration", "SECONDS", isDemo ? "session length (default 60)" : "session length (default: until Ctrl+C / service stop)"),
        new("out", "DIR", "session folder to write (default: Session:OutputRoot/<date-time>-<profile>)"),
        new("pace", "live|fast", "simulated devices at real time (default) or as fast as possible (fast: in-process only, --transport direct)"),
        new("transport", "lsl|direct", isDemo
            ? "simulated devices over real LSL sockets on this computer (default at live pace) or in-process (direct; always with --pace fast)"
            : "simulated devices of the profile over real LSL sockets (lsl) or in-process (direct, default)"),
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
        string? transportChoice = arguments.Choice("transport", "lsl", "direct");
        if (pace == SimulationPace.Fast && transportChoice == "lsl")
        {
            // LSL keeps no history and the EEG and marker inlets are independent TCP streams: as fast as possible, one can
            // run far ahead of the other, and the results would depend on scheduling instead of on timestamps.
            throw new UsageException("--pace fast runs the simulated devices in-process only; use --transport direct (or leave --transport out), or --pace live for LSL");
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

        // demo: simulated devices over LSL unless fast pace (which must stay in-process) or a profile without them.
        bool simulatedNirs = profile.Streams.Any(s => s.Source.Driver == "simulated-nirs");
        if (transportChoice == "lsl" && simulatedNirs)
        {
            throw new UsageException($"--transport lsl publishes the simulated EEG and needle markers only; {profileSource} also has a simulated fNIRS device, so run it with --transport direct");
        }
        bool overLsl = SimulatedLslTransport.Applies(profile) && !simulatedNirs && (transportChoice ?? (isDemo && pace == SimulationPace.Live ? "lsl" : "direct")) == "lsl";
        if (transportChoice == "lsl" && !overLsl)
        {
            throw new UsageException($"--transport lsl applies to simulated devices, and {profileSource} has none (its LSL streams are received over LSL anyway)");
        }

        // LSL streams are resolved and checked here, before anything starts, so a missing or mismatching device
        // is reported at once; the backend lives until the session is over (declared first, so disposed last).
        using ILslBackend? lsl = overLsl || profile.Streams.Any(s => s.Source.Driver == "lsl") ? CreateLsl(configuration) : null;
        SimulatedLslTransport? transport = null;
        IReadOnlyList<ISource> sources;
        try
        {
            DeviceProfile sourceProfile = profile;
            if (overLsl)
            {
                transport = SimulatedLslTransport.Create(profile, settings.Simulation, duration, lsl!);
                sourceProfile = transport.ReceiverProfile;
                Console.Out.WriteLine("Simulator outlets (LSL, this process):");
                Console.Out.WriteLine("  EEG:     " + LslDiscoveryHelp.Describe(transport.Publisher.EegStream));
                Console.Out.WriteLine("  markers: " + LslDiscoveryHelp.Describe(transport.Publisher.MarkerStream));
            }
            (sources, _) = SourceBuilder.Build(sourceProfile, settings.Simulation, pace, duration, Core.Model.LocalClock.Now, lsl);
        }
        catch (ArgumentException ex) when (overLsl && transport is null)
        {
            Console.Error.WriteLine($"acq {Name}: {profileSource}: {ex.Message} (or use --transport direct)");
            return ExitCodes.Usage;
        }
        catch (Exception ex) when (ex is NotSupportedException or ArgumentException)
        {
            transport?.Dispose();
            Console.Error.WriteLine($"acq {Name}: {profileSource}: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (LslSourceException ex)
        {
            transport?.Dispose();
            Console.Error.WriteLine($"acq {Name}: {profileSource}: {ex.Message}");
            return ExitCodes.Failure;
        }
        using SimulatedLslTransport? published = transport;

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
            Settings = new { settings.Epochs, settings.Alpha, settings.Aligner, settings.Simulation, DurationSeconds = duration, Transport = overLsl ? "lsl" : "direct", settings.Session.SubjectId, settings.Session.SessionLabel, settings.Session.Protocol },
        };
        if (recording is not null)
        {
            metadata.Notes.Add($"raw recording: {Path.GetFileName(recording)}");
        }
        if (published is not null)
        {
            metadata.Notes.Add($"transport: lsl — the simulated devices were published as LSL outlets in this process (source_ids acqservice-<key>-{published.RunId}) and received through LSL inlets");
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
        string banner = $"AcqService {CommandLineApp.Version}: {profile.Name} ({profileSource}), {(duration is double d ? d.ToString(CultureInfo.InvariantCulture) + " s" : "until stopped")}, {metadata.Mode} pace{(published is null ? "" : ", simulated devices over LSL")}{(recording is null ? "" : ", recording to " + Path.GetFileName(recording))}";
        // LSL streams never end on their own: --duration stops the session like Ctrl+C would. Over the LSL transport
        // the session stops once the simulated duration has been published and received (bounded by a grace period).
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (lsl is not null && duration is double seconds)
        {
            limit.CancelAfter(TimeSpan.FromSeconds(published is null ? seconds : seconds + DeliveryGraceSeconds + 5));
        }
        if (published is null)
        {
            return await SessionLauncher.RunAsync(job, configuration, banner, limit.Token).ConfigureAwait(false);
        }
        using var publisherStop = new CancellationTokenSource();
        Task publishing = published.RunAsync(publisherStop.Token);
        Task watcher = StopWhenDeliveredAsync(published, publishing, sources, limit, publisherStop.Token);
        int code = await SessionLauncher.RunAsync(job, configuration, banner, limit.Token).ConfigureAwait(false);
        await publisherStop.CancelAsync().ConfigureAwait(false);
        await watcher.ConfigureAwait(false);
        try
        {
            await publishing.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped with the session.
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"acq {Name}: the simulator's LSL outlets failed: {ex.Message}");
            return code == ExitCodes.Ok ? ExitCodes.SessionErrors : code;
        }
        return code;
    }

    /// <summary>Seconds the LSL inlets get, after the simulator has published everything, to receive the rest.</summary>
    private const double DeliveryGraceSeconds = 5;

    /// <summary>Stops the session once the simulator is done and its data has arrived (or at once if the simulator failed).</summary>
    private static async Task StopWhenDeliveredAsync(SimulatedLslTransport transport, Task publishing, IReadOnlyList<ISource> sources, CancellationTokenSource limit, CancellationToken cancellationToken)
    {
        try
        {
            try
            {
                await publishing.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The simulator failed: the session stops now with what it received; the error is reported afterwards.
                await limit.CancelAsync().ConfigureAwait(false);
                return;
            }
            long deadline = Environment.TickCount64 + (long)(DeliveryGraceSeconds * 1000);
            while (!transport.Delivered(sources) && Environment.TickCount64 < deadline)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
            await limit.CancelAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The session ended first (Ctrl+C, service stop).
        }
    }

    private static ILslBackend CreateLsl(IConfiguration configuration)
    {
        try
        {
            ILslBackend backend = LslHost.Create(configuration, out string description);
            return backend;
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or AcqService.Lsl.Config.LslConfigException)
        {
            throw new UsageException("LSL: " + ex.Message);
        }
    }
}
