namespace AcqService.Lsl.Managed;

/// <summary>One queued outgoing sample: resolved timestamp, pushthrough flag and its encoded value bytes (shared by all consumers).</summary>
internal readonly record struct OutSample(double Timestamp, bool Pushthrough, ReadOnlyMemory<byte> Values);
