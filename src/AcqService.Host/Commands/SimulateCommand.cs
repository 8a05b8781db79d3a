using System.Globalization;
using System.Runtime.InteropServices;
using AcqService.Core.Profiles;
using AcqService.Sources.Lsl;
using AcqService.Sources.Profiles;
using AcqService.Sources.Simulation;
using AcqService.Host.Cli;
using AcqService.Host.Hosting;
using AcqService.Lsl;
using Microsoft.Extensions.Configuration;

namespace AcqService.Host.Commands;

/// <summary>
/// <c>acq simulate</c>: publishes the simulated EEG amplifier and needle-marker source as real LSL outlets (live pace)
/// until Ctrl+C or <c>--duration</c>, so <c>acq run --profile device-profiles/lsl-needling.json</c> (or any LSL tool)
/// can receive them.
/// </summary>
internal sealed class SimulateCommand : ICommand
{
    public string Name => "simulate";

    public string Summary => "Publish the simulated EEG and needle markers as LSL streams (until Ctrl+C or --duration).";

    public string Usage => "./acq simulate [--duration SECONDS] [--profile FILE] [--seed N] [--settings FILE] [--Lsl:Key=value ...]";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("duration", "SECONDS", "stop after this many seconds (default: until Ctrl+C)"),
        new("profile", "FILE", "profile with one simulated-eeg and one simulated-needle stream (default: the embedded simulated-needling)"),
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
        double? duration = arguments.Number("duration", 1, 30 * 24 * 3600);
        DeviceProfile profile;
        string profileSource;
        try
        {
            (profile, profileSource, _) = DefaultProfile.Load(arguments.Value("profile"));
        }
        catch (ProfileException ex)
        {
            Console.Error.WriteLine($"acq {Name}: {ex.Message}");
            return ExitCodes.Usage;
        }
        StreamProfile? eeg = profile.Streams.FirstOrDefault(s => s.Source.Driver == "simulated-eeg");
        StreamProfile? needle = profile.Streams.FirstOrDefault(s => s.Source.Driver == "simulated-needle");
        if (eeg is null || needle is null)
        {
            Console.Error.WriteLine($"acq {Name}: {profileSource}: needs one 'simulated-eeg' and one 'simulated-needle' stream to publish");
            return ExitCodes.Usage;
        }
        IConfigurationRoot configuration = SettingsLoader.Build(arguments.Value("settings"), arguments.ConfigurationOverrides);
        (AppSettings settings, List<string> problems) = SettingsLoader.Bind(configuration, profile, profileSource);
        if (arguments.Value("seed") is string seedText)
        {
            settings.Simulation.Seed = ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong seed) ? seed : throw new UsageException($"--seed: '{seedText}' is not a non-negative integer");
        }
        if (problems.Count > 0)
        {
            Console.Error.WriteLine($"acq {Name}: invalid settings:\n  " + string.Join("\n  ", problems));
            return ExitCodes.Usage;
        }

        if (LslHost.TryCreate(configuration, Name) is not ILslBackend backend)
        {
            return ExitCodes.Failure;
        }
        using (backend)
        {
            SimulatedLslPublisher publisher;
            try
            {
                // source_ids unique to this run (as the demo's): two simulators on one computer are then two
                // distinguishable devices, and a receiver that matches both refuses instead of mixing them.
                string runId = SimulatedLslTransport.NewRunId();
                var rig = new SimulationRig(settings.Simulation, SimulatedLslTransport.WithSourceId(eeg, runId), SimulatedLslTransport.WithSourceId(needle, runId), SimulationPace.Live, duration, backend.LocalClock);
                publisher = new SimulatedLslPublisher(backend, rig);
            }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine($"acq {Name}: {ex.Message}");
                return ExitCodes.Usage;
            }
            using (publisher)
            {
                Console.Out.WriteLine($"AcqService {CommandLineApp.Version}: simulating {profile.Name} ({profileSource}) on LSL, {(duration is double d ? d.ToString(CultureInfo.InvariantCulture) + " s" : "until Ctrl+C")}");
                Console.Out.WriteLine("Outlets:");
                Console.Out.WriteLine("  EEG:     " + LslDiscoveryHelp.Describe(publisher.EegStream));
                Console.Out.WriteLine("  markers: " + LslDiscoveryHelp.Describe(publisher.MarkerStream));
                Console.Out.WriteLine("Receive them with: ./acq run --profile device-profiles/lsl-needling.json");
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                bool interrupted = false;
                void OnSignal(PosixSignalContext context)
                {
                    // Stop publishing cleanly (outlets closed, inlets see the end) instead of killing the process.
                    context.Cancel = true;
                    interrupted = true;
                    stop.Cancel();
                }
                using (PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal))
                using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal))
                {
                    await publisher.RunAsync(stop.Token).ConfigureAwait(false);
                }
                Console.Out.WriteLine($"Published {publisher.SamplesPushed} EEG samples and {publisher.MarkersPushed} markers.");
                return interrupted && duration is not null ? ExitCodes.Interrupted : ExitCodes.Ok;
            }
        }
    }
}
