namespace AcqService.Core.Model;

/// <summary>A span of a stream with no data (device reconnect, dropped samples, lost connection).</summary>
/// <param name="Stream">Dense stream index.</param>
/// <param name="Start">Raw timestamp of the last sample before the gap (stream clock, seconds).</param>
/// <param name="End">Raw timestamp of the first sample after the gap, or NaN while it is still open.</param>
/// <param name="MissingSamples">Estimated missing samples (from the nominal rate), 0 if unknown.</param>
/// <param name="Reason">Why, for the log and the session summary.</param>
public readonly record struct StreamGap(int Stream, double Start, double End, long MissingSamples, string Reason);
