namespace AcqService.Core.Model;

/// <summary>
/// A clock-offset measurement for one stream, as in XDF: <see cref="Offset"/> seconds must be added to the
/// stream's raw timestamps to map them into the local (recording) clock; <see cref="CollectionTime"/> is the
/// measurement instant expressed in the stream's own clock.
/// </summary>
/// <param name="Stream">Dense stream index.</param>
/// <param name="CollectionTime">When it was measured, in the stream's clock (seconds).</param>
/// <param name="Offset">local − remote, seconds.</param>
public readonly record struct ClockOffset(int Stream, double CollectionTime, double Offset);
