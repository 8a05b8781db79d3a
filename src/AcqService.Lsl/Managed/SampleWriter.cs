using AcqService.Core.Model;
using System.Buffers.Binary;

namespace AcqService.Lsl.Managed;

/// <summary>Growable little-endian byte buffer for encoding samples (one per outlet consumer, reused across writes).</summary>
internal sealed class SampleWriter
{
    private byte[] _buffer;
    private int _length;

    public SampleWriter(int capacity) => _buffer = new byte[Math.Max(16, capacity)];

    /// <summary>Encoded bytes so far.</summary>
    public int Length => _length;

    /// <summary>The encoded bytes.</summary>
    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    /// <summary>Forgets the content (keeps the capacity).</summary>
    public void Clear() => _length = 0;

    /// <summary>A copy of the content.</summary>
    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    private Span<byte> Grow(int count)
    {
        if (_length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_length + count, _buffer.Length * 2));
        }
        Span<byte> span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }

    /// <summary>Tag 1 alone, or tag 2 followed by the timestamp.</summary>
    public void WriteTagAndTimestamp(byte tag, double timestamp)
    {
        if (tag == WireFormat.TagDeduced)
        {
            Grow(1)[0] = WireFormat.TagDeduced;
            return;
        }
        Span<byte> span = Grow(9);
        span[0] = WireFormat.TagTimestamp;
        BinaryPrimitives.WriteDoubleLittleEndian(span[1..], timestamp);
    }

    /// <summary>Raw, already encoded bytes.</summary>
    public void WriteBytes(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Grow(bytes.Length));

    /// <summary>One numeric value given as an integer (exact for every integer format; floats via conversion).</summary>
    public void WriteNumeric(ChannelFormat format, long value)
    {
        switch (format)
        {
            case ChannelFormat.Float32: BinaryPrimitives.WriteSingleLittleEndian(Grow(4), value); break;
            case ChannelFormat.Double64: BinaryPrimitives.WriteDoubleLittleEndian(Grow(8), value); break;
            case ChannelFormat.Int8: Grow(1)[0] = (byte)(sbyte)value; break;
            case ChannelFormat.Int16: BinaryPrimitives.WriteInt16LittleEndian(Grow(2), (short)value); break;
            case ChannelFormat.Int32: BinaryPrimitives.WriteInt32LittleEndian(Grow(4), (int)value); break;
            case ChannelFormat.Int64: BinaryPrimitives.WriteInt64LittleEndian(Grow(8), value); break;
            default: throw new ArgumentOutOfRangeException(nameof(format));
        }
    }

    /// <summary>One string value (length-prefixed UTF-8).</summary>
    public void WriteString(ReadOnlySpan<byte> utf8)
    {
        Span<byte> prefix = stackalloc byte[5];
        int n = WireFormat.EncodeStringLength(prefix, utf8.Length);
        WriteBytes(prefix[..n]);
        WriteBytes(utf8);
    }
}
