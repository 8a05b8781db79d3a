using AcqService.Core.Model;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AcqService.Lsl.Managed;

/// <summary>One data connection of a managed inlet: TCP connect, streamfeed handshake, then decoding samples into the buffer.</summary>
internal sealed partial class ManagedInlet
{
    private async Task<Socket> ConnectAsync(LslStreamInfo target, CancellationToken token)
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

    private async Task StreamAsync(LslStreamInfo target, CancellationToken token)
    {
        using Socket socket = await ConnectAsync(target, token).ConfigureAwait(false);
        int sampleBytes = 9 + target.ChannelCount * Math.Max(8, target.ChannelFormat.ValueSize());
        // 128 KiB initial buffer: at high rates each receive then carries hundreds of samples instead of a few dozen.
        var reader = new FrameReader(socket, Math.Max(LslLimits.MaxLineBytes + LslLimits.MaxHeaderBytes, Math.Max(sampleBytes, LslLimits.MaxStringBytes + 9)), 128 * 1024);
        bool bigEndian;
        using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(token))
        {
            handshake.CancelAfter(LslLimits.HandshakeTimeout);
            byte[] request = WireFormat.StreamfeedRequest(target, _maxBufferSamples, _maxChunkLength, _backend.Hostname);
            await socket.SendAsync(request, SocketFlags.None, handshake.Token).ConfigureAwait(false);
            string status = await reader.ReadLineAsync(LslLimits.MaxLineBytes, handshake.Token, endAtEof: true).ConfigureAwait(false);
            StreamfeedHandshake.CheckStatus(status);
            List<string> headers = await reader.ReadHeaderLinesAsync(handshake.Token).ConfigureAwait(false);
            bigEndian = StreamfeedHandshake.CheckHeaders(headers, target);
            var patternDecoder = new SampleDecoder(reader, target.ChannelFormat, target.ChannelCount, target.NominalSrate, bigEndian);
            for (int offset = 4; offset >= 2; offset -= 2)
            {
                InSample pattern = await patternDecoder.ReadAsync(handshake.Token).ConfigureAwait(false);
                StreamfeedHandshake.VerifyTestPattern(pattern, target, offset);
            }
        }
        // Deduced timestamps restart from 0 on every connection (liblsl does the same).
        var decoder = new SampleDecoder(reader, target.ChannelFormat, target.ChannelCount, target.NominalSrate, bigEndian, _pool);
        if (_hadConnection)
        {
            Interlocked.Increment(ref _recoveries);
        }
        _hadConnection = true;
        Volatile.Write(ref _lastDataTicks, Environment.TickCount64);
        _connected.TrySetResult();
        while (true)
        {
            InSample sample = await decoder.ReadAsync(token).ConfigureAwait(false);
            Volatile.Write(ref _lastDataTicks, Environment.TickCount64);
            _buffer.Write(sample);
        }
    }
}
