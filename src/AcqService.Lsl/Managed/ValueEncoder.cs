using AcqService.Core.Model;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace AcqService.Lsl.Managed;

/// <summary>
/// Converts pushed values to the stream's wire format once per push (little-endian value bytes, no tags); every
/// consumer then shares the same bytes. <c>offsets[i]..offsets[i+1]</c> delimit sample <c>i</c>.
/// </summary>
internal static class ValueEncoder
{
    /// <summary>Encodes <paramref name="data"/> (frames × channels).</summary>
    public static byte[] Encode(ChannelFormat format, int channels, ReadOnlySpan<double> data, out int[] offsets)
    {
        if (format == ChannelFormat.String)
        {
            string[] text = new string[data.Length];
            for (int i = 0; i < data.Length; i++)
            {
                text[i] = data[i].ToString("R", CultureInfo.InvariantCulture);
            }
            return EncodeStrings(channels, text, out offsets);
        }
        int size = format.ValueSize();
        byte[] bytes = new byte[data.Length * size];
        Span<byte> span = bytes;
        for (int i = 0; i < data.Length; i++)
        {
            double v = data[i];
            Span<byte> dst = span.Slice(i * size, size);
            switch (format)
            {
                case ChannelFormat.Float32: BinaryPrimitives.WriteSingleLittleEndian(dst, (float)v); break;
                case ChannelFormat.Double64: BinaryPrimitives.WriteDoubleLittleEndian(dst, v); break;
                default: WriteInteger(format, dst, ToInteger(v)); break;
            }
        }
        offsets = FixedOffsets(data.Length / Math.Max(1, channels), channels * size);
        return bytes;
    }

    /// <summary>Encodes float values (no conversion for float32 streams).</summary>
    public static byte[] Encode(ChannelFormat format, int channels, ReadOnlySpan<float> data, out int[] offsets)
    {
        if (format != ChannelFormat.Float32)
        {
            double[] wide = new double[data.Length];
            for (int i = 0; i < data.Length; i++)
            {
                wide[i] = data[i];
            }
            return Encode(format, channels, wide, out offsets);
        }
        byte[] bytes = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), data[i]);
        }
        offsets = FixedOffsets(data.Length / Math.Max(1, channels), channels * 4);
        return bytes;
    }

    /// <summary>Encodes integer values (exact for every integer format).</summary>
    public static byte[] Encode(ChannelFormat format, int channels, ReadOnlySpan<long> data, out int[] offsets)
    {
        if (format == ChannelFormat.String)
        {
            string[] text = new string[data.Length];
            for (int i = 0; i < data.Length; i++)
            {
                text[i] = data[i].ToString(CultureInfo.InvariantCulture);
            }
            return EncodeStrings(channels, text, out offsets);
        }
        int size = format.ValueSize();
        byte[] bytes = new byte[data.Length * size];
        for (int i = 0; i < data.Length; i++)
        {
            Span<byte> dst = bytes.AsSpan(i * size, size);
            switch (format)
            {
                case ChannelFormat.Float32: BinaryPrimitives.WriteSingleLittleEndian(dst, data[i]); break;
                case ChannelFormat.Double64: BinaryPrimitives.WriteDoubleLittleEndian(dst, data[i]); break;
                default: WriteInteger(format, dst, data[i]); break;
            }
        }
        offsets = FixedOffsets(data.Length / Math.Max(1, channels), channels * size);
        return bytes;
    }

    /// <summary>Encodes strings as length-prefixed UTF-8 (width 1 up to 255 bytes, else 4, like liblsl).</summary>
    public static byte[] EncodeStrings(int channels, ReadOnlySpan<string> data, out int[] offsets)
    {
        int frames = data.Length / Math.Max(1, channels);
        byte[][] utf8 = new byte[data.Length][];
        long total = 0;
        for (int i = 0; i < data.Length; i++)
        {
            utf8[i] = Encoding.UTF8.GetBytes(data[i] ?? "");
            total += (utf8[i].Length <= byte.MaxValue ? 2 : 5) + utf8[i].Length;
        }
        if (total > int.MaxValue)
        {
            throw new ArgumentException("chunk too large to encode");
        }
        byte[] bytes = new byte[total];
        offsets = new int[frames + 1];
        int position = 0;
        for (int i = 0; i < data.Length; i++)
        {
            if (i % channels == 0)
            {
                offsets[i / channels] = position;
            }
            position += WireFormat.EncodeStringLength(bytes.AsSpan(position), utf8[i].Length);
            utf8[i].CopyTo(bytes.AsSpan(position));
            position += utf8[i].Length;
        }
        offsets[frames] = position;
        return bytes;
    }

    private static int[] FixedOffsets(int frames, int sampleBytes)
    {
        int[] offsets = new int[frames + 1];
        for (int i = 0; i <= frames; i++)
        {
            offsets[i] = i * sampleBytes;
        }
        return offsets;
    }

    /// <summary>liblsl converts with a C++ cast (truncation); NaN becomes 0 and out-of-range values saturate instead of being undefined.</summary>
    private static long ToInteger(double v) => double.IsNaN(v) ? 0 : v >= 9.2233720368547758e18 ? long.MaxValue : v <= -9.2233720368547758e18 ? long.MinValue : (long)v;

    private static void WriteInteger(ChannelFormat format, Span<byte> dst, long v)
    {
        switch (format)
        {
            case ChannelFormat.Int8: dst[0] = (byte)(sbyte)Math.Clamp(v, sbyte.MinValue, sbyte.MaxValue); break;
            case ChannelFormat.Int16: BinaryPrimitives.WriteInt16LittleEndian(dst, (short)Math.Clamp(v, short.MinValue, short.MaxValue)); break;
            case ChannelFormat.Int32: BinaryPrimitives.WriteInt32LittleEndian(dst, (int)Math.Clamp(v, int.MinValue, int.MaxValue)); break;
            case ChannelFormat.Int64: BinaryPrimitives.WriteInt64LittleEndian(dst, v); break;
            default: throw new ArgumentOutOfRangeException(nameof(format));
        }
    }
}
