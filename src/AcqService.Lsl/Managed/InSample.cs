namespace AcqService.Lsl.Managed;

/// <summary>One received sample in the inlet buffer: timestamp (deduced ones filled in) and either numbers or strings.</summary>
internal readonly record struct InSample(double Timestamp, double[]? Numbers, string[]? Strings);
