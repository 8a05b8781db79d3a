using AcqService.Core.Model;
using AcqService.Core.Pipeline;

namespace AcqService.Core.Analysis;

/// <summary>What became of one marker on one epoched stream: an epoch, or a typed drop reason. One per marker per epoched stream.</summary>
/// <param name="StreamKey">Key of the epoched signal stream.</param>
/// <param name="Marker">The marker as received.</param>
/// <param name="MarkerTime">Marker time on the local clock (seconds).</param>
/// <param name="SampleIndex">Sample the epoch is locked to, or -1.</param>
/// <param name="Condition">Condition name, or null when no rule matched.</param>
/// <param name="Accepted">True when the epoch entered the condition average.</param>
/// <param name="Reason">Drop reason, null when accepted.</param>
/// <param name="ConditionCount">Epochs in the condition average after this outcome.</param>
public readonly record struct EpochOutcome(string StreamKey, Marker Marker, double MarkerTime, long SampleIndex, string? Condition, bool Accepted, DropReason? Reason, int ConditionCount);
