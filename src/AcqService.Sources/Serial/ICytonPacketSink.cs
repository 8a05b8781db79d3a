namespace AcqService.Sources.Serial;

/// <summary>Receives packets from <see cref="CytonPacketDecoder"/> (an interface, not a delegate, so the hot path allocates nothing).</summary>
public interface ICytonPacketSink
{
    /// <summary>A valid packet; <paramref name="packet"/> is reused after the call returns.</summary>
    void OnPacket(CytonPacket packet);
}
