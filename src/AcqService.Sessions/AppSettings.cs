using AcqService.Core.Analysis;
using AcqService.Core.Analysis.Quality;
using AcqService.Core.Pipeline;
using AcqService.Sources.Simulation;

namespace AcqService.Sessions;

/// <summary>The configuration tree (appsettings.json, <c>--settings FILE</c>, <c>ACQ_*</c> environment variables, <c>--Section:Key=value</c>).</summary>
public sealed class AppSettings
{
    /// <summary>Section <c>Session</c>.</summary>
    public SessionOptions Session { get; set; } = new();

    /// <summary>Section <c>Epochs</c>.</summary>
    public EpochOptions Epochs { get; set; } = new();

    /// <summary>Section <c>Alpha</c>.</summary>
    public AlphaOptions Alpha { get; set; } = new();

    /// <summary>Section <c>Aligner</c>.</summary>
    public AlignerOptions Aligner { get; set; } = new();

    /// <summary>Section <c>Haemoglobin</c>: fNIRS intensity → ΔHbO/ΔHbR.</summary>
    public HaemoglobinOptions Haemoglobin { get; set; } = new();

    /// <summary>Section <c>Haemodynamic</c>: window of the needle-locked haemodynamic averages.</summary>
    public HaemodynamicWindow Haemodynamic { get; set; } = new();

    /// <summary>Section <c>Simulation</c>: overrides of the profile's simulation settings.</summary>
    public SimulationSettings Simulation { get; set; } = new();

    /// <summary>Section <c>Check</c>: thresholds of the pre-session signal check (<c>acq check</c>).</summary>
    public CheckThresholds Check { get; set; } = new();

    /// <summary>The locked protocol in force (set from <c>Session:ProtocolLock</c> by <see cref="Protocols.ProtocolLock.ApplyTo"/>), or null.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Protocols.ProtocolLock? Protocol { get; set; }
}
