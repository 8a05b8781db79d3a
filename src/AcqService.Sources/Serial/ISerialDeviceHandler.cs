namespace AcqService.Sources.Serial;

/// <summary>What a device driver does at each point of a <see cref="SerialConnectionLoop"/> (all calls on the loop's thread, except <see cref="OnStopping"/>).</summary>
internal interface ISerialDeviceHandler
{
    /// <summary>The port is open: reset decoders, send start commands.</summary>
    void OnConnected(ISerialTransport transport, bool reconnect);

    /// <summary>Bytes read; <paramref name="arrival"/> is the host clock right after the read returned.</summary>
    void OnBytes(ReadOnlySpan<byte> data, double arrival);

    /// <summary>The device was lost (I/O error, hang-up, silence); flush what is pending.</summary>
    void OnLost(string reason, double time);

    /// <summary>The session stops: send stop commands. Called from the cancellation callback, just before the port is closed.</summary>
    void OnStopping(ISerialTransport transport);
}
