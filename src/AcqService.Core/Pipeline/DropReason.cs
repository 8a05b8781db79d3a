using System.Globalization;

namespace AcqService.Core.Pipeline;

/// <summary>Why a marker yielded no epoch on a stream. Sinks count by kind (and channel); the text is for people.</summary>
public enum DropKind : byte
{
    /// <summary>The stream had no data at all.</summary>
    NoData = 1,

    /// <summary>The stream ended before the marker time.</summary>
    StreamEnded,

    /// <summary>The marker precedes the stream's first sample by more than the placement tolerance.</summary>
    BeforeFirstSample,

    /// <summary>The marker arrived after its data had left the aligner's history.</summary>
    BeyondAlignmentHistory,

    /// <summary>The marker falls in a gap of the stream (next sample too far after it).</summary>
    InDataGap,

    /// <summary>No condition rule matches the marker label.</summary>
    NoConditionRule,

    /// <summary>The epoch would start before the first sample of the stream.</summary>
    EpochBeforeStart,

    /// <summary>The stream (recording or session) ended before the epoch was complete.</summary>
    EndedBeforeComplete,

    /// <summary>The epoch's data had already left the analyzer's buffer.</summary>
    BeyondEpochBuffer,

    /// <summary>A data gap lies inside the epoch.</summary>
    GapInEpoch,

    /// <summary>Peak-to-peak amplitude on a channel exceeds the rejection threshold.</summary>
    PeakToPeak,

    /// <summary>Peak-to-peak amplitude on a channel is below the flat threshold.</summary>
    Flat,

    /// <summary>A motion artefact (derivative rule of the fNIRS stage) lies inside a haemodynamic epoch.</summary>
    MotionArtifact,
}

/// <summary>
/// A typed drop reason: the kind, and where it applies the stream, channel, measured value and limit. Values are
/// carried as numbers so sinks count and publish them without parsing text; <see cref="ToString"/> gives the
/// sentence written to <c>drop_log.csv</c> (unchanged wording across versions, so files stay comparable).
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="Stream">Stream key the reason refers to (aligner reasons), or null.</param>
/// <param name="Channel">Channel label (peak-to-peak, flat), or null.</param>
/// <param name="Value">Measured value: peak-to-peak µV, lag or lead in seconds; NaN when not applicable.</param>
/// <param name="Limit">Threshold: µV, or seconds of history; NaN when not applicable.</param>
/// <param name="Haemodynamic">
/// The reason belongs to a haemodynamic (fNIRS) epoch: category and sentence are prefixed <c>haemodynamic</c>, amplitudes
/// are in µM, and for <see cref="DropKind.MotionArtifact"/> <paramref name="Value"/> is the artefact's time in the epoch (s).
/// </param>
public readonly record struct DropReason(DropKind Kind, string? Stream = null, string? Channel = null, double Value = double.NaN, double Limit = double.NaN, bool Haemodynamic = false)
{
    /// <summary>Short category for counting: the kind, and the channel where one is named (e.g. <c>peak-to-peak on CP1</c>).</summary>
    public string Category => Haemodynamic ? "haemodynamic: " + BaseCategory : BaseCategory;

    private string BaseCategory => Kind switch
    {
        DropKind.NoData => "stream had no data",
        DropKind.StreamEnded => "stream ended before the marker time",
        DropKind.BeforeFirstSample => "marker precedes the first sample",
        DropKind.BeyondAlignmentHistory => "marker arrived beyond the alignment history",
        DropKind.InDataGap => "marker falls in a data gap",
        DropKind.NoConditionRule => "no condition rule matches the marker label",
        DropKind.EpochBeforeStart => "epoch would start before the first sample of the stream",
        DropKind.EndedBeforeComplete => "recording ended before the epoch was complete",
        DropKind.BeyondEpochBuffer => "marker placed too late for the epoch buffer",
        DropKind.GapInEpoch => "data gap inside the epoch",
        DropKind.PeakToPeak => $"peak-to-peak over threshold on {Channel}",
        DropKind.Flat => $"flat channel {Channel}",
        DropKind.MotionArtifact => $"motion artefact on {Channel}",
        _ => Kind.ToString(),
    };

    /// <summary>The sentence written to the drop log.</summary>
    public override string ToString()
    {
        IFormatProvider ci = CultureInfo.InvariantCulture;
        if (Haemodynamic)
        {
            return "haemodynamic epoch: " + Kind switch
            {
                DropKind.PeakToPeak => string.Create(ci, $"peak-to-peak {Value:F2} µM on {Channel} exceeds {Limit} µM"),
                DropKind.MotionArtifact => string.Create(ci, $"motion artefact on {Channel} at {Value:+0.0;-0.0;0.0} s"),
                _ => (this with { Haemodynamic = false }).ToString(),
            };
        }
        return Kind switch
        {
            DropKind.NoData => $"stream '{Stream}' had no data",
            DropKind.StreamEnded => $"stream '{Stream}' ended before the marker time",
            DropKind.BeforeFirstSample => $"marker precedes the first sample of '{Stream}' by {Ms(Value)}",
            DropKind.BeyondAlignmentHistory => string.Create(ci, $"marker arrived {Value:F1} s late, beyond the {Limit} s alignment history"),
            DropKind.InDataGap => $"marker falls in a data gap of '{Stream}' (next sample {Ms(Value)} later)",
            DropKind.NoConditionRule => "no condition rule matches the marker label",
            DropKind.EpochBeforeStart => "epoch would start before the first sample of the stream",
            DropKind.EndedBeforeComplete => "recording ended before the epoch was complete",
            DropKind.BeyondEpochBuffer => string.Create(ci, $"marker placed too late: epoch data older than the {Limit} s buffer"),
            DropKind.GapInEpoch => "data gap inside the epoch",
            DropKind.PeakToPeak => string.Create(ci, $"peak-to-peak {Value:F1} µV on {Channel} exceeds {Limit} µV"),
            DropKind.Flat => string.Create(ci, $"flat: peak-to-peak {Value:F3} µV on {Channel} below {Limit} µV"),
            _ => Kind.ToString(),
        };
    }

    private static string Ms(double seconds) => (seconds * 1000).ToString("F1", CultureInfo.InvariantCulture) + " ms";
}
