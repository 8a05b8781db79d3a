using System.Buffers.Binary;

namespace AcqService.Xdf;

/// <summary>The XDF variable-length integer: one width byte (1, 4 or 8) followed by the value, little-endian.</summary>
internal static class XdfVarLen
{
    /// <summary>Width LabRecorder chooses for <paramref name="value"/>: 1 below 256, 4 up to uint.MaxValue, else 8.</summary>
    public static int WidthFor(ulong value) => value < 256 ? 1 : value <= uint.MaxValue ? 4 : 8;

    /// <summary>Writes the width byte and value; returns the number of bytes written (2, 5 or 9).</summary>
    public static int Write(Span<byte> destination, ulong value)
    {
        var width = WidthFor(value);
        destination[0] = (byte)width;
        switch (width)
        {
            case 1: destination[1] = (byte)value; break;
            case 4: BinaryPrimitives.WriteUInt32LittleEndian(destination[1..], (uint)value); break;
            default: BinaryPrimitives.WriteUInt64LittleEndian(destination[1..], value); break;
        }

        return 1 + width;
    }

    /// <summary>Reads a varlen int from <paramref name="source"/>; false when the width byte is invalid or the span is too short.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out ulong value, out int consumed)
    {
        value = 0;
        consumed = 0;
        if (source.IsEmpty)
        {
            return false;
        }

        var width = source[0];
        if (width is not (1 or 4 or 8) || source.Length < 1 + width)
        {
            return false;
        }

        value = width switch
        {
            1 => source[1],
            4 => BinaryPrimitives.ReadUInt32LittleEndian(source[1..]),
            _ => BinaryPrimitives.ReadUInt64LittleEndian(source[1..]),
        };
        consumed = 1 + width;
        return true;
    }
}
