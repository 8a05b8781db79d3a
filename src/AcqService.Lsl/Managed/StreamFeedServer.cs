using AcqService.Core.Model;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AcqService.Lsl.Config;

namespace AcqService.Lsl.Managed;

/// <summary>
/// The TCP side of a managed outlet: accepts connections on the data port and serves <c>LSL:fullinfo</c>,
/// <c>LSL:shortinfo</c> and <c>LSL:streamfeed</c> (handshake, test patterns, then one <see cref="OutletConsumer"/>
/// per inlet, registered in the outlet's <see cref="ConsumerRegistry"/> while it runs).
/// </summary>
internal sealed class StreamFeedServer : IDisposable
{
    private readonly ManagedLslBackend _backend;
    private readonly LslConfig _config;
    private readonly LslStreamInfo _info;
    private readonly ChannelFormat _format;
    private readonly int _channels;
    private readonly double _srate;
    private readonly int _chunkSize;
    private readonly int _maxBufferedSamples;
    private readonly Socket _listener;
    private readonly byte[] _fullInfo;
    private readonly string _shortInfo;
    private readonly QueryMatcher _matcher;
    private readonly ConsumerRegistry _consumers;
    private readonly Action<Task> _track;
    private readonly ConcurrentDictionary<Socket, byte> _connections = new();

    /// <summary>Serves <paramref name="info"/> on <paramref name="listener"/> (owned from here on).</summary>
    public StreamFeedServer(ManagedLslBackend backend, LslStreamInfo info, int chunkSize, int maxBufferedSamples, Socket listener,
        byte[] fullInfo, string shortInfo, QueryMatcher matcher, ConsumerRegistry consumers, Action<Task> track)
    {
        _backend = backend;
        _config = backend.Config;
        _info = info;
        _format = info.ChannelFormat;
        _channels = info.ChannelCount;
        _srate = info.NominalSrate;
        _chunkSize = chunkSize;
        _maxBufferedSamples = maxBufferedSamples;
        _listener = listener;
        _fullInfo = fullInfo;
        _shortInfo = shortInfo;
        _matcher = matcher;
        _consumers = consumers;
        _track = track;
    }

    /// <summary>Starts accepting connections.</summary>
    public void Start(CancellationToken token) => _track(AcceptLoopAsync(token));

    private async Task AcceptLoopAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (!token.IsCancellationRequested)
            {
                continue;
            }
            catch (SocketException)
            {
                return;
            }
            _connections[client] = 0;
            _track(ServeConnectionAsync(client, token));
        }
    }

    private async Task ServeConnectionAsync(Socket client, CancellationToken token)
    {
        EndPoint? remote = client.RemoteEndPoint;
        try
        {
            client.NoDelay = true;
            ConfigureDataSocketBuffers(client, _config);
            var reader = new FrameReader(client, LslLimits.MaxLineBytes + LslLimits.MaxHeaderBytes, 4096);
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(token);
            handshake.CancelAfter(LslLimits.HandshakeTimeout);
            string method = (await reader.ReadLineAsync(LslLimits.MaxLineBytes, handshake.Token).ConfigureAwait(false)).Trim();
            if (method == "LSL:fullinfo")
            {
                await SendAllAsync(client, _fullInfo, token).ConfigureAwait(false);
            }
            else if (method == "LSL:shortinfo")
            {
                string query = (await reader.ReadLineAsync(LslLimits.MaxLineBytes, handshake.Token).ConfigureAwait(false)).Trim();
                if (_matcher.Matches(query))
                {
                    await SendAllAsync(client, Encoding.UTF8.GetBytes(_shortInfo), token).ConfigureAwait(false);
                }
            }
            else if (method.StartsWith("LSL:streamfeed", StringComparison.Ordinal))
            {
                List<string> headers = await reader.ReadHeaderLinesAsync(handshake.Token).ConfigureAwait(false);
                await ServeStreamfeedAsync(client, method, headers, token).ConfigureAwait(false);
            }
            else
            {
                _backend.Report($"outlet '{_info.Name}': unknown TCP request '{Truncate(method)}' from {remote}; connection closed");
            }
        }
        catch (LslProtocolException ex)
        {
            _backend.Report($"outlet '{_info.Name}': refused connection from {remote}: {ex.Message}");
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            _backend.Report($"outlet '{_info.Name}': connection from {remote} timed out during the handshake");
        }
        catch (Exception ex) when (ex is SocketException or EndOfStreamException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer went away; nothing to report beyond normal disconnects.
        }
        finally
        {
            _connections.TryRemove(client, out _);
            try
            {
                client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
            client.Dispose();
        }
    }

    private async Task ServeStreamfeedAsync(Socket client, string method, List<string> headers, CancellationToken token)
    {
        // Request line: "LSL:streamfeed[/<version>] [<uid>]".
        string[] parts = method.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int requested = 100;
        int slash = parts[0].IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0 && !int.TryParse(parts[0].AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out requested))
        {
            throw new LslProtocolException($"bad streamfeed version in '{Truncate(method)}'");
        }
        if (requested / 100 > 1)
        {
            await SendAllAsync(client, Encoding.ASCII.GetBytes("LSL/110 505 Version not supported"), token).ConfigureAwait(false);
            return;
        }
        if (parts.Length > 1 && parts[1] != _info.Uid)
        {
            await SendAllAsync(client, Encoding.ASCII.GetBytes("LSL/110 404 Not found"), token).ConfigureAwait(false);
            return;
        }
        int valueSize = _format.ValueSize();
        bool ieee = true;
        int maxBuffer = 0;
        int maxChunk = 0;
        foreach (string line in headers)
        {
            if (!WireFormat.TryParseHeader(line, out string key, out string value))
            {
                continue;
            }
            switch (key)
            {
                case "has-ieee754-floats": ieee = value == "1"; break;
                case "value-size": valueSize = ParseHeaderInt(value); break;
                case "max-buffer-length": maxBuffer = ParseHeaderInt(value); break;
                case "max-chunk-length": maxChunk = ParseHeaderInt(value); break;
                case "protocol-version": requested = ParseHeaderInt(value); break;
            }
        }
        int dataVersion = Math.Min(Math.Min(110, _config.UseProtocolVersion), requested);
        if (_format != ChannelFormat.String && valueSize != _format.ValueSize() || !ieee)
        {
            dataVersion = 100;
        }
        if (dataVersion < 110)
        {
            // Protocol 100 (portable binary archive) is not implemented; liblsl 1.10+ inlets never need it.
            _backend.Report($"outlet '{_info.Name}': {client.RemoteEndPoint} needs legacy protocol 100, which the managed outlet does not serve; connection closed");
            return;
        }
        byte[] response = [.. WireFormat.StreamfeedResponse(_info.Uid), .. WireFormat.TestPatterns(_format, _channels)];
        await SendAllAsync(client, response, token).ConfigureAwait(false);
        if (maxBuffer <= 0)
        {
            // liblsl sends the test patterns and then closes when the inlet asks for no buffer.
            return;
        }
        int chunkLimit = maxChunk > 0 ? maxChunk : _chunkSize > 0 ? _chunkSize : int.MaxValue;
        var consumer = new OutletConsumer(client, Math.Min(maxBuffer, _maxBufferedSamples), _srate, chunkLimit);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(token);
        _consumers.Add(consumer);
        try
        {
            Task watch = WatchForCloseAsync(client, session);
            try
            {
                await consumer.RunAsync(session.Token).ConfigureAwait(false);
            }
            finally
            {
                await session.CancelAsync().ConfigureAwait(false);
                await watch.ConfigureAwait(false);
            }
        }
        finally
        {
            _consumers.Remove(consumer);
        }
    }

    /// <summary>Reads (and discards) anything the inlet sends so a closed connection is noticed even when no data flows.</summary>
    private static async Task WatchForCloseAsync(Socket client, CancellationTokenSource session)
    {
        byte[] sink = new byte[256];
        try
        {
            while (true)
            {
                int read = await client.ReceiveAsync(sink, SocketFlags.None, session.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        await session.CancelAsync().ConfigureAwait(false);
    }

    private static int ParseHeaderInt(string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int result) ? result : (int)Math.Clamp(ParseLoose(value), int.MinValue, int.MaxValue);

    private static double ParseLoose(string value) => Config.IniFile.ParseDouble(value);

    private static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken token)
    {
        while (data.Length > 0)
        {
            int sent = await socket.SendAsync(data, SocketFlags.None, token).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    /// <summary>Applies the configured socket buffer sizes (listener and accepted connections).</summary>
    internal static void ConfigureDataSocketBuffers(Socket socket, LslConfig config)
    {
        if (config.SendSocketBufferSize > 0)
        {
            socket.SendBufferSize = config.SendSocketBufferSize;
        }
        if (config.ReceiveSocketBufferSize > 0)
        {
            socket.ReceiveBufferSize = config.ReceiveSocketBufferSize;
        }
    }

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "…";

    /// <summary>Closes the listener and every open connection, which ends the accept loop and each connection's task.</summary>
    public void Dispose()
    {
        _listener.Dispose();
        foreach (Socket connection in _connections.Keys)
        {
            try
            {
                connection.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
            connection.Dispose();
        }
    }
}
