namespace AcqService.Xdf;

/// <summary>One clock offset measurement.</summary>
/// <param name="CollectionTime">Measurement instant in the stream's clock (seconds).</param>
/// <param name="Value">Seconds to add to stream timestamps to map them into the recorder's clock.</param>
public readonly record struct XdfClockOffset(double CollectionTime, double Value);
