using AcqService.Core.Model;
using AcqService.Core.Pipeline;

namespace AcqService.Sources.Simulation;

/// <summary>
/// A simulated needling set-up: one EEG amplifier, one needle-marker source and optionally one fNIRS device sharing a schedule and a
/// clock origin, so every marker corresponds to an injected response. Exposes the ground truth.
/// </summary>
public sealed class SimulationRig
{
    /// <summary>Creates the rig.</summary>
    /// <param name="settings">Simulation parameters.</param>
    /// <param name="eeg">EEG stream (signal, channels with 10-20 labels, µV).</param>
    /// <param name="markers">Needle marker stream.</param>
    /// <param name="pace">Live or as fast as possible.</param>
    /// <param name="durationSeconds">Seconds of data to produce; null = until stopped (live only).</param>
    /// <param name="clock">Local LSL clock.</param>
    public SimulationRig(SimulationSettings settings, StreamDescriptor eeg, StreamDescriptor markers, SimulationPace pace, double? durationSeconds, Func<double> clock)
        : this(settings, eeg, markers, null, pace, durationSeconds, clock)
    {
    }

    /// <summary>Creates the rig, optionally with a simulated fNIRS device on the same schedule and clock origin.</summary>
    /// <param name="settings">Simulation parameters.</param>
    /// <param name="eeg">EEG stream (signal, channels with 10-20 labels, µV).</param>
    /// <param name="markers">Needle marker stream.</param>
    /// <param name="nirs">fNIRS stream (signal, channels labelled <c>S1-D1 760</c>, V), or null for none.</param>
    /// <param name="pace">Live or as fast as possible.</param>
    /// <param name="durationSeconds">Seconds of data to produce; null = until stopped (live only).</param>
    /// <param name="clock">Local LSL clock.</param>
    public SimulationRig(SimulationSettings settings, StreamDescriptor eeg, StreamDescriptor markers, StreamDescriptor? nirs, SimulationPace pace, double? durationSeconds, Func<double> clock)
    {
        string[] problems = [.. settings.Validate()];
        if (problems.Length > 0)
        {
            throw new ArgumentException("invalid simulation settings: " + string.Join("; ", problems));
        }
        if (durationSeconds is null && pace == SimulationPace.Fast)
        {
            throw new ArgumentException("a simulation at fast pace needs a duration");
        }
        Settings = settings;
        Pace = pace;
        DurationSeconds = durationSeconds;
        Clock = clock;
        Schedule = NeedleSchedule.Create(settings, durationSeconds ?? 7 * 24 * 3600.0);
        // A small lead so both sources start before their first sample is due.
        Origin = clock() + 0.05;
        Eeg = new SimulatedEegSource(this, eeg);
        Markers = new SimulatedNeedleSource(this, markers);
        Nirs = nirs is null ? null : new SimulatedNirsSource(this, nirs);
    }

    /// <summary>Parameters.</summary>
    public SimulationSettings Settings { get; }

    /// <summary>Pace.</summary>
    public SimulationPace Pace { get; }

    /// <summary>Seconds of data, or null for unlimited.</summary>
    public double? DurationSeconds { get; }

    /// <summary>Local clock.</summary>
    public Func<double> Clock { get; }

    /// <summary>Local-clock time of sample 0 and of schedule time 0.</summary>
    public double Origin { get; }

    /// <summary>The needling protocol (ground truth).</summary>
    public NeedleSchedule Schedule { get; }

    /// <summary>The EEG source.</summary>
    public SimulatedEegSource Eeg { get; }

    /// <summary>The marker source.</summary>
    public SimulatedNeedleSource Markers { get; }

    /// <summary>The fNIRS source, or null when the rig has none.</summary>
    public SimulatedNirsSource? Nirs { get; }

    /// <summary>Every source: EEG, markers and, when present, fNIRS.</summary>
    public IReadOnlyList<ISource> Sources => Nirs is null ? [Eeg, Markers] : [Eeg, Markers, Nirs];
}
