using AcqService.Core.Model;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AcqService.Lsl.Managed;

/// <summary>One data connection of a managed inlet: TCP connect, streamfeed handshake, then decoding samples into the buffer.</summary>
internal sealed partial class ManagedInlet
{
    /// <summary>Longest single blocking receive of the numeric receive thread before it checks for cancellation.</summary>
    private static readonly TimeSpan s_receivePollTimeout = TimeSpan.FromMilliseconds(200);

    private Socket NewDataSocket()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (_config.SendSocketBufferSize > 0)
            {
                socket.SendBufferSize = _config.SendSocketBufferSize;
            }
            if (_config.ReceiveSocketBufferSize > 0)
            {
                socket.ReceiveBufferSize = _config.ReceiveSocketBufferSize;
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<Socket> ConnectAsync(LslStreamInfo target, CancellationToken token)
    {
        Socket socket = NewDataSocket();
        try
        {
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(token);
            connect.CancelAfter(LslLimits.ConnectTimeout);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(target.V4Address), target.V4DataPort), connect.Token).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Blocking connect for the dedicated receive thread. The socket must never see an asynchronous call: .NET then
    /// switches it to non-blocking for good and emulates blocking calls through its epoll thread, which is the extra
    /// thread wake-up this path exists to avoid. The finite timeout is enforced by closing the socket (which aborts
    /// the blocked connect) when <see cref="LslLimits.ConnectTimeout"/> passes or <paramref name="token"/> is cancelled.
    /// </summary>
    private Socket ConnectBlocking(LslStreamInfo target, CancellationToken token)
    {
        Socket socket = NewDataSocket();
        try
        {
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(token);
            connect.CancelAfter(LslLimits.ConnectTimeout);
            using (connect.Token.UnsafeRegister(static s => ((Socket)s!).Dispose(), socket))
            {
                try
                {
                    socket.Connect(new IPEndPoint(IPAddress.Parse(target.V4Address), target.V4DataPort));
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException && connect.IsCancellationRequested)
                {
                    token.ThrowIfCancellationRequested();
                    throw new SocketException((int)SocketError.TimedOut);
                }
            }
            connect.Token.ThrowIfCancellationRequested();
            // Bounded blocking calls from here on: receives wake up to check for cancellation, a stuck send gives up.
            socket.ReceiveTimeout = (int)s_receivePollTimeout.TotalMilliseconds;
            socket.SendTimeout = (int)LslLimits.HandshakeTimeout.TotalMilliseconds;
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private FrameReader NewReader(Socket socket, LslStreamInfo target, bool blocking)
    {
        int sampleBytes = 9 + target.ChannelCount * Math.Max(8, target.ChannelFormat.ValueSize());
        // 128 KiB initial buffer: at high rates each receive then carries hundreds of samples instead of a few dozen.
        return new FrameReader(socket, Math.Max(LslLimits.MaxLineBytes + LslLimits.MaxHeaderBytes, Math.Max(sampleBytes, LslLimits.MaxStringBytes + 9)), 128 * 1024, blocking);
    }

    /// <summary>Streamfeed request, status, headers and the two test patterns; returns whether the peer is big-endian.
    /// With <paramref name="blocking"/> every step runs synchronously on the caller's thread (see <see cref="ConnectBlocking"/>).</summary>
    private async ValueTask<bool> HandshakeAsync(Socket socket, FrameReader reader, LslStreamInfo target, bool blocking, CancellationToken token)
    {
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(token);
        handshake.CancelAfter(LslLimits.HandshakeTimeout);
        byte[] request = WireFormat.StreamfeedRequest(target, _maxBufferSamples, _maxChunkLength, _backend.Hostname);
        if (blocking)
        {
            int sent = 0;
            while (sent < request.Length)
            {
                sent += socket.Send(request, sent, request.Length - sent, SocketFlags.None);
            }
        }
        else
        {
            await socket.SendAsync(request, SocketFlags.None, handshake.Token).ConfigureAwait(false);
        }
        string status = await reader.ReadLineAsync(LslLimits.MaxLineBytes, handshake.Token, endAtEof: true).ConfigureAwait(false);
        StreamfeedHandshake.CheckStatus(status);
        List<string> headers = await reader.ReadHeaderLinesAsync(handshake.Token).ConfigureAwait(false);
        bool bigEndian = StreamfeedHandshake.CheckHeaders(headers, target);
        var patternDecoder = new SampleDecoder(reader, target.ChannelFormat, target.ChannelCount, target.NominalSrate, bigEndian);
        for (int offset = 4; offset >= 2; offset -= 2)
        {
            InSample pattern = await patternDecoder.ReadAsync(handshake.Token).ConfigureAwait(false);
            StreamfeedHandshake.VerifyTestPattern(pattern, target, offset);
        }
        return bigEndian;
    }

    private void OnConnected()
    {
        if (_hadConnection)
        {
            Interlocked.Increment(ref _recoveries);
        }
        _hadConnection = true;
        Volatile.Write(ref _lastDataTicks, Environment.TickCount64);
        _connected.TrySetResult();
    }

    private async Task StreamAsync(LslStreamInfo target, CancellationToken token)
    {
        if (target.ChannelFormat != ChannelFormat.String)
        {
            // Numeric streams: the whole connection runs on a dedicated thread that blocks in recv itself and hands
            // each received block to the buffer in one go, like liblsl's receiver thread. An awaited receive on Linux
            // is completed by the socket engine's epoll thread, which queues the continuation to the thread pool: one or
            // two more thread wake-ups per block on the latency path, and on a busy machine the pool's queue adds its own wait.
            await Task.Factory.StartNew(() => StreamBlockingAsync(target, token), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap().ConfigureAwait(false);
            return;
        }
        using Socket socket = await ConnectAsync(target, token).ConfigureAwait(false);
        FrameReader reader = NewReader(socket, target, blocking: false);
        bool bigEndian = await HandshakeAsync(socket, reader, target, blocking: false, token).ConfigureAwait(false);
        // Deduced timestamps restart from 0 on every connection (liblsl does the same).
        var decoder = new SampleDecoder(reader, target.ChannelFormat, target.ChannelCount, target.NominalSrate, bigEndian, _pool);
        OnConnected();
        while (true)
        {
            InSample sample = await decoder.ReadAsync(token).ConfigureAwait(false);
            Volatile.Write(ref _lastDataTicks, Environment.TickCount64);
            _buffer.Write(sample);
        }
    }

    /// <summary>
    /// One connection of a numeric stream with blocking calls. Started on a dedicated thread, it stays there: in
    /// blocking mode the handshake completes synchronously, so its await continues on the same thread.
    /// </summary>
    private async Task StreamBlockingAsync(LslStreamInfo target, CancellationToken token)
    {
        using Socket socket = ConnectBlocking(target, token);
        FrameReader reader = NewReader(socket, target, blocking: true);
        bool bigEndian = await HandshakeAsync(socket, reader, target, blocking: true, token).ConfigureAwait(false);
        var decoder = new SampleDecoder(reader, target.ChannelFormat, target.ChannelCount, target.NominalSrate, bigEndian, _pool);
        OnConnected();
        ReceiveNumericLoop(reader, decoder, token);
    }

    /// <summary>
    /// The steady-state receive of a numeric stream on its own thread: decode every sample that is completely buffered,
    /// hand them to the buffer as one batch, then block in one receive. The receive waits at most
    /// <see cref="s_receivePollTimeout"/> so cancellation (dispose, watchdog) is noticed; ends with the same exceptions as the async loop.
    /// </summary>
    private void ReceiveNumericLoop(FrameReader reader, SampleDecoder decoder, CancellationToken token)
    {
        InSample[] batch = new InSample[256];
        while (true)
        {
            int count = 0;
            int needed = 0;
            while (count < batch.Length && decoder.TryDecodeBuffered(out batch[count], out needed))
            {
                count++;
            }
            if (count > 0)
            {
                Volatile.Write(ref _lastDataTicks, Environment.TickCount64);
                _buffer.Write(batch.AsSpan(0, count));
                // The buffer owns the samples now; drop the references so pooled arrays are not pinned by this array.
                Array.Clear(batch, 0, count);
                if (count == batch.Length)
                {
                    continue;
                }
            }
            token.ThrowIfCancellationRequested();
            reader.ReceiveSome(needed);
            token.ThrowIfCancellationRequested();
        }
    }
}
