namespace AcqService.Core.Model;

/// <summary>An event from a marker stream (e.g. <c>needle/insert;site=ST36;kind=real</c>).</summary>
/// <param name="Stream">Dense index of the marker stream.</param>
/// <param name="Timestamp">Raw timestamp in the marker source's clock (seconds).</param>
/// <param name="Label">Marker text as sent by the source.</param>
/// <param name="Code">Numeric code, if the source has one (trigger boxes, int32 marker streams).</param>
public readonly record struct Marker(int Stream, double Timestamp, string Label, int? Code = null);
