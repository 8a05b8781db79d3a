using System.Buffers.Binary;

namespace AcqService.Sources.Serial;

/// <summary>
/// One decoded 33-byte Cyton packet. The decoder reuses a single instance (read it synchronously, copy what you keep),
/// so decoding allocates nothing.
/// </summary>
public sealed class CytonPacket
{
    /// <summary>Sample counter byte (0–255, wraps).</summary>
    public byte SampleNumber { get; internal set; }

    /// <summary>Stop byte (0xC0–0xC6): says what the 6 aux bytes mean.</summary>
    public byte Footer { get; internal set; }

    /// <summary>Raw channel values (sign-extended 24-bit counts), 8 entries.</summary>
    public int[] Counts { get; } = new int[CytonProtocol.ChannelsPerBoard];

    /// <summary>The 6 aux bytes as sent.</summary>
    public byte[] Aux { get; } = new byte[6];

    /// <summary>True when the aux bytes hold accelerometer X, Y, Z as 16-bit big-endian values (stop byte 0xC0).</summary>
    public bool HasAccelerometer => Footer == 0xC0;

    /// <summary>True when bytes 29–32 hold the board time (stop bytes 0xC3–0xC6).</summary>
    public bool HasBoardTime => Footer is >= 0xC3 and <= 0xC6;

    /// <summary>Accelerometer axis (0 = X, 1 = Y, 2 = Z) in g; only meaningful with <see cref="HasAccelerometer"/> (zeros when the accelerometer had no new value).</summary>
    public double AccelerometerG(int axis) =>
        BinaryPrimitives.ReadInt16BigEndian(Aux.AsSpan(2 * axis, 2)) * CytonProtocol.AccelerometerGPerCount;

    /// <summary>Board time in ms since board start (stop bytes 0xC3–0xC6: bytes 29–32, most significant first).</summary>
    public uint BoardTimeMs => BinaryPrimitives.ReadUInt32BigEndian(Aux.AsSpan(2, 4));

    /// <summary>Stop bytes 0xC3/0xC4: accelerometer code (<c>X x Y y Z z</c> = high/low byte of an axis); 0xC5/0xC6: first raw aux byte.</summary>
    public byte AuxCode => Aux[0];

    /// <summary>Stop bytes 0xC3/0xC4: the accelerometer byte named by <see cref="AuxCode"/>; 0xC5/0xC6: second raw aux byte.</summary>
    public byte AuxValue => Aux[1];

    /// <summary>True for the stop bytes sent once after a board time-sync request (0xC3, 0xC5).</summary>
    public bool IsTimeSyncSet => Footer is 0xC3 or 0xC5;
}
