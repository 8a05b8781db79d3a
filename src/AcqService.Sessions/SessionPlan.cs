using AcqService.Core.Analysis;
using AcqService.Core.Pipeline;

namespace AcqService.Sessions;

/// <summary>Everything a session needs besides its sources: analysis settings, conditions, regions.</summary>
public sealed class SessionPlan
{
    /// <summary>Aligner settings.</summary>
    public AlignerOptions Aligner { get; set; } = new();

    /// <summary>Epoching settings.</summary>
    public EpochOptions Epochs { get; set; } = new();

    /// <summary>Alpha settings.</summary>
    public AlphaOptions Alpha { get; set; } = new();

    /// <summary>fNIRS conversion (intensity → ΔHbO/ΔHbR).</summary>
    public HaemoglobinOptions Haemoglobin { get; set; } = new();

    /// <summary>Window of the needle-locked haemodynamic averages.</summary>
    public HaemodynamicWindow Haemodynamic { get; set; } = new();

    /// <summary>Edge policies.</summary>
    public PipelineOptions Pipeline { get; set; } = new();

    /// <summary>Marker label → condition rules (first match wins).</summary>
    public List<ConditionRule> Conditions { get; set; } = [];

    /// <summary>With no rules: each distinct marker label is its own condition.</summary>
    public bool LabelsAsConditions { get; set; }

    /// <summary>Regions of interest (name → channel labels).</summary>
    public Dictionary<string, List<string>> Regions { get; set; } = [];

    /// <summary>Validates all settings; returns every problem found.</summary>
    public IReadOnlyList<string> Validate() => [.. Aligner.Validate(), .. Epochs.Validate(), .. Alpha.Validate()];
}
