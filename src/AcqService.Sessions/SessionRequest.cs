using AcqService.Sources.Profiles;
using AcqService.Sources.Simulation;
using AcqService.Sources.Xdf;

namespace AcqService.Sessions;

/// <summary>Where a session's data comes from: devices described by a profile, or a recording.</summary>
public abstract record SessionInput
{
    private SessionInput()
    {
    }

    /// <summary>Live acquisition from the devices of a profile.</summary>
    /// <param name="Profile">The validated profile.</param>
    /// <param name="Source">How the profile is named in messages (its path, or <c>embedded:…</c>).</param>
    /// <param name="Json">The profile text, embedded in <c>session.json</c>.</param>
    public sealed record Devices(DeviceProfile Profile, string Source, string Json) : SessionInput;

    /// <summary>A recording run through the same pipeline as fast as possible (<c>acq analyze</c>).</summary>
    /// <param name="Path">The XDF file.</param>
    /// <param name="Replay">Which streams, and the pace.</param>
    /// <param name="Profile">A profile whose condition rules and regions replace the stored ones, or null.</param>
    /// <param name="ProfileSource">The profile's path, for messages and metadata.</param>
    /// <param name="LabelsAsConditions">Each distinct marker label is its own condition (ignore stored rules).</param>
    public sealed record Recording(string Path, XdfReplayOptions Replay, DeviceProfile? Profile = null, string? ProfileSource = null, bool LabelsAsConditions = false) : SessionInput;
}

/// <summary>How simulated devices reach the session.</summary>
public enum SimulatedTransport
{
    /// <summary>In-process: the simulator's sources are handed to the session.</summary>
    Direct,

    /// <summary>Published as LSL outlets in this process and received through LSL inlets (the whole LSL stack).</summary>
    Lsl,
}

/// <summary>A typed description of one session: what to read, the settings, where to write.</summary>
public sealed class SessionRequest
{
    /// <summary>Devices or a recording.</summary>
    public required SessionInput Input { get; init; }

    /// <summary>Bound settings (sections Session, Epochs, Alpha, Aligner, Simulation).</summary>
    public required AppSettings Settings { get; init; }

    /// <summary>Session folder; null for <c>Session:OutputRoot/&lt;date-time&gt;-&lt;name&gt;</c>.</summary>
    public string? OutputFolder { get; init; }

    /// <summary>Seconds to run (simulated duration; stops LSL sessions), or null until stopped.</summary>
    public double? DurationSeconds { get; init; }

    /// <summary>Pace of simulated devices.</summary>
    public SimulationPace Pace { get; init; } = SimulationPace.Live;

    /// <summary>How simulated devices reach the session.</summary>
    public SimulatedTransport Transport { get; init; } = SimulatedTransport.Direct;

    /// <summary>Local clock (tests pass a fixed one); null for the LSL clock.</summary>
    public Func<double>? Clock { get; init; }

    /// <summary>
    /// Markers entered by hand (control API, <c>acq mark</c>): added to the session as one more marker stream, recorded
    /// and epoched like any other. Live sessions only; null for none.
    /// </summary>
    public Sources.Manual.ManualMarkerSource? ManualMarkers { get; init; }

    /// <summary>
    /// Where the XDF recording goes when it must not be inside the session folder (the LabRecorder-style file name of
    /// the remote-control port); null for <c>&lt;folder&gt;/Session:RecordingFileName</c>.
    /// </summary>
    public string? RecordingPath { get; init; }
}
