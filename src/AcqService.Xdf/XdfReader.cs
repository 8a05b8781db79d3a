using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using AcqService.Core.Model;

namespace AcqService.Xdf;

/// <summary>
/// Streaming XDF reader: decodes one chunk at a time with memory bounded by the largest chunk, never the file.
/// </summary>
/// <remarks>
/// Recoverable corruption (invalid length width, length past the end, sample payloads that do not match the stream
/// header, chunks of undeclared streams) is recorded in <see cref="Diagnostics"/> and the reader resynchronises by
/// scanning forward for the Boundary UUID, as pyxdf does. A truncated final chunk ends the data after a diagnostic.
/// On seekable streams the scan restarts just after the bad chunk's first byte, so a lying length cannot hide the
/// boundary it swallowed; on non-seekable streams it continues after the bytes already consumed.
/// Not thread-safe.
/// </remarks>
public sealed class XdfReader : IDisposable
{
    private const int WindowSize = 64 * 1024;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly XdfReaderOptions _options;
    private readonly long _origin;
    private readonly long _fileLength;
    private readonly byte[] _window = new byte[WindowSize];
    private readonly Dictionary<uint, StreamState> _states = [];
    private readonly Dictionary<uint, XdfStreamHeader> _headers = [];
    private readonly List<XdfDiagnostic> _diagnostics = [];
    private long _windowStart;
    private int _windowPos;
    private int _windowLength;
    private byte[] _chunk = new byte[4096];
    private bool _ended;
    private bool _disposed;

    /// <summary>Opens a reader on <paramref name="stream"/> and checks the <c>XDF:</c> magic.</summary>
    /// <param name="stream">A readable stream positioned at the start of the file.</param>
    /// <param name="options">Reader options; null for defaults.</param>
    /// <param name="leaveOpen">True to leave <paramref name="stream"/> open on dispose.</param>
    /// <exception cref="XdfFormatException">The stream does not start with the XDF magic (offset 0).</exception>
    public XdfReader(Stream stream, XdfReaderOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _options = options ?? new XdfReaderOptions();
        _origin = stream.CanSeek ? stream.Position : 0;
        _fileLength = stream.CanSeek ? stream.Length - _origin : -1;
        Span<byte> magic = stackalloc byte[4];
        if (ReadAvailable(magic) != 4 || !magic.SequenceEqual(XdfConstants.Magic))
        {
            throw new XdfFormatException(0, "Not an XDF file: the first 4 bytes are not 'XDF:'");
        }
    }

    /// <summary>Opens a file for streaming reads.</summary>
    /// <param name="path">File path.</param>
    /// <param name="options">Reader options; null for defaults.</param>
    /// <returns>A reader that owns the file stream.</returns>
    /// <exception cref="XdfFormatException">The file does not start with the XDF magic.</exception>
    public static XdfReader Open(string path, XdfReaderOptions? options = null)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        try
        {
            return new XdfReader(file, options);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Problems found so far, in file order (at most <see cref="XdfReaderOptions.MaxDiagnostics"/>).</summary>
    public IReadOnlyList<XdfDiagnostic> Diagnostics => _diagnostics;

    /// <summary>Number of diagnostics dropped because <see cref="XdfReaderOptions.MaxDiagnostics"/> was reached.</summary>
    public int SuppressedDiagnosticCount { get; private set; }

    /// <summary>
    /// Chunks dropped because they were damaged: a chunk skipped on its own (its length was intact) counts one, and a
    /// region skipped while scanning for a boundary counts one too (how many chunks it held is unknown).
    /// </summary>
    public int SkippedChunkCount { get; private set; }

    /// <summary>Samples in damaged chunks that were skipped on their own and whose sample count was readable.</summary>
    public long SkippedSampleCount { get; private set; }

    /// <summary>Bytes of the file not used: damaged chunks skipped and regions passed over while resynchronising.</summary>
    public long SkippedByteCount { get; private set; }

    /// <summary>Stream headers seen so far, by stream id.</summary>
    public IReadOnlyDictionary<uint, XdfStreamHeader> Streams => _headers;

    /// <summary>Byte offset of the next unread byte from the start of the file.</summary>
    public long Position => _windowStart + _windowPos;

    /// <summary>Length of the file in bytes when the stream is seekable, else -1.</summary>
    public long Length => _fileLength;

    /// <summary>Reads the next chunk. Boundary chunks are returned; chunks with unknown tags are skipped.</summary>
    /// <param name="chunk">The decoded chunk when the method returns true.</param>
    /// <returns>False at the end of the data (end of file, truncated final chunk, or no boundary after corruption).</returns>
    public bool TryReadChunk([NotNullWhen(true)] out XdfChunk? chunk)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        chunk = null;
        Span<byte> width = stackalloc byte[1];
        Span<byte> lengthBytes = stackalloc byte[8];
        while (!_ended)
        {
            var start = Position;
            if (ReadAvailable(width) == 0)
            {
                _ended = true;
                return false;
            }

            if (width[0] is not (1 or 4 or 8))
            {
                Resync(start, $"invalid chunk length width {width[0]} (expected 1, 4 or 8)");
                continue;
            }

            var lengthField = lengthBytes[..width[0]];
            if (ReadAvailable(lengthField) != lengthField.Length)
            {
                AddDiagnostic(start, "truncated chunk: the file ends inside the length field; end of data");
                _ended = true;
                return false;
            }

            var length = width[0] switch
            {
                1 => lengthField[0],
                4 => BinaryPrimitives.ReadUInt32LittleEndian(lengthField),
                _ => BinaryPrimitives.ReadUInt64LittleEndian(lengthField),
            };
            var left = _fileLength >= 0 ? _fileLength - Position : long.MaxValue;
            if (length < 2)
            {
                Resync(start, Invariant($"chunk length {length} is too short for a tag"));
                continue;
            }

            if (length > (ulong)left)
            {
                Resync(start, Invariant($"chunk length {length} exceeds the {left} bytes left in the file (truncated or corrupt)"));
                continue;
            }

            if (length > (ulong)_options.MaxChunkBytes)
            {
                Resync(start, Invariant($"chunk length {length} exceeds the limit of {_options.MaxChunkBytes} bytes"));
                continue;
            }

            var size = (int)length;
            EnsureChunkCapacity(size);
            var read = ReadAvailable(_chunk.AsSpan(0, size));
            if (read != size)
            {
                AddDiagnostic(start, Invariant($"truncated chunk: length {length} but only {read} bytes before the end of the file; end of data"));
                _ended = true;
                return false;
            }

            chunk = Decode(start, _chunk.AsSpan(0, size), Position);
            if (chunk is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Enumerates the remaining chunks (see <see cref="TryReadChunk"/>).</summary>
    /// <returns>Chunks in file order.</returns>
    public IEnumerable<XdfChunk> ReadChunks()
    {
        while (TryReadChunk(out var chunk))
        {
            yield return chunk;
        }
    }

    /// <summary>Closes the underlying stream unless it was left open.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Decodes a complete chunk; returns null when it was skipped or led to a resync.</summary>
    /// <param name="start">Offset of the chunk's length-width byte.</param>
    /// <param name="payload">Tag and content.</param>
    /// <param name="end">Offset just after the chunk (where the next one starts if the length is intact).</param>
    private XdfChunk? Decode(long start, ReadOnlySpan<byte> payload, long end)
    {
        var tag = (XdfChunkTag)BinaryPrimitives.ReadUInt16LittleEndian(payload);
        var content = payload[2..];
        switch (tag)
        {
            case XdfChunkTag.FileHeader:
                return new XdfFileHeaderChunk(start, Encoding.UTF8.GetString(content));
            case XdfChunkTag.Boundary:
                if (content.Length != 16 || !content.SequenceEqual(XdfConstants.BoundaryUuid))
                {
                    Resync(start, Invariant($"boundary chunk with {content.Length} content bytes or a wrong UUID"));
                    return null;
                }

                return new XdfBoundaryChunk(start);
            case XdfChunkTag.StreamHeader or XdfChunkTag.Samples or XdfChunkTag.ClockOffset or XdfChunkTag.StreamFooter:
                break;
            default:
                AddDiagnostic(start, Invariant($"unknown chunk tag {(ushort)tag} skipped ({payload.Length} bytes)"));
                return null;
        }

        if (content.Length < 4)
        {
            Resync(start, Invariant($"{tag} chunk too short for a stream id"));
            return null;
        }

        var streamId = BinaryPrimitives.ReadUInt32LittleEndian(content);
        var body = content[4..];
        if (tag == XdfChunkTag.StreamHeader)
        {
            var xml = Encoding.UTF8.GetString(body);
            if (!XdfStreamHeader.TryParse(streamId, xml, out var header, out var error))
            {
                AddDiagnostic(start, Invariant($"stream header of stream {streamId} ignored: {error}"));
                return null;
            }

            if (_headers.ContainsKey(streamId))
            {
                AddDiagnostic(start, Invariant($"stream {streamId} declared again; the new header replaces the old one"));
            }

            _headers[streamId] = header!;
            _states[streamId] = new StreamState(header!);
            return new XdfStreamHeaderChunk(start, header!);
        }

        if (!_states.TryGetValue(streamId, out var state))
        {
            SkipOrResync(start, end, Invariant($"{tag} chunk for undeclared stream {streamId}"), 0);
            return null;
        }

        switch (tag)
        {
            case XdfChunkTag.ClockOffset:
                if (body.Length != 16)
                {
                    SkipOrResync(start, end, Invariant($"clock offset chunk of stream {streamId} has {body.Length} bytes instead of 16"), 0);
                    return null;
                }

                return new XdfClockOffsetChunk(
                    start,
                    streamId,
                    BinaryPrimitives.ReadDoubleLittleEndian(body),
                    BinaryPrimitives.ReadDoubleLittleEndian(body[8..]));
            case XdfChunkTag.StreamFooter:
                return new XdfStreamFooterChunk(start, streamId, XdfStreamFooter.Parse(Encoding.UTF8.GetString(body)));
            default:
                var samples = DecodeSamples(start, state, body, _options.ReuseSampleArrays, out var error2);
                if (samples is null)
                {
                    // The declared count is a hint only: the chunk is damaged, so it may be wrong too.
                    var declared = XdfVarLen.TryRead(body, out var count, out _) && count <= int.MaxValue ? (long)count : 0;
                    SkipOrResync(start, end, Invariant($"samples chunk of stream {streamId} does not match its header: {error2}"), declared);
                }

                return samples;
        }
    }

    private static XdfSamplesChunk? DecodeSamples(long start, StreamState state, ReadOnlySpan<byte> body, bool reuse, out string? error)
    {
        if (!XdfVarLen.TryRead(body, out var declared, out var used))
        {
            error = "invalid sample count";
            return null;
        }

        body = body[used..];
        var channels = state.Header.ChannelCount;
        var format = state.Header.ChannelFormat;
        var valueSize = ChannelFormats.ValueSize(format);
        // Smallest possible record: omitted timestamp + per channel either the value or a 2-byte empty string.
        var minRecord = 1L + (channels * (long)(valueSize == 0 ? 2 : valueSize));
        if (declared > (ulong)(body.Length / minRecord))
        {
            error = Invariant($"{declared} samples cannot fit in {body.Length} bytes");
            return null;
        }

        var count = (int)declared;
        // Every element is written below before the chunk is returned (a chunk that fails half-way is dropped), so the
        // arrays need not be zeroed first (an hour of 64-channel 1 kHz EEG is 1.8 GB of values to clear).
        double[] timestamps;
        double[]? numeric;
        if (reuse && valueSize != 0)
        {
            (timestamps, numeric) = state.Reusable(count, channels);
        }
        else
        {
            timestamps = GC.AllocateUninitializedArray<double>(count);
            numeric = valueSize == 0 ? null : GC.AllocateUninitializedArray<double>(count * channels);
        }
        var strings = valueSize == 0 ? new string[count * channels] : null;
        var last = state.LastTimestamp;
        var deduced = 0;
        var pos = 0;
        for (var i = 0; i < count; i++)
        {
            var stampWidth = body[pos++];
            if (stampWidth == 8)
            {
                if (body.Length - pos < 8)
                {
                    error = Invariant($"sample {i} timestamp runs past the chunk");
                    return null;
                }

                last = BinaryPrimitives.ReadDoubleLittleEndian(body[pos..]);
                pos += 8;
            }
            else if (stampWidth == 0)
            {
                last += state.Tdiff;
                deduced++;
            }
            else
            {
                error = Invariant($"sample {i} has timestamp width {stampWidth}");
                return null;
            }

            timestamps[i] = last;
            if (numeric is not null)
            {
                var bytes = channels * valueSize;
                if (body.Length - pos < bytes)
                {
                    error = Invariant($"sample {i} values run past the chunk");
                    return null;
                }

                DecodeNumeric(body.Slice(pos, bytes), format, numeric.AsSpan(i * channels, channels));
                pos += bytes;
            }
            else
            {
                for (var c = 0; c < channels; c++)
                {
                    if (!XdfVarLen.TryRead(body[pos..], out var textLength, out var lengthBytes)
                        || textLength > (ulong)(body.Length - pos - lengthBytes))
                    {
                        error = Invariant($"sample {i} channel {c} string length is invalid or runs past the chunk");
                        return null;
                    }

                    pos += lengthBytes;
                    strings![(i * channels) + c] = Encoding.UTF8.GetString(body.Slice(pos, (int)textLength));
                    pos += (int)textLength;
                }
            }
        }

        if (pos != body.Length)
        {
            error = Invariant($"{body.Length - pos} bytes left over after {count} samples");
            return null;
        }

        // Only a fully decoded chunk advances the deduction state, so a resync does not poison later chunks.
        state.LastTimestamp = last;
        error = null;
        return new XdfSamplesChunk(start, state.Header.StreamId, channels, timestamps, numeric, strings, deduced);
    }

    private static void DecodeNumeric(ReadOnlySpan<byte> source, ChannelFormat format, Span<double> destination)
    {
        Debug.Assert(source.Length == destination.Length * ChannelFormats.ValueSize(format), "value span sizes disagree");
        switch (format)
        {
            case ChannelFormat.Int8:
                for (var c = 0; c < destination.Length; c++)
                {
                    destination[c] = (sbyte)source[c];
                }

                break;
            case ChannelFormat.Int16:
                for (var c = 0; c < destination.Length; c++)
                {
                    destination[c] = BinaryPrimitives.ReadInt16LittleEndian(source[(c * 2)..]);
                }

                break;
            case ChannelFormat.Int32:
                for (var c = 0; c < destination.Length; c++)
                {
                    destination[c] = BinaryPrimitives.ReadInt32LittleEndian(source[(c * 4)..]);
                }

                break;
            case ChannelFormat.Int64:
                for (var c = 0; c < destination.Length; c++)
                {
                    destination[c] = BinaryPrimitives.ReadInt64LittleEndian(source[(c * 8)..]);
                }

                break;
            case ChannelFormat.Float32:
                var first = 0;
                if (BitConverter.IsLittleEndian && Vector.IsHardwareAccelerated)
                {
                    // The common EEG format, and the reader's hottest loop: widen whole vectors (float → double is exact,
                    // the same value as the scalar conversion below).
                    var floats = MemoryMarshal.Cast<byte, float>(source);
                    for (; first + Vector<float>.Count <= floats.Length; first += Vector<float>.Count)
                    {
                        Vector.Widen(new Vector<float>(floats[first..]), out var low, out var high);
                        low.CopyTo(destination[first..]);
                        high.CopyTo(destination[(first + Vector<double>.Count)..]);
                    }
                }

                for (var c = first; c < destination.Length; c++)
                {
                    destination[c] = BinaryPrimitives.ReadSingleLittleEndian(source[(c * 4)..]);
                }

                break;
            default:
                for (var c = 0; c < destination.Length; c++)
                {
                    destination[c] = BinaryPrimitives.ReadDoubleLittleEndian(source[(c * 8)..]);
                }

                break;
        }
    }

    /// <summary>
    /// A chunk whose framing is intact but whose content is damaged: when a plausible chunk header follows at
    /// <paramref name="end"/>, only this chunk is skipped (a bit flip inside one chunk then costs that chunk, not the
    /// up to ~10 s of data before the next boundary); otherwise the length is suspect too and the reader resynchronises.
    /// </summary>
    private void SkipOrResync(long chunkStart, long end, string problem, long declaredSamples)
    {
        if (PlausibleChunkAt(end))
        {
            AddDiagnostic(chunkStart, problem + Invariant($"; chunk skipped ({end - chunkStart} bytes), the next chunk header is intact"));
            SkippedChunkCount++;
            SkippedSampleCount += declaredSamples;
            SkippedByteCount += end - chunkStart;
            return;
        }

        Resync(chunkStart, problem);
    }

    /// <summary>
    /// True when the bytes at <paramref name="offset"/> read as a chunk header: a valid length width, a length that
    /// fits the file, a known tag and, for stream chunks, a declared stream (or a new header). At the end of the file
    /// (nothing follows) it is true as well. Needs a seekable stream; the read position is restored.
    /// </summary>
    private bool PlausibleChunkAt(long offset)
    {
        if (!_stream.CanSeek)
        {
            return false;
        }

        if (offset >= _fileLength)
        {
            return offset == _fileLength;
        }

        var resume = Position;
        try
        {
            SeekTo(offset);
            Span<byte> head = stackalloc byte[1 + 8 + 2 + 4];
            var got = ReadAvailable(head);
            if (got < 1 || head[0] is not (1 or 4 or 8) || got < 1 + head[0] + 2)
            {
                return false;
            }

            var width = head[0];
            var length = width switch
            {
                1 => head[1],
                4 => BinaryPrimitives.ReadUInt32LittleEndian(head[1..]),
                _ => BinaryPrimitives.ReadUInt64LittleEndian(head[1..]),
            };
            if (length < 2 || length > (ulong)(_fileLength - offset - 1 - width))
            {
                return false;
            }

            var tag = (XdfChunkTag)BinaryPrimitives.ReadUInt16LittleEndian(head[(1 + width)..]);
            switch (tag)
            {
                case XdfChunkTag.FileHeader or XdfChunkTag.Boundary or XdfChunkTag.StreamHeader:
                    return true;
                case XdfChunkTag.Samples or XdfChunkTag.ClockOffset or XdfChunkTag.StreamFooter:
                    return got >= 1 + width + 2 + 4 && length >= 6 && _states.ContainsKey(BinaryPrimitives.ReadUInt32LittleEndian(head[(1 + width + 2)..]));
                default:
                    return false;
            }
        }
        finally
        {
            SeekTo(resume);
        }
    }

    /// <summary>Records a diagnostic, then scans for the next Boundary UUID and continues right after it.</summary>
    private void Resync(long chunkStart, string problem)
    {
        AddDiagnostic(chunkStart, problem + "; scanning forward for a boundary chunk");
        if (_stream.CanSeek)
        {
            SeekTo(chunkStart + 1);
        }

        var from = Position;
        SkippedChunkCount++;
        if (ScanForBoundary())
        {
            SkippedByteCount += Position - chunkStart;
            AddDiagnostic(Position, Invariant($"resynchronised after a boundary UUID ({Position - from} bytes skipped)"));
        }
        else
        {
            SkippedByteCount += Position - chunkStart;
            AddDiagnostic(Position, "no boundary chunk before the end of the file; end of data");
            _ended = true;
        }
    }

    private bool ScanForBoundary()
    {
        var uuid = XdfConstants.BoundaryUuid;
        while (true)
        {
            if (_windowLength - _windowPos < uuid.Length && Fill() == 0)
            {
                // Fewer than 16 bytes remain and nothing more can be read: consume them and stop.
                _windowPos = _windowLength;
                return false;
            }

            var available = _window.AsSpan(_windowPos, _windowLength - _windowPos);
            var index = available.IndexOf(uuid);
            if (index >= 0)
            {
                _windowPos += index + uuid.Length;
                return true;
            }

            // Keep the last 15 bytes: the UUID may straddle the refill.
            _windowPos = _windowLength - (uuid.Length - 1);
            if (Fill() == 0)
            {
                _windowPos = _windowLength;
                return false;
            }
        }
    }

    private void SeekTo(long offset)
    {
        if (offset >= _windowStart && offset <= _windowStart + _windowLength)
        {
            _windowPos = (int)(offset - _windowStart);
            return;
        }

        _stream.Seek(_origin + offset, SeekOrigin.Begin);
        _windowStart = offset;
        _windowPos = 0;
        _windowLength = 0;
    }

    /// <summary>Moves unread bytes to the front of the window and reads more; returns the number of new bytes.</summary>
    private int Fill()
    {
        if (_windowPos > 0)
        {
            var unread = _windowLength - _windowPos;
            _window.AsSpan(_windowPos, unread).CopyTo(_window);
            _windowStart += _windowPos;
            _windowPos = 0;
            _windowLength = unread;
        }

        var read = _stream.Read(_window, _windowLength, _window.Length - _windowLength);
        _windowLength += read;
        return read;
    }

    /// <summary>Copies up to <paramref name="destination"/>.Length bytes; fewer only at the end of the stream.</summary>
    private int ReadAvailable(Span<byte> destination)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var buffered = _windowLength - _windowPos;
            if (buffered == 0)
            {
                var rest = destination[total..];
                if (rest.Length >= _window.Length)
                {
                    // Large payloads bypass the window: one copy instead of two.
                    var direct = _stream.ReadAtLeast(rest, rest.Length, throwOnEndOfStream: false);
                    _windowStart += _windowLength + direct;
                    _windowPos = 0;
                    _windowLength = 0;
                    return total + direct;
                }

                if (Fill() == 0)
                {
                    return total;
                }

                continue;
            }

            var take = Math.Min(buffered, destination.Length - total);
            _window.AsSpan(_windowPos, take).CopyTo(destination[total..]);
            _windowPos += take;
            total += take;
        }

        return total;
    }

    private void EnsureChunkCapacity(int size)
    {
        if (_chunk.Length < size)
        {
            _chunk = new byte[Math.Max(size, (int)Math.Min(Array.MaxLength, (long)_chunk.Length * 2))];
        }
        else if (_chunk.Length > 16 * 1024 * 1024 && size < _chunk.Length / 8)
        {
            // Give back a buffer inflated by one huge chunk so steady-state memory follows typical chunk sizes.
            _chunk = new byte[Math.Max(size, 4096)];
        }
    }

    private void AddDiagnostic(long offset, string message)
    {
        if (_diagnostics.Count < _options.MaxDiagnostics)
        {
            _diagnostics.Add(new XdfDiagnostic(offset, message));
        }
        else
        {
            SuppressedDiagnosticCount++;
        }
    }

    /// <summary>Per-stream decoding state that persists across chunks.</summary>
    private sealed class StreamState(XdfStreamHeader header)
    {
        public XdfStreamHeader Header { get; } = header;

        /// <summary>1/nominal_srate as pyxdf computes it; 0 for irregular streams.</summary>
        public double Tdiff { get; } = header.NominalSrate > 0 ? 1.0 / header.NominalSrate : 0.0;

        /// <summary>Timestamp of the stream's previous sample; starts at 0 like pyxdf.</summary>
        public double LastTimestamp { get; set; }

        private Dictionary<int, (double[] Timestamps, double[] Values)>? _reusable;

        /// <summary>Arrays for a chunk of <paramref name="count"/> samples, the same ones each time (see <see cref="XdfReaderOptions.ReuseSampleArrays"/>).</summary>
        public (double[] Timestamps, double[] Values) Reusable(int count, int channels)
        {
            _reusable ??= [];
            if (!_reusable.TryGetValue(count, out var arrays))
            {
                arrays = (new double[count], new double[count * channels]);
                if (_reusable.Count < 64)
                {
                    _reusable[count] = arrays;
                }
            }

            return arrays;
        }
    }
}
