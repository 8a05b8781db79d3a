using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Xml.Linq;
using AcqService.Core.Model;

namespace AcqService.Xdf;

/// <summary>
/// Incremental, LabRecorder-compatible XDF 1.0 writer.
/// </summary>
/// <remarks>
/// Every chunk is assembled in a reusable memory buffer and handed to the underlying stream with a single
/// <see cref="Stream.Write(byte[], int, int)"/>, so a crash leaves at most one partial chunk at the end of the file,
/// which <see cref="XdfReader"/> reports and <c>XdfRepair</c> removes. All public members are thread-safe.
/// Timestamps are seconds in the stream's LSL clock; they are written as-is (no synchronisation).
/// </remarks>
public sealed class XdfWriter : IDisposable
{
    // Room in front of the tag for the widest chunk header (width byte + 8-byte length), so the header can be
    // filled in after the content length is known without moving the content.
    private const int HeaderReserve = 9;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly bool _omitDeducible;
    private readonly Lock _gate = new();
    private readonly Dictionary<uint, StreamState> _streams = [];
    private readonly List<StreamState> _streamOrder = [];
    private byte[] _buffer = new byte[64 * 1024];
    private int _position;
    private bool _completed;
    private bool _disposed;

    /// <summary>Starts an XDF file on <paramref name="stream"/>: writes the magic and the FileHeader chunk.</summary>
    /// <param name="stream">A writable stream positioned where the file starts.</param>
    /// <param name="options">Writer options; null for defaults.</param>
    /// <param name="leaveOpen">True to leave <paramref name="stream"/> open on dispose.</param>
    public XdfWriter(Stream stream, XdfWriterOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream must be writable.", nameof(stream));
        }

        options ??= new XdfWriterOptions();
        _stream = stream;
        _leaveOpen = leaveOpen;
        _omitDeducible = options.OmitDeducibleTimestamps;
        _stream.Write(XdfConstants.Magic);
        var header = options.FileHeaderXml ?? BuildFileHeaderXml(options);
        BeginChunk(XdfChunkTag.FileHeader);
        WriteUtf8(header);
        EndChunk();
    }

    /// <summary>Creates (or overwrites) a file at <paramref name="path"/> and starts an XDF file in it.</summary>
    /// <param name="path">File path.</param>
    /// <param name="options">Writer options; null for defaults.</param>
    /// <returns>A writer that owns the file stream.</returns>
    public static XdfWriter Create(string path, XdfWriterOptions? options = null)
    {
        var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        try
        {
            return new XdfWriter(file, options);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Builds a minimal LSL-style stream info XML document for <see cref="AddStream"/>.</summary>
    /// <param name="name">Stream name.</param>
    /// <param name="type">Content type, e.g. EEG or Markers.</param>
    /// <param name="channelCount">Channels per sample.</param>
    /// <param name="nominalSrate">Nominal rate in Hz (0 for irregular streams).</param>
    /// <param name="channelFormat">Value type.</param>
    /// <param name="sourceId">Optional LSL source_id.</param>
    /// <param name="desc">Optional <c>desc</c> element (channel list, manufacturer, …).</param>
    /// <returns>The XML text.</returns>
    public static string CreateStreamInfoXml(
        string name,
        string type,
        int channelCount,
        double nominalSrate,
        ChannelFormat channelFormat,
        string? sourceId = null,
        XElement? desc = null)
    {
        var info = new XElement(
            "info",
            new XElement("name", name),
            new XElement("type", type),
            new XElement("channel_count", channelCount.ToString(CultureInfo.InvariantCulture)),
            new XElement("nominal_srate", XdfXml.Format(nominalSrate)),
            new XElement("channel_format", ChannelFormats.ToName(channelFormat)),
            new XElement("source_id", sourceId ?? string.Empty),
            desc ?? new XElement("desc"));
        return "<?xml version=\"1.0\"?>" + info.ToString(SaveOptions.DisableFormatting);
    }

    /// <summary>Declares a stream and writes its StreamHeader chunk.</summary>
    /// <param name="streamId">Writer-chosen id, unique within the file.</param>
    /// <param name="streamInfoXml">The stream's info XML (e.g. LSL <c>as_xml()</c>); its channel_count, nominal_srate and channel_format must match the other arguments.</param>
    /// <param name="channelFormat">Value type of every channel.</param>
    /// <param name="channelCount">Channels per sample (≥ 1).</param>
    /// <param name="nominalSrate">Nominal rate in Hz, 0 for irregular streams.</param>
    /// <exception cref="ArgumentException">The id is already used, or the XML disagrees with the arguments.</exception>
    public void AddStream(uint streamId, string streamInfoXml, ChannelFormat channelFormat, int channelCount, double nominalSrate)
    {
        ArgumentNullException.ThrowIfNull(streamInfoXml);
        ArgumentOutOfRangeException.ThrowIfLessThan(channelCount, 1);
        if (!double.IsFinite(nominalSrate) || nominalSrate < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(nominalSrate), nominalSrate, "Nominal rate must be finite and ≥ 0.");
        }

        _ = ChannelFormats.ToName(channelFormat);
        // Readers decode samples from the XML, not from our arguments, so a mismatch would corrupt every chunk.
        if (!XdfStreamHeader.TryParse(streamId, streamInfoXml, out var parsed, out var error))
        {
            throw new ArgumentException($"Stream info XML is not usable: {error}.", nameof(streamInfoXml));
        }

        if (parsed!.ChannelCount != channelCount || parsed.ChannelFormat != channelFormat || parsed.NominalSrate != nominalSrate)
        {
            throw new ArgumentException("Stream info XML disagrees with channelFormat/channelCount/nominalSrate.", nameof(streamInfoXml));
        }

        lock (_gate)
        {
            ThrowIfClosed();
            if (_streams.ContainsKey(streamId))
            {
                throw new ArgumentException($"Stream {streamId} was already added.", nameof(streamId));
            }

            var state = new StreamState(streamId, channelFormat, channelCount, nominalSrate);
            BeginChunk(XdfChunkTag.StreamHeader);
            WriteUInt32(streamId);
            WriteUtf8(streamInfoXml);
            EndChunk();
            _streams.Add(streamId, state);
            _streamOrder.Add(state);
        }
    }

    /// <summary>Writes one Samples chunk of a numeric stream; values are converted to the stream's format.</summary>
    /// <param name="streamId">A stream declared with <see cref="AddStream"/>.</param>
    /// <param name="timestamps">One LSL timestamp per sample (seconds).</param>
    /// <param name="values">Sample-major interleaved values, <c>timestamps.Length × channelCount</c> long.</param>
    /// <remarks>Integer formats round half away from zero and saturate; NaN becomes 0.</remarks>
    public void WriteSamples(uint streamId, ReadOnlySpan<double> timestamps, ReadOnlySpan<double> values) =>
        WriteSamplesCore<double, NumericEncoder<double>>(streamId, timestamps, values);

    /// <summary>Writes one Samples chunk of a numeric stream from single-precision values (no conversion for float32 streams).</summary>
    /// <param name="streamId">A stream declared with <see cref="AddStream"/>.</param>
    /// <param name="timestamps">One LSL timestamp per sample (seconds).</param>
    /// <param name="values">Sample-major interleaved values, <c>timestamps.Length × channelCount</c> long.</param>
    public void WriteSamples(uint streamId, ReadOnlySpan<double> timestamps, ReadOnlySpan<float> values) =>
        WriteSamplesCore<float, NumericEncoder<float>>(streamId, timestamps, values);

    /// <summary>Writes one Samples chunk of a string stream (UTF-8 encoded; null is written as an empty string).</summary>
    /// <param name="streamId">A string stream declared with <see cref="AddStream"/>.</param>
    /// <param name="timestamps">One LSL timestamp per sample (seconds).</param>
    /// <param name="values">Sample-major interleaved values, <c>timestamps.Length × channelCount</c> long.</param>
    public void WriteSamples(uint streamId, ReadOnlySpan<double> timestamps, ReadOnlySpan<string> values) =>
        WriteSamplesCore<string, StringEncoder>(streamId, timestamps, values);

    /// <summary>
    /// The one sample path: chunk header, then per sample the timestamp (or its omission) and the values as
    /// <typeparamref name="TEncoder"/> encodes them. The encoder is a struct type argument, so each overload gets its
    /// own specialised, allocation-free loop.
    /// </summary>
    private void WriteSamplesCore<T, TEncoder>(uint streamId, ReadOnlySpan<double> timestamps, ReadOnlySpan<T> values)
        where TEncoder : struct, ISampleEncoder<T>
    {
        lock (_gate)
        {
            var state = BeginSamples(streamId, timestamps.Length, values.Length, TEncoder.Numeric);
            if (state is null)
            {
                return;
            }

            var channels = state.ChannelCount;
            for (var i = 0; i < timestamps.Length; i++)
            {
                var sample = values.Slice(i * channels, channels);
                EnsureCapacity(9 + TEncoder.MaxBytes(sample, state.Format));
                WriteTimestamp(state, timestamps[i]);
                _position += TEncoder.Encode(sample, state.Format, _buffer.AsSpan(_position));
            }

            EndSamples(state, timestamps);
        }
    }

    /// <summary>Writes a ClockOffset chunk and remembers it for the stream's footer.</summary>
    /// <param name="streamId">A stream declared with <see cref="AddStream"/>.</param>
    /// <param name="collectionTime">Measurement instant in the stream's clock (LabRecorder: recorder time − offset).</param>
    /// <param name="offset">Seconds to add to the stream's timestamps to map them into the recorder's clock.</param>
    public void WriteClockOffset(uint streamId, double collectionTime, double offset)
    {
        lock (_gate)
        {
            ThrowIfClosed();
            var state = GetStream(streamId);
            BeginChunk(XdfChunkTag.ClockOffset);
            WriteUInt32(streamId);
            WriteDouble(collectionTime);
            WriteDouble(offset);
            EndChunk();
            state.ClockOffsets.Add(new XdfClockOffset(collectionTime, offset));
        }
    }

    /// <summary>Writes a Boundary chunk (a resynchronisation point for readers; LabRecorder writes one every ~10 s).</summary>
    public void WriteBoundary()
    {
        lock (_gate)
        {
            ThrowIfClosed();
            BeginChunk(XdfChunkTag.Boundary);
            EnsureCapacity(16);
            XdfConstants.BoundaryUuid.CopyTo(_buffer.AsSpan(_position));
            _position += 16;
            EndChunk();
        }
    }

    /// <summary>Flushes buffered bytes to the underlying stream.</summary>
    /// <param name="toDisk">Also ask the operating system to write through to the device (only for <see cref="FileStream"/>).</param>
    public void Flush(bool toDisk)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (toDisk && _stream is FileStream file)
            {
                file.Flush(flushToDisk: true);
            }
            else
            {
                _stream.Flush();
            }
        }
    }

    /// <summary>Returns the footer statistics collected so far for a stream.</summary>
    /// <param name="streamId">A stream declared with <see cref="AddStream"/>.</param>
    /// <returns>First/last timestamp (0 when empty), sample count and the clock offsets written.</returns>
    public XdfStreamFooter GetStreamStatistics(uint streamId)
    {
        lock (_gate)
        {
            var state = GetStream(streamId);
            return new XdfStreamFooter(state.First, state.Last, state.Count, [.. state.ClockOffsets], BuildFooterXml(state));
        }
    }

    /// <summary>Writes the StreamFooter of every stream and flushes. Further writes throw; calling it twice does nothing.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_completed)
            {
                return;
            }

            foreach (var state in _streamOrder)
            {
                BeginChunk(XdfChunkTag.StreamFooter);
                WriteUInt32(state.StreamId);
                WriteUtf8(BuildFooterXml(state));
                EndChunk();
            }

            _completed = true;
            _stream.Flush();
        }
    }

    /// <summary>Completes the file (footers) if that has not happened yet, then closes the stream unless it was left open.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            try
            {
                Complete();
            }
            finally
            {
                _disposed = true;
                if (!_leaveOpen)
                {
                    _stream.Dispose();
                }
            }
        }
    }

    private static string BuildFileHeaderXml(XdfWriterOptions options)
    {
        var now = options.TimeProvider.GetLocalNow();
        // LabRecorder prints the UTC offset without a colon (+0000); milliseconds are our addition.
        var offset = now.Offset;
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        offset = offset.Duration();
        var datetime = now.ToString("yyyy-MM-dd'T'HH:mm:ss.fff", CultureInfo.InvariantCulture)
            + sign + offset.Hours.ToString("00", CultureInfo.InvariantCulture) + offset.Minutes.ToString("00", CultureInfo.InvariantCulture);
        var info = new XElement("info", new XElement("version", "1.0"), new XElement("datetime", datetime));
        foreach (var element in options.HeaderElements)
        {
            info.Add(new XElement(element));
        }

        return "<?xml version=\"1.0\"?>" + info.ToString(SaveOptions.DisableFormatting);
    }

    private static string BuildFooterXml(StreamState state)
    {
        var builder = new StringBuilder(256 + (state.ClockOffsets.Count * 64));
        builder.Append("<?xml version=\"1.0\"?><info><first_timestamp>").Append(XdfXml.Format(state.First))
            .Append("</first_timestamp><last_timestamp>").Append(XdfXml.Format(state.Last))
            .Append("</last_timestamp><sample_count>").Append(XdfXml.Format(state.Count))
            .Append("</sample_count><clock_offsets>");
        foreach (var offset in state.ClockOffsets)
        {
            builder.Append("<offset><time>").Append(XdfXml.Format(offset.CollectionTime))
                .Append("</time><value>").Append(XdfXml.Format(offset.Value)).Append("</value></offset>");
        }

        return builder.Append("</clock_offsets></info>").ToString();
    }

    private StreamState? BeginSamples(uint streamId, int sampleCount, int valueCount, bool numeric)
    {
        ThrowIfClosed();
        var state = GetStream(streamId);
        if ((state.Format != ChannelFormat.String) != numeric)
        {
            throw new ArgumentException(
                $"Stream {streamId} has format {ChannelFormats.ToName(state.Format)}; use the {(numeric ? "string" : "numeric")} overload.",
                nameof(streamId));
        }

        if ((long)sampleCount * state.ChannelCount != valueCount)
        {
            throw new ArgumentException(
                $"Expected {sampleCount} × {state.ChannelCount} values, got {valueCount}.", nameof(streamId));
        }

        if (sampleCount == 0)
        {
            // LabRecorder never writes empty Samples chunks.
            return null;
        }

        BeginChunk(XdfChunkTag.Samples);
        WriteUInt32(streamId);
        EnsureCapacity(9);
        _position += XdfVarLen.Write(_buffer.AsSpan(_position), (ulong)sampleCount);
        return state;
    }

    private void EndSamples(StreamState state, ReadOnlySpan<double> timestamps)
    {
        // Stats are only updated once the chunk is in the stream, so a failed write cannot make the footer lie.
        EndChunk();
        if (state.Count == 0)
        {
            state.First = timestamps[0];
        }

        state.Last = timestamps[^1];
        state.Count += timestamps.Length;
    }

    private void WriteTimestamp(StreamState state, double timestamp)
    {
        // Exact double equality with the reader's deduction (previous + 1/srate), so decoding reproduces the bits.
        if (_omitDeducible && state.Tdiff > 0 && state.HasPrevious && timestamp == state.Previous + state.Tdiff)
        {
            _buffer[_position++] = 0;
        }
        else
        {
            _buffer[_position++] = 8;
            BinaryPrimitives.WriteDoubleLittleEndian(_buffer.AsSpan(_position), timestamp);
            _position += 8;
        }

        state.Previous = timestamp;
        state.HasPrevious = true;
    }

    private static long Saturate(double value, long min, long max)
    {
        if (double.IsNaN(value))
        {
            return 0;
        }

        var rounded = Math.Round(value, MidpointRounding.AwayFromZero);
        return rounded <= min ? min : rounded >= max ? max : (long)rounded;
    }

    private static long SaturateInt64(double value)
    {
        if (double.IsNaN(value))
        {
            return 0;
        }

        // 2^63 is the first double above long.MaxValue; casting it would be undefined in older runtimes.
        var rounded = Math.Round(value, MidpointRounding.AwayFromZero);
        return rounded >= 9.2233720368547758E18 ? long.MaxValue : rounded <= -9.2233720368547758E18 ? long.MinValue : (long)rounded;
    }

    private StreamState GetStream(uint streamId) =>
        _streams.TryGetValue(streamId, out var state)
            ? state
            : throw new ArgumentException($"Stream {streamId} was not added.", nameof(streamId));

    private void ThrowIfClosed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed)
        {
            throw new InvalidOperationException("The XDF file was completed; no more chunks can be written.");
        }
    }

    private void BeginChunk(XdfChunkTag tag)
    {
        _position = HeaderReserve;
        EnsureCapacity(2);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(_position), (ushort)tag);
        _position += 2;
    }

    private void EndChunk()
    {
        var length = (ulong)(_position - HeaderReserve);
        Span<byte> header = stackalloc byte[HeaderReserve];
        var headerLength = XdfVarLen.Write(header, length);
        var start = HeaderReserve - headerLength;
        header[..headerLength].CopyTo(_buffer.AsSpan(start));
        _stream.Write(_buffer, start, _position - start);
        _position = 0;
    }

    private void EnsureCapacity(int additional)
    {
        var needed = (long)_position + additional;
        if (needed <= _buffer.Length)
        {
            return;
        }

        if (needed > Array.MaxLength)
        {
            throw new InvalidOperationException("Chunk too large; write fewer samples per call.");
        }

        Array.Resize(ref _buffer, (int)Math.Min(Array.MaxLength, Math.Max(needed, (long)_buffer.Length * 2)));
    }

    private void WriteUInt32(uint value)
    {
        EnsureCapacity(4);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_position), value);
        _position += 4;
    }

    private void WriteDouble(double value)
    {
        EnsureCapacity(8);
        BinaryPrimitives.WriteDoubleLittleEndian(_buffer.AsSpan(_position), value);
        _position += 8;
    }

    private void WriteUtf8(string text)
    {
        EnsureCapacity(Encoding.UTF8.GetMaxByteCount(text.Length));
        _position += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_position));
    }

    /// <summary>Encodes the values of one sample into a Samples chunk.</summary>
    /// <typeparam name="T">Value type the caller holds.</typeparam>
    private interface ISampleEncoder<T>
    {
        /// <summary>True for numeric streams, false for string streams.</summary>
        static abstract bool Numeric { get; }

        /// <summary>An upper bound of the bytes <see cref="Encode"/> writes for <paramref name="sample"/>.</summary>
        static abstract int MaxBytes(ReadOnlySpan<T> sample, ChannelFormat format);

        /// <summary>Writes the sample's values in <paramref name="format"/>; returns the bytes written.</summary>
        static abstract int Encode(ReadOnlySpan<T> sample, ChannelFormat format, Span<byte> destination);
    }

    /// <summary>
    /// Numeric values of any width: copied as they are when the caller's type is the stream's format (float32 from
    /// float, double64 from double), otherwise widened to double (exact for float) and converted like the double
    /// overload always did, so every overload writes the same bytes for the same values.
    /// </summary>
    private readonly struct NumericEncoder<T> : ISampleEncoder<T>
        where T : unmanaged, INumberBase<T>
    {
        public static bool Numeric => true;

        public static int MaxBytes(ReadOnlySpan<T> sample, ChannelFormat format) => sample.Length * ChannelFormats.ValueSize(format);

        public static int Encode(ReadOnlySpan<T> sample, ChannelFormat format, Span<byte> destination)
        {
            var size = ChannelFormats.ValueSize(format);
            if (BitConverter.IsLittleEndian && Unsafe.SizeOf<T>() == size
                && ((typeof(T) == typeof(float) && format == ChannelFormat.Float32) || (typeof(T) == typeof(double) && format == ChannelFormat.Double64)))
            {
                MemoryMarshal.AsBytes(sample).CopyTo(destination);
                return sample.Length * size;
            }

            for (var c = 0; c < sample.Length; c++)
            {
                var value = double.CreateTruncating(sample[c]);
                var span = destination[(c * size)..];
                switch (format)
                {
                    case ChannelFormat.Int8:
                        span[0] = (byte)(sbyte)Saturate(value, sbyte.MinValue, sbyte.MaxValue);
                        break;
                    case ChannelFormat.Int16:
                        BinaryPrimitives.WriteInt16LittleEndian(span, (short)Saturate(value, short.MinValue, short.MaxValue));
                        break;
                    case ChannelFormat.Int32:
                        BinaryPrimitives.WriteInt32LittleEndian(span, (int)Saturate(value, int.MinValue, int.MaxValue));
                        break;
                    case ChannelFormat.Int64:
                        BinaryPrimitives.WriteInt64LittleEndian(span, SaturateInt64(value));
                        break;
                    case ChannelFormat.Float32:
                        BinaryPrimitives.WriteSingleLittleEndian(span, (float)value);
                        break;
                    default:
                        BinaryPrimitives.WriteDoubleLittleEndian(span, value);
                        break;
                }
            }

            return sample.Length * size;
        }
    }

    /// <summary>Strings: per value a variable-length byte count and the UTF-8 bytes (null as empty).</summary>
    private readonly struct StringEncoder : ISampleEncoder<string>
    {
        public static bool Numeric => false;

        public static int MaxBytes(ReadOnlySpan<string> sample, ChannelFormat format)
        {
            var total = 0;
            foreach (var text in sample)
            {
                total += 9 + Encoding.UTF8.GetMaxByteCount(text?.Length ?? 0);
            }

            return total;
        }

        public static int Encode(ReadOnlySpan<string> sample, ChannelFormat format, Span<byte> destination)
        {
            var position = 0;
            foreach (var value in sample)
            {
                var text = value ?? string.Empty;
                position += XdfVarLen.Write(destination[position..], (ulong)Encoding.UTF8.GetByteCount(text));
                position += Encoding.UTF8.GetBytes(text, destination[position..]);
            }

            return position;
        }
    }

    /// <summary>Per-stream format and footer statistics.</summary>
    private sealed class StreamState(uint streamId, ChannelFormat format, int channelCount, double nominalSrate)
    {
        public uint StreamId { get; } = streamId;

        public ChannelFormat Format { get; } = format;

        public int ChannelCount { get; } = channelCount;

        /// <summary>1/nominal_srate computed exactly as readers do, or 0 for irregular streams.</summary>
        public double Tdiff { get; } = nominalSrate > 0 ? 1.0 / nominalSrate : 0.0;

        public double Previous { get; set; }

        public bool HasPrevious { get; set; }

        public double First { get; set; }

        public double Last { get; set; }

        public long Count { get; set; }

        public List<XdfClockOffset> ClockOffsets { get; } = [];
    }
}
