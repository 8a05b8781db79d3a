using AcqService.Core.Model;
using AcqService.Sources.Simulation;

namespace AcqService.Sources.Serial;

/// <summary>
/// A simulated serial needling set-up: an OpenBCI Cyton (or Cyton+Daisy) and a needle trigger box, each behind its
/// own pseudo-terminal, sharing one needle schedule and one clock origin so every trigger byte matches an evoked
/// response in the EEG (ground truth). One thread paces both devices. The service side opens
/// <see cref="CytonPort"/> and <see cref="TriggerPort"/> with <see cref="System.IO.Ports.SerialPort"/>, so the whole
/// path — kernel tty, SerialPort, decoder, pipeline — runs without hardware.
/// </summary>
public sealed class SerialSimulationRig : IDisposable
{
    /// <summary>Channel labels of the simulated 8-channel Cyton.</summary>
    public static readonly IReadOnlyList<string> CytonLabels = ["Fz", "C3", "Cz", "C4", "Pz", "O1", "Oz", "O2"];

    /// <summary>Channel labels of the simulated 16-channel Cyton+Daisy (1–8 main board, 9–16 Daisy).</summary>
    public static readonly IReadOnlyList<string> DaisyLabels = ["Fp1", "Fp2", "F3", "Fz", "F4", "C3", "Cz", "C4", "CP1", "CP2", "P3", "Pz", "P4", "O1", "Oz", "O2"];

    private readonly Func<double> _clock;
    private Thread? _thread;
    private volatile bool _stop;

    /// <summary>Creates the devices (terminals open, nothing sent until <see cref="Start"/>).</summary>
    /// <param name="settings">Simulation parameters (signal, schedule).</param>
    /// <param name="daisy">True for a 16-channel Cyton+Daisy.</param>
    /// <param name="durationSeconds">Seconds of signal, or null for unlimited.</param>
    /// <param name="clock">Host clock (seconds; the local LSL clock).</param>
    /// <param name="linkFolder">Folder for stable port names (<c>cyton</c>, <c>trigger</c> symbolic links), or null to use the /dev/pts paths.</param>
    /// <param name="leadSeconds">Time from now to the origin (sample 0), so clients can open the ports first.</param>
    /// <param name="textTriggers">The trigger box sends text lines instead of bytes.</param>
    /// <param name="gain">Gain the Cyton quantises with.</param>
    public SerialSimulationRig(SimulationSettings settings, bool daisy, double? durationSeconds, Func<double> clock, string? linkFolder = null,
        double leadSeconds = 0.5, bool textTriggers = false, double gain = 24)
    {
        string[] problems = [.. settings.Validate()];
        if (problems.Length > 0)
        {
            throw new ArgumentException("invalid simulation settings: " + string.Join("; ", problems));
        }
        Settings = settings;
        Daisy = daisy;
        _clock = clock;
        Schedule = NeedleSchedule.Create(settings, durationSeconds ?? 7 * 24 * 3600.0);
        Labels = daisy ? DaisyLabels : CytonLabels;
        ChannelDescriptor[] channels = [.. Labels.Select(l => new ChannelDescriptor(l, "uV", "EEG"))];
        Generator = new EegSimulator(settings, Schedule, channels, CytonProtocol.PacketRateHz);
        if (linkFolder is not null)
        {
            Directory.CreateDirectory(linkFolder);
        }
        CytonTerminal = new PseudoTerminal(linkFolder is null ? null : Path.Combine(linkFolder, daisy ? "cyton-daisy" : "cyton"));
        TriggerTerminal = new PseudoTerminal(linkFolder is null ? null : Path.Combine(linkFolder, "trigger"));
        Origin = clock() + leadSeconds;
        Cyton = new CytonSimulator(CytonTerminal, Generator, daisy, gain, Origin, durationSeconds);
        Trigger = new TriggerBoxSimulator(TriggerTerminal, Schedule, settings.Sites, Origin, textTriggers);
    }

    /// <summary>Simulation parameters.</summary>
    public SimulationSettings Settings { get; }

    /// <summary>True for Cyton+Daisy.</summary>
    public bool Daisy { get; }

    /// <summary>Host-clock time of sample 0 and of schedule time 0.</summary>
    public double Origin { get; }

    /// <summary>The needling protocol (ground truth).</summary>
    public NeedleSchedule Schedule { get; }

    /// <summary>EEG channel labels.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The signal generator at 250 Hz (ground truth).</summary>
    public EegSimulator Generator { get; }

    /// <summary>The Cyton's terminal.</summary>
    public PseudoTerminal CytonTerminal { get; }

    /// <summary>The trigger box's terminal.</summary>
    public PseudoTerminal TriggerTerminal { get; }

    /// <summary>The simulated Cyton.</summary>
    public CytonSimulator Cyton { get; }

    /// <summary>The simulated trigger box.</summary>
    public TriggerBoxSimulator Trigger { get; }

    /// <summary>Port path of the Cyton.</summary>
    public string CytonPort => CytonTerminal.PortPath;

    /// <summary>Port path of the trigger box.</summary>
    public string TriggerPort => TriggerTerminal.PortPath;

    /// <summary>The trigger box's code map for a profile (code key → label).</summary>
    public Dictionary<string, string> TriggerCodes => TriggerBoxSimulator.CodeMap(Settings.Sites);

    /// <summary>True once both devices have sent everything of the duration.</summary>
    public bool Finished => Cyton.Finished && Trigger.Finished;

    /// <summary>Starts the pacing thread (about one step per millisecond).</summary>
    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "serial simulation", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    /// <summary>Waits until every packet and event of the duration is sent, or the timeout passes.</summary>
    public bool WaitFinished(TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (!Finished)
        {
            if (DateTime.UtcNow > until)
            {
                return false;
            }
            Thread.Sleep(20);
        }
        return true;
    }

    private void Run()
    {
        while (!_stop)
        {
            double now = _clock();
            Cyton.Step(now);
            Trigger.Step(now);
            // 1 ms sleep: packets leave within about a millisecond of their due time (Linux timer slack is 50 µs).
            Thread.Sleep(1);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stop = true;
        _thread?.Join(TimeSpan.FromSeconds(2));
        CytonTerminal.Dispose();
        TriggerTerminal.Dispose();
    }
}
