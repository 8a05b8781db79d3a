using System.Net.Sockets;
using System.Text;

namespace AcqService.Lsl.Managed;

/// <summary>
/// Buffered reader over a connected socket for the LSL TCP protocol: text lines with a byte cap, then binary frames
/// via <see cref="EnsureAsync"/> + <see cref="Span"/> + <see cref="Consume"/> (no per-value awaits on the hot path).
/// The buffer grows only up to <c>maxBuffer</c>; a frame larger than that is a protocol error.
/// </summary>
internal sealed class FrameReader
{
    private readonly Socket _socket;
    private readonly int _maxBuffer;
    private byte[] _buffer;
    private int _start;
    private int _end;

    private readonly bool _blocking;

    /// <param name="socket">A connected socket.</param>
    /// <param name="maxBuffer">Largest frame (buffer cap).</param>
    /// <param name="initialSize">Initial buffer size.</param>
    /// <param name="blocking">Receive with blocking calls on the caller's thread (a socket with a receive timeout,
    /// never used asynchronously): every method then completes synchronously, checking its token between receives.</param>
    public FrameReader(Socket socket, int maxBuffer, int initialSize = 16 * 1024, bool blocking = false)
    {
        _socket = socket;
        _blocking = blocking;
        _maxBuffer = maxBuffer;
        _buffer = new byte[Math.Min(initialSize, maxBuffer)];
    }

    /// <summary>Bytes buffered and not yet consumed.</summary>
    public int Available => _end - _start;

    /// <summary>The buffered, unconsumed bytes.</summary>
    public ReadOnlySpan<byte> Span => _buffer.AsSpan(_start, _end - _start);

    /// <summary>Marks <paramref name="count"/> buffered bytes as consumed.</summary>
    public void Consume(int count) => _start += count;

    /// <summary>Reads until at least <paramref name="count"/> bytes are buffered.</summary>
    /// <exception cref="EndOfStreamException">The peer closed the connection first.</exception>
    /// <exception cref="LslProtocolException"><paramref name="count"/> exceeds the buffer cap.</exception>
    public ValueTask EnsureAsync(int count, CancellationToken cancellationToken)
    {
        if (_end - _start >= count)
        {
            return ValueTask.CompletedTask;
        }
        return FillAsync(count, cancellationToken);
    }

    private async ValueTask FillAsync(int count, CancellationToken cancellationToken)
    {
        if (count > _maxBuffer)
        {
            throw new LslProtocolException($"frame of {count} bytes exceeds the limit of {_maxBuffer}");
        }
        if (_buffer.Length - _start < count)
        {
            int have = _end - _start;
            byte[] target = _buffer.Length >= count ? _buffer : new byte[Math.Min(_maxBuffer, Math.Max(count, _buffer.Length * 2))];
            Buffer.BlockCopy(_buffer, _start, target, 0, have);
            _buffer = target;
            _start = 0;
            _end = have;
        }
        while (_blocking && _end - _start < count)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ReceiveOnce();
        }
        while (_end - _start < count)
        {
            int read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new EndOfStreamException("connection closed by peer");
            }
            _end += read;
        }
    }

    /// <summary>
    /// Blocking receive for a dedicated thread: makes room for at least <paramref name="count"/> buffered bytes
    /// (compacting or growing like <see cref="EnsureAsync"/>) and receives once, whatever the socket has (≥ 1 byte).
    /// Returns false when the socket's receive timeout passed with nothing received (the caller checks its token and calls again).
    /// </summary>
    /// <exception cref="EndOfStreamException">The peer closed the connection.</exception>
    /// <exception cref="LslProtocolException"><paramref name="count"/> exceeds the buffer cap.</exception>
    public bool ReceiveSome(int count)
    {
        if (count > _maxBuffer)
        {
            throw new LslProtocolException($"frame of {count} bytes exceeds the limit of {_maxBuffer}");
        }
        int have = _end - _start;
        // Compact when the next frame would not fit behind _start, or when the tail is nearly used up: a full-size
        // receive each time keeps the number of system calls per byte low at high rates.
        if (_buffer.Length - _start < count || _buffer.Length - _end < _buffer.Length / 4)
        {
            byte[] target = _buffer.Length >= count ? _buffer : new byte[Math.Min(_maxBuffer, Math.Max(count, _buffer.Length * 2))];
            Buffer.BlockCopy(_buffer, _start, target, 0, have);
            _buffer = target;
            _start = 0;
            _end = have;
        }
        return ReceiveOnce();
    }

    /// <summary>One blocking receive into the free tail of the buffer; false when the socket's receive timeout passed.</summary>
    private bool ReceiveOnce()
    {
        int read;
        try
        {
            read = _socket.Receive(_buffer, _end, _buffer.Length - _end, SocketFlags.None);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            return false;
        }
        if (read == 0)
        {
            throw new EndOfStreamException("connection closed by peer");
        }
        _end += read;
        return true;
    }

    /// <summary>Reads one line terminated by <c>\n</c> (the terminator and a preceding <c>\r</c> are removed).</summary>
    /// <param name="maxBytes">Longest accepted line.</param>
    /// <param name="cancellationToken">Aborts the read.</param>
    /// <param name="endAtEof">Return the unterminated rest when the peer closes (error status lines have no CRLF).</param>
    /// <exception cref="LslProtocolException">No line end within <paramref name="maxBytes"/>.</exception>
    public async ValueTask<string> ReadLineAsync(int maxBytes, CancellationToken cancellationToken, bool endAtEof = false)
    {
        int scanned = 0;
        while (true)
        {
            int index = _buffer.AsSpan(_start + scanned, _end - _start - scanned).IndexOf((byte)'\n');
            if (index >= 0)
            {
                int length = scanned + index;
                if (length > maxBytes)
                {
                    break;
                }
                ReadOnlySpan<byte> line = _buffer.AsSpan(_start, length);
                if (line.Length > 0 && line[^1] == (byte)'\r')
                {
                    line = line[..^1];
                }
                string text = Encoding.UTF8.GetString(line);
                _start += length + 1;
                return text;
            }
            scanned = _end - _start;
            if (scanned > maxBytes)
            {
                break;
            }
            try
            {
                await FillAsync(scanned + 1, cancellationToken).ConfigureAwait(false);
            }
            catch (EndOfStreamException) when (endAtEof && _end > _start)
            {
                string rest = Encoding.UTF8.GetString(Span);
                _start = _end;
                return rest;
            }
        }
        throw new LslProtocolException($"line longer than {maxBytes} bytes");
    }

    /// <summary>Reads header lines up to the empty line; total size capped at <see cref="LslLimits.MaxHeaderBytes"/>.</summary>
    public async ValueTask<List<string>> ReadHeaderLinesAsync(CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        int total = 0;
        while (true)
        {
            string line;
            try
            {
                line = await ReadLineAsync(LslLimits.MaxHeaderBytes - total, cancellationToken).ConfigureAwait(false);
            }
            catch (LslProtocolException)
            {
                throw new LslProtocolException($"header block larger than {LslLimits.MaxHeaderBytes} bytes");
            }
            total += line.Length + 2;
            if (line.Length == 0)
            {
                return lines;
            }
            if (total > LslLimits.MaxHeaderBytes)
            {
                throw new LslProtocolException($"header block larger than {LslLimits.MaxHeaderBytes} bytes");
            }
            lines.Add(line);
        }
    }

    /// <summary>Reads everything until the peer closes, capped at <paramref name="maxBytes"/>.</summary>
    public async ValueTask<byte[]> ReadToEndAsync(int maxBytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_end - _start > maxBytes)
            {
                throw new LslProtocolException($"document larger than {maxBytes} bytes");
            }
            try
            {
                await FillAsync(Math.Min(_end - _start + 1, maxBytes + 1), cancellationToken).ConfigureAwait(false);
            }
            catch (EndOfStreamException)
            {
                return Span.ToArray();
            }
        }
    }
}
