namespace AcqService.Lsl.Managed;

/// <summary>A peer broke the protocol (garbage, oversized length, bad test pattern); the connection is dropped.</summary>
internal sealed class LslProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LslProtocolException(string message) : base(message) { }
}
