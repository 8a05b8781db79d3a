using System.Globalization;
using System.Text;
using AcqService.Core.Analysis;

namespace AcqService.Sinks;

/// <summary>End-of-session summary (<c>summary.json</c> / <c>summary.txt</c>).</summary>
public sealed class SessionSummary
{
    /// <summary>How and when the session ended (<see cref="SessionEndKind.Running"/> in the snapshots written while it runs).</summary>
    public SessionEnd? Ended { get; set; }

    /// <summary>Start of the session (UTC).</summary>
    public DateTimeOffset StartedUtc { get; set; }

    /// <summary>The locked protocol the session ran under, e.g. <c>st36-trial sha256 ab12…</c>; null (not written) without one.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Protocol { get; set; }

    /// <summary>Output files and whether each is complete (filled at the end).</summary>
    public List<OutputFileStatus> Files { get; set; } = [];

    /// <summary>Damage found in the input (a recording with corrupt chunks), one line each; empty for clean input.</summary>
    public List<string> InputDamage { get; set; } = [];

    /// <summary>Seconds of signal processed (longest signal stream).</summary>
    public double DurationSeconds { get; set; }

    /// <summary>Per stream: samples, effective rate, gaps.</summary>
    public List<StreamStatistics> Streams { get; set; } = [];

    /// <summary>Markers received per marker stream.</summary>
    public Dictionary<string, int> Markers { get; set; } = [];

    /// <summary>Accepted epochs per condition.</summary>
    public Dictionary<string, int> EpochsPerCondition { get; set; } = [];

    /// <summary>fNIRS: haemodynamic epochs averaged per stream and condition (<c>stream:condition</c>).</summary>
    public Dictionary<string, int> HaemodynamicEpochsPerCondition { get; set; } = [];

    /// <summary>fNIRS: motion-artefact events detected per stream (derivative rule; counted, not repaired).</summary>
    public Dictionary<string, long> MotionArtifactEvents { get; set; } = [];

    /// <summary>fNIRS: pre/post ΔHbO/ΔHbR per stream, condition, region and chromophore over the accepted haemodynamic epochs.</summary>
    public List<HaemodynamicConditionSummary> HaemodynamicPrePost { get; set; } = [];

    /// <summary>Drop counts by category (<c>DropReason.Category</c>: the kind, and the channel where one is named).</summary>
    public Dictionary<string, int> DropsByReason { get; set; } = [];

    /// <summary>Pre/post alpha per condition and region.</summary>
    public List<AlphaConditionSummary> Alpha { get; set; } = [];

    /// <summary>Edges with their throughput and drops.</summary>
    public List<EdgeStatistics> Edges { get; set; } = [];

    /// <summary>Errors that ended a source or stage early.</summary>
    public List<string> Errors { get; set; } = [];

    /// <summary>Plain-text rendering for the technician.</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        IFormatProvider ci = CultureInfo.InvariantCulture;
        sb.AppendLine(string.Create(ci, $"AcqService session summary — {DurationSeconds:F1} s of signal"));
        if (Ended is { } end)
        {
            sb.AppendLine(end.Kind == SessionEndKind.Running
                ? string.Create(ci, $"Still running (snapshot at {end.AtUtc:yyyy-MM-dd HH:mm:ss} UTC, {end.SessionSeconds:F0} s after the start)")
                : string.Create(ci, $"Ended: {end.Reason} — at {end.AtUtc:yyyy-MM-dd HH:mm:ss} UTC, {end.SessionSeconds:F1} s after the start"));
        }
        if (Protocol is not null)
        {
            sb.AppendLine("Locked protocol: " + Protocol);
        }
        sb.AppendLine();
        sb.AppendLine("Streams:");
        foreach (StreamStatistics s in Streams)
        {
            sb.AppendLine(string.Create(ci, $"  {s.Key,-12} {s.Samples,10} samples  {s.EffectiveRateHz,9:F3} Hz effective  gaps {s.Gaps}"));
        }
        foreach ((string stream, int count) in Markers)
        {
            sb.AppendLine(string.Create(ci, $"  {stream,-12} {count,10} markers"));
        }
        sb.AppendLine();
        sb.AppendLine("Epochs per condition:");
        foreach ((string condition, int count) in EpochsPerCondition)
        {
            sb.AppendLine(string.Create(ci, $"  {condition,-24} {count,6}"));
        }
        if (HaemodynamicEpochsPerCondition.Count > 0)
        {
            sb.AppendLine("Haemodynamic (fNIRS) epochs per condition:");
            foreach ((string condition, int count) in HaemodynamicEpochsPerCondition)
            {
                sb.AppendLine(string.Create(ci, $"  {condition,-24} {count,6}"));
            }
            foreach ((string stream, long events) in MotionArtifactEvents)
            {
                sb.AppendLine(string.Create(ci, $"  motion artefacts on {stream}: {events} event(s) detected (not repaired; epochs containing one are rejected)"));
            }
            if (HaemodynamicPrePost.Count > 0)
            {
                sb.AppendLine("Haemodynamic pre/post (µM, mean over epochs; change = post − pre ± SEM):");
                foreach (HaemodynamicConditionSummary h in HaemodynamicPrePost)
                {
                    sb.AppendLine(string.Create(ci, $"  {h.StreamKey}:{h.Condition,-20} {h.Region,-12} {h.Chromophore}  n={h.Events,3}  pre {h.PreMean,8:F3}  post {h.PostMean,8:F3}  change {h.Change,8:F3} ± {h.ChangeStandardError:F3}"));
                }
            }
        }
        if (DropsByReason.Count > 0)
        {
            sb.AppendLine("Dropped markers:");
            foreach ((string reason, int count) in DropsByReason)
            {
                sb.AppendLine(string.Create(ci, $"  {count,6}  {reason}"));
            }
        }
        sb.AppendLine();
        sb.AppendLine("Alpha power, post vs pre event (mean over events):");
        foreach (AlphaConditionSummary a in Alpha)
        {
            sb.AppendLine(string.Create(ci, $"  {a.Condition,-24} {a.Region,-20} n={a.Events,3}  pre {a.PreMean,8:F2} µV²  post {a.PostMean,8:F2} µV²  change {a.ChangePercent,7:+0.0;-0.0}% ± {(double.IsFinite(a.ChangePercentStandardError) ? a.ChangePercentStandardError.ToString("F1", ci) : "n/a")}"));
        }
        if (Edges.Any(e => e.Dropped > 0))
        {
            sb.AppendLine();
            sb.AppendLine("Display edges that dropped items (live view only; no data lost):");
            foreach (EdgeStatistics e in Edges.Where(e => e.Dropped > 0))
            {
                sb.AppendLine(string.Create(ci, $"  {e.Name}: {e.Dropped} of {e.Written + e.Dropped}"));
            }
        }
        if (InputDamage.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine(string.Create(ci, $"Damaged input ({InputDamage.Count} problem(s); everything readable was used):"));
            foreach (string problem in InputDamage.Take(20))
            {
                sb.AppendLine("  " + problem);
            }
            if (InputDamage.Count > 20)
            {
                sb.AppendLine(string.Create(ci, $"  … and {InputDamage.Count - 20} more (acq inspect lists them all)"));
            }
        }
        if (Files.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Files:");
            foreach (OutputFileStatus f in Files)
            {
                sb.AppendLine(f.Complete ? $"  {f.File}: complete" : $"  {f.File}: INCOMPLETE — {f.Error}");
            }
        }
        if (Errors.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Errors:");
            foreach (string error in Errors)
            {
                sb.AppendLine("  " + error);
            }
        }
        return sb.ToString();
    }
}

/// <summary>Statistics of one signal stream.</summary>
/// <param name="Key">Stream key.</param>
/// <param name="Samples">Samples received.</param>
/// <param name="EffectiveRateHz">(samples − 1) / (last − first timestamp).</param>
/// <param name="Gaps">Gaps reported or detected.</param>
public sealed record StreamStatistics(string Key, long Samples, double EffectiveRateHz, int Gaps);

/// <summary>Counters of one edge.</summary>
/// <param name="Name">Edge name.</param>
/// <param name="Mode">Full mode.</param>
/// <param name="Written">Items accepted.</param>
/// <param name="Dropped">Items dropped.</param>
public sealed record EdgeStatistics(string Name, string Mode, long Written, long Dropped);
