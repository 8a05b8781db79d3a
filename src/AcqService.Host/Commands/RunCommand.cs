using System.Globalization;
using AcqService.Host.Cli;
using AcqService.Host.Hosting;
using AcqService.Sessions;
using AcqService.Sources.Drivers;
using AcqService.Sources.Profiles;
using AcqService.Sources.Simulation;
using Microsoft.Extensions.Configuration;

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
            throw new UsageException("--pace fast runs the simulated devices in-process only; use --transport direct (or leave --transport out), or --pace live for LSL");
        }
        ulong? seed = null;
        if (arguments.Value("seed") is string seedText)
        {
            seed = ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong s) ? s : throw new UsageException($"--seed: '{seedText}' is not a non-negative integer");
        }

        if (SessionLauncher.LoadProfileAndSettings(arguments, profilePath, Name) is not { } loaded)
        {
            return ExitCodes.Usage;
        }
        (DeviceProfile profile, string profileSource, string profileJson, IConfigurationRoot configuration, AppSettings settings) = loaded;
        if (seed is ulong chosen)
        {
            settings.Simulation.Seed = chosen;
        }
        // demo: simulated devices over LSL at live pace (fast pace must stay in-process); run: in-process unless asked.
        bool simulatedOnly = profile.Streams.Any(s => SourceDriverRegistry.Default.IsSimulated(s));
        string transport = transportChoice ?? (isDemo && pace == SimulationPace.Live && simulatedOnly ? "lsl" : "direct");
        var request = new SessionRequest
        {
            Input = new SessionInput.Devices(profile, profileSource, profileJson),
            Settings = settings,
            OutputFolder = arguments.Value("out"),
            DurationSeconds = duration,
            Pace = pace,
            Transport = transport == "lsl" ? SimulatedTransport.Lsl : SimulatedTransport.Direct,
        };
        return await SessionLauncher.RunAsync(request, configuration, Name, cancellationToken).ConfigureAwait(false);
    }
}
