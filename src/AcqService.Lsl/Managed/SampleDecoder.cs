using AcqService.Core.Model;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace AcqService.Lsl.Managed;

/// <summary>
/// Decodes protocol-1.10 samples from a <see cref="FrameReader"/>: tags 1/2, deduced timestamps (previous +
/// 1/srate, restarting at 0 per connection), either byte order, length-checked strings.
/// </summary>
internal sealed class SampleDecoder
{
    private readonly FrameReader _reader;
    private readonly ChannelFormat _format;
    private readonly int _channels;
    private readonly double _srate;
    private readonly double _srateRecip;
    private readonly bool _bigEndian;
    private readonly SampleArrayPool? _pool;
    private double _previous;

    public SampleDecoder(FrameReader reader, ChannelFormat format, int channels, double srate, bool bigEndian, SampleArrayPool? pool = null)
    {
        _pool = pool;
        _reader = reader;
        _format = format;
        _channels = channels;
        _srate = srate;
        _srateRecip = srate > 0 ? 1.0 / srate : 0;
        _bigEndian = bigEndian;
    }

    /// <summary>Reads the next sample.</summary>
    /// <exception cref="LslProtocolException">Bad tag, bad string width or oversized string.</exception>
    public async ValueTask<InSample> ReadAsync(CancellationToken cancellationToken)
    {
        await _reader.EnsureAsync(1, cancellationToken).ConfigureAwait(false);
        byte tag = _reader.Span[0];
        _reader.Consume(1);
        double timestamp;
        if (tag == WireFormat.TagTimestamp)
        {
            await _reader.EnsureAsync(8, cancellationToken).ConfigureAwait(false);
            timestamp = _bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(_reader.Span) : BinaryPrimitives.ReadDoubleLittleEndian(_reader.Span);
            _reader.Consume(8);
        }
        else if (tag == WireFormat.TagDeduced)
        {
            timestamp = _srate > 0 ? _previous + _srateRecip : _previous;
        }
        else
        {
            throw new LslProtocolException($"invalid sample tag 0x{tag:x2}");
        }
        _previous = timestamp;
        if (_format == ChannelFormat.String)
        {
            string[] strings = new string[_channels];
            for (int k = 0; k < _channels; k++)
            {
                strings[k] = await ReadStringAsync(cancellationToken).ConfigureAwait(false);
            }
            return new InSample(timestamp, null, strings);
        }
        int size = _format.ValueSize();
        await _reader.EnsureAsync(size * _channels, cancellationToken).ConfigureAwait(false);
        double[] values = _pool?.Rent() ?? new double[_channels];
        Decode(_reader.Span, values);
        _reader.Consume(size * _channels);
        return new InSample(timestamp, values, null);
    }

    /// <summary>
    /// Decodes the next numeric sample if it is completely buffered (no await, no receive); otherwise returns false
    /// and sets <paramref name="needed"/> to the bytes the sample takes. Not for string streams.
    /// </summary>
    /// <exception cref="LslProtocolException">Bad tag.</exception>
    public bool TryDecodeBuffered(out InSample sample, out int needed)
    {
        ReadOnlySpan<byte> span = _reader.Span;
        int size = _format.ValueSize() * _channels;
        if (span.Length < 1)
        {
            sample = default;
            needed = 1 + size;
            return false;
        }
        byte tag = span[0];
        int header = tag switch
        {
            WireFormat.TagTimestamp => 9,
            WireFormat.TagDeduced => 1,
            _ => throw new LslProtocolException($"invalid sample tag 0x{tag:x2}"),
        };
        needed = header + size;
        if (span.Length < needed)
        {
            sample = default;
            return false;
        }
        double timestamp = tag == WireFormat.TagTimestamp
            ? (_bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(span[1..]) : BinaryPrimitives.ReadDoubleLittleEndian(span[1..]))
            : _srate > 0 ? _previous + _srateRecip : _previous;
        _previous = timestamp;
        double[] values = _pool?.Rent() ?? new double[_channels];
        Decode(span.Slice(header, size), values);
        _reader.Consume(needed);
        sample = new InSample(timestamp, values, null);
        return true;
    }

    private void Decode(ReadOnlySpan<byte> span, double[] values)
    {
        bool big = _bigEndian;
        if (big != BitConverter.IsLittleEndian)
        {
            // Wire order equals host order (the normal case): reinterpret instead of a per-value format switch.
            if (_format == ChannelFormat.Float32)
            {
                ReadOnlySpan<float> floats = MemoryMarshal.Cast<byte, float>(span[..(values.Length * 4)]);
                for (int k = 0; k < values.Length; k++)
                {
                    values[k] = floats[k];
                }
                return;
            }
            if (_format == ChannelFormat.Double64)
            {
                MemoryMarshal.Cast<byte, double>(span[..(values.Length * 8)]).CopyTo(values);
                return;
            }
        }
        for (int k = 0; k < values.Length; k++)
        {
            values[k] = _format switch
            {
                ChannelFormat.Float32 => big ? BinaryPrimitives.ReadSingleBigEndian(span[(k * 4)..]) : BinaryPrimitives.ReadSingleLittleEndian(span[(k * 4)..]),
                ChannelFormat.Double64 => big ? BinaryPrimitives.ReadDoubleBigEndian(span[(k * 8)..]) : BinaryPrimitives.ReadDoubleLittleEndian(span[(k * 8)..]),
                ChannelFormat.Int8 => (sbyte)span[k],
                ChannelFormat.Int16 => big ? BinaryPrimitives.ReadInt16BigEndian(span[(k * 2)..]) : BinaryPrimitives.ReadInt16LittleEndian(span[(k * 2)..]),
                ChannelFormat.Int32 => big ? BinaryPrimitives.ReadInt32BigEndian(span[(k * 4)..]) : BinaryPrimitives.ReadInt32LittleEndian(span[(k * 4)..]),
                ChannelFormat.Int64 => big ? BinaryPrimitives.ReadInt64BigEndian(span[(k * 8)..]) : BinaryPrimitives.ReadInt64LittleEndian(span[(k * 8)..]),
                _ => throw new LslProtocolException($"unsupported channel format {_format}"),
            };
        }
    }

    private async ValueTask<string> ReadStringAsync(CancellationToken cancellationToken)
    {
        await _reader.EnsureAsync(1, cancellationToken).ConfigureAwait(false);
        int width = _reader.Span[0];
        if (width is not (1 or 2 or 4 or 8))
        {
            throw new LslProtocolException($"invalid string length width {width}");
        }
        await _reader.EnsureAsync(1 + width, cancellationToken).ConfigureAwait(false);
        ReadOnlySpan<byte> field = _reader.Span.Slice(1, width);
        ulong length = width switch
        {
            1 => field[0],
            2 => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(field) : BinaryPrimitives.ReadUInt16LittleEndian(field),
            4 => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(field) : BinaryPrimitives.ReadUInt32LittleEndian(field),
            _ => _bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(field) : BinaryPrimitives.ReadUInt64LittleEndian(field),
        };
        if (length > LslLimits.MaxStringBytes)
        {
            throw new LslProtocolException($"string length {length} exceeds the limit of {LslLimits.MaxStringBytes} bytes");
        }
        int total = 1 + width + (int)length;
        await _reader.EnsureAsync(total, cancellationToken).ConfigureAwait(false);
        string text = Encoding.UTF8.GetString(_reader.Span.Slice(1 + width, (int)length));
        _reader.Consume(total);
        return text;
    }
}
