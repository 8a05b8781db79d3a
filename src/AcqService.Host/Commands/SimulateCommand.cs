using System.Globalization;
using System.Runtime.InteropServices;
using AcqService.Core.Model;
using AcqService.Sources.Lsl;
using AcqService.Sources.Profiles;
using AcqService.Sources.Serial;
using AcqService.Sources.Simulation;
using AcqService.Host.Cli;
using AcqService.Host.Hosting;
using AcqService.Sessions;
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

    public string Usage => "./acq simulate [--duration SECONDS] [--profile FILE] [--seed N] [--settings FILE] [--serial [--daisy]] [--Lsl:Key=value ...]";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("duration", "SECONDS", "stop after this many seconds (default: until Ctrl+C)"),
        new("profile", "FILE", "profile with one simulated-eeg and one simulated-needle stream, optionally one simulated-nirs (default: the embedded simulated-needling)"),
        new("seed", "N", "random seed of the simulated devices"),
        new("settings", "FILE", "extra settings JSON (same layout as appsettings.json)"),
        new("serial", null, "instead of LSL: a simulated OpenBCI Cyton and needle trigger box on pseudo-terminals (prints the port paths)"),
        new("daisy", null, "with --serial: a 16-channel Cyton+Daisy instead of the 8-channel Cyton"),
    ];

    public bool AcceptsSettings => true;

    public async Task<int> RunAsync(ParsedArguments arguments, CancellationToken cancellationToken)
    {
        if (arguments.Positionals.Count > 0)
        {
            throw new UsageException($"unexpected argument '{arguments.Positionals[0]}'");
        }
        double? duration = arguments.Number("duration", 1, 30 * 24 * 3600);
        ulong? seed = null;
        if (arguments.Value("seed") is string seedText)
        {
            seed = ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong parsed) ? parsed : throw new UsageException($"--seed: '{seedText}' is not a non-negative integer");
        }
        if (SessionLauncher.LoadProfileAndSettings(arguments, arguments.Value("profile"), Name) is not { } loaded)
        {
            return ExitCodes.Usage;
        }
        (DeviceProfile profile, string profileSource, _, IConfigurationRoot configuration, AppSettings settings) = loaded;
        if (seed is ulong chosen)
        {
            settings.Simulation.Seed = chosen;
        }

        if (arguments.Flag("serial"))
        {
            return await SimulateSerialAsync(settings.Simulation, arguments.Flag("daisy"), duration, cancellationToken).ConfigureAwait(false);
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
                publisher = DeviceOutlets.Create(profile, settings.Simulation, duration, backend);
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
            {
                Console.Error.WriteLine($"acq {Name}: {profileSource}: {ex.Message}");
                return ExitCodes.Usage;
            }
            using (publisher)
            {
                Console.Out.WriteLine($"AcqService {CommandLineApp.Version}: simulating {profile.Name} ({profileSource}) on LSL, {(duration is double d ? d.ToString(CultureInfo.InvariantCulture) + " s" : "until Ctrl+C")}");
                Console.Out.WriteLine("Outlets:");
                Console.Out.WriteLine("  EEG:     " + LslDiscoveryHelp.Describe(publisher.EegStream));
                Console.Out.WriteLine("  markers: " + LslDiscoveryHelp.Describe(publisher.MarkerStream));
                if (publisher.NirsStream is { } nirs)
                {
                    Console.Out.WriteLine("  fNIRS:   " + LslDiscoveryHelp.Describe(nirs));
                }
                Console.Out.WriteLine($"Receive them with: ./acq run --profile device-profiles/{(publisher.NirsStream is null ? "lsl-needling.json" : "lsl-needling-nirs.json")}");
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
                Console.Out.WriteLine($"Published {publisher.SamplesPushed} {(publisher.NirsStream is null ? "EEG samples" : "EEG samples and fNIRS frames")} and {publisher.MarkersPushed} markers.");
                return interrupted && duration is not null ? ExitCodes.Interrupted : ExitCodes.Ok;
            }
        }
    }

    /// <summary>Runs the serial device simulators until Ctrl+C or the duration, printing the port paths to open.</summary>
    private static async Task<int> SimulateSerialAsync(SimulationSettings simulation, bool daisy, double? duration, CancellationToken cancellationToken)
    {
        if (!PseudoTerminal.IsSupported)
        {
            Console.Error.WriteLine("acq simulate: --serial needs pseudo-terminals (Linux or macOS)");
            return ExitCodes.Failure;
        }
        // Stable names (symbolic links) in a folder of this run, so a profile can name them before the devices exist.
        string folder = Path.Combine(Path.GetTempPath(), $"acq-serial-{Environment.ProcessId}");
        using var rig = new SerialSimulationRig(simulation, daisy, duration, LocalClock.Now, folder, leadSeconds: 1.0);
        string profile = daisy ? "openbci-cyton-daisy.json" : "openbci-cyton.json";
        Console.Out.WriteLine($"AcqService {CommandLineApp.Version}: simulated {(daisy ? "OpenBCI Cyton+Daisy (16 ch, 125 Hz)" : "OpenBCI Cyton (8 ch, 250 Hz)")} and needle trigger box, {(duration is double d ? d.ToString(CultureInfo.InvariantCulture) + " s" : "until Ctrl+C")}");
        Console.Out.WriteLine($"  Cyton:       {rig.CytonPort}  ->  {rig.CytonTerminal.SlavePath}  (115200 8N1; streams after 'b')");
        Console.Out.WriteLine($"  trigger box: {rig.TriggerPort}  ->  {rig.TriggerTerminal.SlavePath}  (one byte per needle event)");
        Console.Out.WriteLine($"Receive them with: ./acq run --profile device-profiles/{profile} after setting the two \"port\" fields to the paths above");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal))
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal))
        {
            rig.Start();
            try
            {
                while (!rig.Finished || duration is null)
                {
                    await Task.Delay(200, stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Ctrl+C: fall through to the summary.
            }
        }
        Console.Out.WriteLine($"Sent {rig.Cyton.PacketsSent} packets ({rig.Cyton.PacketsLost} due while nobody was streaming) and {rig.Trigger.Sent} trigger codes.");
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Leftover links in the temp folder are harmless.
        }
        return stop.IsCancellationRequested && duration is not null ? ExitCodes.Interrupted : ExitCodes.Ok;
    }
}
