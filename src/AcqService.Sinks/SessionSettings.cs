using AcqService.Core.Analysis;
using AcqService.Core.Pipeline;
using AcqService.Sources.Simulation;

namespace AcqService.Sinks;

/// <summary>
/// The <c>settings</c> object of <c>session.json</c> for a session on devices or simulators (<c>live</c>/<c>fast</c>):
/// the effective analysis settings and the session labels.
/// </summary>
/// <remarks>
/// Why a named type: the object used to be anonymous, which compile-time JSON contracts cannot describe. Members keep
/// the anonymous object's names, types and order, so <c>session.json</c> is byte for byte what it was.
/// </remarks>
public sealed class DeviceSessionSettings
{
    /// <summary>Epoching and ERP settings.</summary>
    public required EpochOptions Epochs { get; init; }

    /// <summary>Alpha power settings.</summary>
    public required AlphaOptions Alpha { get; init; }

    /// <summary>Aligner settings.</summary>
    public required AlignerOptions Aligner { get; init; }

    /// <summary>Simulator settings (used only by simulated devices).</summary>
    public required SimulationSettings Simulation { get; init; }

    /// <summary>Requested duration (s), or null for until stopped.</summary>
    public double? DurationSeconds { get; init; }

    /// <summary><c>lsl</c> (simulated devices published over LSL) or <c>direct</c>.</summary>
    public required string Transport { get; init; }

    /// <summary>Subject (<c>Session:SubjectId</c>).</summary>
    public required string SubjectId { get; init; }

    /// <summary>Session label (<c>Session:SessionLabel</c>).</summary>
    public required string SessionLabel { get; init; }

    /// <summary>Protocol name (<c>Session:Protocol</c>).</summary>
    public required string Protocol { get; init; }

    /// <summary>Task label (<c>Session:Task</c>).</summary>
    public required string Task { get; init; }

    /// <summary>Run label (<c>Session:Run</c>).</summary>
    public required string Run { get; init; }
}

/// <summary>The <c>settings</c> object of <c>session.json</c> for the analysis of a recording (<c>analyze</c>).</summary>
/// <remarks>Named for the same reason as <see cref="DeviceSessionSettings"/>; names, types and order are the former anonymous object's.</remarks>
public sealed class RecordingAnalysisSettings
{
    /// <summary>Epoching and ERP settings.</summary>
    public required EpochOptions Epochs { get; init; }

    /// <summary>Alpha power settings.</summary>
    public required AlphaOptions Alpha { get; init; }

    /// <summary>Aligner settings.</summary>
    public required AlignerOptions Aligner { get; init; }

    /// <summary>Condition rules applied (empty: one condition per distinct marker label).</summary>
    public required List<ConditionRule> Conditions { get; init; }

    /// <summary>True when every distinct marker label is its own condition.</summary>
    public bool LabelsAsConditions { get; init; }

    /// <summary>Regions of interest (name → channel labels).</summary>
    public required Dictionary<string, List<string>> Regions { get; init; }

    /// <summary>Path of the analysed recording.</summary>
    public required string Recording { get; init; }
}
