namespace AcqService.Sources.Serial;

/// <summary>
/// Byte-level constants of the OpenBCI Cyton serial protocol (USB dongle, 115200 8N1): 33-byte packets
/// <c>A0 | counter | 8 × int24 big-endian | 6 aux bytes | C0…C6</c>, and the single-byte commands.
/// </summary>
public static class CytonProtocol
{
    /// <summary>Bytes per data packet.</summary>
    public const int PacketLength = 33;

    /// <summary>First byte of every data packet.</summary>
    public const byte Header = 0xA0;

    /// <summary>Lowest valid stop byte (accelerometer in aux).</summary>
    public const byte FirstFooter = 0xC0;

    /// <summary>Highest valid stop byte.</summary>
    public const byte LastFooter = 0xC6;

    /// <summary>Channels per board (and per packet).</summary>
    public const int ChannelsPerBoard = 8;

    /// <summary>Packet rate over the USB dongle (Hz); a Daisy set-up delivers 16-channel rows at half this rate.</summary>
    public const double PacketRateHz = 250;

    /// <summary>Command: start binary streaming.</summary>
    public const byte StartStreaming = (byte)'b';

    /// <summary>Command: stop streaming.</summary>
    public const byte StopStreaming = (byte)'s';

    /// <summary>Command: soft reset (banner ending in <c>$$$</c>).</summary>
    public const byte SoftReset = (byte)'v';

    /// <summary>Command: use the Daisy board (16 channels).</summary>
    public const byte Use16Channels = (byte)'C';

    /// <summary>Command: 8 channels only (Daisy removed).</summary>
    public const byte Use8Channels = (byte)'c';

    /// <summary>ADS1299 reference voltage (V).</summary>
    public const double ReferenceVolts = 4.5;

    /// <summary>Full-scale count of the 24-bit converter (2^23 − 1).</summary>
    public const double FullScaleCounts = 8388607.0;

    /// <summary>Accelerometer sensitivity (g per count of the 16-bit aux values, stop byte 0xC0).</summary>
    public const double AccelerometerGPerCount = 0.002 / 16;

    /// <summary>Gains the ADS1299 supports (channel-settings code 0…6).</summary>
    public static readonly IReadOnlyList<int> Gains = [1, 2, 4, 6, 8, 12, 24];

    /// <summary>µV per count at a gain: 4.5 V / gain / (2^23 − 1) × 1e6 (gain 24 → 0.0223517444553 µV).</summary>
    public static double MicrovoltsPerCount(double gain) => ReferenceVolts / gain / FullScaleCounts * 1e6;

    /// <summary>A 24-bit two's-complement big-endian value (sign-extended).</summary>
    public static int Int24(ReadOnlySpan<byte> bytes) => ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8)) >> 8;

    /// <summary>True for a valid stop byte (0xC0–0xC6).</summary>
    public static bool IsFooter(byte b) => b is >= FirstFooter and <= LastFooter;
}
