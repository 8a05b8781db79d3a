using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using AcqService.Lsl.Config;

namespace AcqService.Lsl.Managed;

/// <summary>
/// A managed LSL outlet: TCP data listener and UDP service socket in the port range, UDP responders on the
/// multicast port, per-consumer drop-oldest queues. Pushes never block on the network and take no lock.
/// </summary>
internal sealed class ManagedOutlet : ILslOutlet
{
    private readonly ManagedLslBackend _backend;
    private readonly LslConfig _config;
    private readonly int _channels;
    private readonly LslChannelFormat _format;
    private readonly double _srate;
    private readonly double _srateRecip;
    private readonly int _chunkSize;
    private readonly int _maxBufferedSamples;
    private readonly Socket _listener;
    private readonly Socket _service;
    private readonly List<Socket> _responders = [];
    private readonly byte[] _fullInfo;
    private readonly string _shortInfo;
    private readonly QueryMatcher _matcher;
    private readonly CancellationTokenSource _cts = new();
    private readonly ConcurrentDictionary<Socket, byte> _connections = new();
    private readonly ConcurrentDictionary<Task, byte> _tasks = new();
    private readonly object _consumersGate = new();
    private volatile OutletConsumer[] _consumers = [];
    private double _lastTimestamp;
    private int _disposed;

    public ManagedOutlet(ManagedLslBackend backend, LslStreamInfo info, int chunkSize, int maxBufferedSeconds)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (info.Name.Length == 0)
        {
            throw new ArgumentException("stream name must not be empty", nameof(info));
        }
        if (info.ChannelCount < 1 || info.ChannelCount > LslLimits.MaxChannelCount)
        {
            throw new ArgumentException($"channel count {info.ChannelCount} is outside 1..{LslLimits.MaxChannelCount}", nameof(info));
        }
        if (info.ChannelFormat == LslChannelFormat.Undefined || !Enum.IsDefined(info.ChannelFormat))
        {
            throw new ArgumentException("channel format is undefined", nameof(info));
        }
        if (info.NominalSrate < 0 || !double.IsFinite(info.NominalSrate))
        {
            throw new ArgumentException("nominal rate must be finite and >= 0", nameof(info));
        }
        _backend = backend;
        _config = backend.Config;
        _channels = info.ChannelCount;
        _format = info.ChannelFormat;
        _srate = info.NominalSrate;
        _srateRecip = _srate > 0 ? 1.0 / _srate : 0;
        _chunkSize = Math.Max(0, chunkSize);
        double seconds = Math.Max(1, maxBufferedSeconds);
        _maxBufferedSamples = (int)Math.Clamp(_srate > 0 ? seconds * _srate : seconds * 100, 1, 1 << 24);

        _listener = PortBinder.BindTcpListener(_config);
        try
        {
            _service = PortBinder.BindUdp(_config);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }
        ConfigureDataSocketBuffers(_listener);

        LslStreamInfo published = info.Clone();
        published.Uid = Guid.NewGuid().ToString("D");
        published.CreatedAt = backend.LocalClock();
        published.SessionId = _config.SessionId;
        published.Hostname = backend.Hostname;
        published.ProtocolVersion = 110;
        published.V4Address = "";
        published.V4DataPort = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        published.V4ServicePort = ((IPEndPoint)_service.LocalEndPoint!).Port;
        published.V6Address = "";
        published.V6DataPort = 0;
        published.V6ServicePort = 0;
        Info = published;
        string fullXml = published.ToXml(includeDesc: true);
        _fullInfo = Encoding.UTF8.GetBytes(fullXml);
        _shortInfo = published.ToXml(includeDesc: false);
        _matcher = new QueryMatcher(fullXml, _config.MaxCachedQueries);

        OpenResponders();
        Track(AcceptLoopAsync());
        Track(UdpLoopAsync(_service, isService: true));
        foreach (Socket responder in _responders)
        {
            Track(UdpLoopAsync(responder, isService: false));
        }
    }

    /// <inheritdoc />
    public LslStreamInfo Info { get; }

    /// <inheritdoc />
    public bool HaveConsumers => _consumers.Length > 0;

    /// <inheritdoc />
    public bool WaitForConsumers(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!HaveConsumers)
        {
            if (Environment.TickCount64 >= deadline || _disposed != 0)
            {
                return HaveConsumers;
            }
            Thread.Sleep(5);
        }
        return true;
    }

    /// <summary>Checks the chunk's shape; with no consumer only the timestamp state advances (nothing is encoded).</summary>
    private bool NothingToSend(int values, ReadOnlySpan<double> timestamps)
    {
        CheckShape(values, timestamps.Length);
        if (_consumers.Length == 0)
        {
            AdvanceWithoutConsumers(timestamps);
            return true;
        }
        return false;
    }

    /// <inheritdoc />
    public void PushChunk(ReadOnlySpan<double> data, ReadOnlySpan<double> timestamps, bool pushthrough = true)
    {
        if (!NothingToSend(data.Length, timestamps))
        {
            Enqueue(ValueEncoder.Encode(_format, _channels, data, out int[] offsets), offsets, timestamps, pushthrough);
        }
    }

    /// <inheritdoc />
    public void PushChunk(ReadOnlySpan<float> data, ReadOnlySpan<double> timestamps, bool pushthrough = true)
    {
        if (!NothingToSend(data.Length, timestamps))
        {
            Enqueue(ValueEncoder.Encode(_format, _channels, data, out int[] offsets), offsets, timestamps, pushthrough);
        }
    }

    /// <inheritdoc />
    public void PushChunk(ReadOnlySpan<long> data, ReadOnlySpan<double> timestamps, bool pushthrough = true)
    {
        if (!NothingToSend(data.Length, timestamps))
        {
            Enqueue(ValueEncoder.Encode(_format, _channels, data, out int[] offsets), offsets, timestamps, pushthrough);
        }
    }

    /// <inheritdoc />
    public void PushChunk(ReadOnlySpan<string> data, ReadOnlySpan<double> timestamps, bool pushthrough = true)
    {
        if (_format != LslChannelFormat.String)
        {
            throw new InvalidOperationException($"string samples cannot be pushed into a {_format.ToXmlName()} stream");
        }
        CheckShape(data.Length, timestamps.Length);
        if (_consumers.Length == 0)
        {
            AdvanceWithoutConsumers(timestamps);
            return;
        }
        byte[] bytes = ValueEncoder.EncodeStrings(_channels, data, out int[] offsets);
        Enqueue(bytes, offsets, timestamps, pushthrough);
    }

    private void CheckShape(int values, int frames)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (values != frames * _channels)
        {
            throw new ArgumentException($"data holds {values} values but {frames} timestamps × {_channels} channels need {frames * _channels}");
        }
    }

    /// <summary>
    /// Resolves a pushed timestamp: 0 (or ForceDefaultTimestamps) means now, back-dated by 1/srate per sample that
    /// follows it in the chunk so a chunk pushed "now" keeps its spacing; -1 (LSL_DEDUCED_TIMESTAMP) means previous + 1/srate.
    /// </summary>
    private double Resolve(double timestamp, int index, int count, ref double now)
    {
        if (_config.ForceDefaultTimestamps || timestamp == 0)
        {
            if (now == 0)
            {
                now = _backend.LocalClock();
            }
            timestamp = now - (count - 1 - index) * _srateRecip;
        }
        else if (timestamp == -1.0)
        {
            timestamp = _lastTimestamp == 0 ? _backend.LocalClock() : _lastTimestamp + _srateRecip;
        }
        _lastTimestamp = timestamp;
        return timestamp;
    }

    private void AdvanceWithoutConsumers(ReadOnlySpan<double> timestamps)
    {
        // No history is kept (like liblsl), but -1 timestamps must keep counting from the last real one.
        double now = 0;
        for (int i = 0; i < timestamps.Length; i++)
        {
            Resolve(timestamps[i], i, timestamps.Length, ref now);
        }
    }

    private void Enqueue(byte[] bytes, int[] offsets, ReadOnlySpan<double> timestamps, bool pushthrough)
    {
        int count = timestamps.Length;
        var samples = new OutSample[count];
        double now = 0;
        for (int i = 0; i < count; i++)
        {
            double timestamp = Resolve(timestamps[i], i, count, ref now);
            samples[i] = new OutSample(timestamp, pushthrough && i == count - 1, bytes.AsMemory(offsets[i], offsets[i + 1] - offsets[i]));
        }
        foreach (OutletConsumer consumer in _consumers)
        {
            var writer = consumer.Queue.Writer;
            foreach (OutSample sample in samples)
            {
                writer.TryWrite(sample);
            }
        }
    }

    private void ConfigureDataSocketBuffers(Socket socket)
    {
        if (_config.SendSocketBufferSize > 0)
        {
            socket.SendBufferSize = _config.SendSocketBufferSize;
        }
        if (_config.ReceiveSocketBufferSize > 0)
        {
            socket.ReceiveBufferSize = _config.ReceiveSocketBufferSize;
        }
    }

    private void Track(Task task)
    {
        _tasks[task] = 0;
        task.ContinueWith(t => _tasks.TryRemove(t, out _), TaskScheduler.Default);
    }

    private void OpenResponders()
    {
        IPAddress bindAddress = PortBinder.BindAddress(_config);
        foreach (IPAddress address in _config.DiscoveryAddresses)
        {
            if (address.AddressFamily != AddressFamily.InterNetwork)
            {
                // The managed backend speaks IPv4 only (see report); IPv6 discovery addresses are skipped.
                continue;
            }
            bool isMulticast = IsMulticast(address);
            if (isMulticast && _config.ResolveScope == LslResolveScope.Machine)
            {
                continue;
            }
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(new IPEndPoint(bindAddress, _config.MulticastPort));
                if (isMulticast)
                {
                    JoinGroup(socket, address);
                }
                _responders.Add(socket);
            }
            catch (SocketException ex)
            {
                _backend.Report($"outlet '{Info.Name}': responder for {address} on port {_config.MulticastPort} not opened: {ex.Message}");
                socket.Dispose();
            }
        }
    }

    private void JoinGroup(Socket socket, IPAddress group)
    {
        IEnumerable<IPAddress> interfaces = _config.Interfaces.Count > 0
            ? _config.Interfaces.Select(text => IPAddress.TryParse(text, out IPAddress? a) ? a : null).Where(a => a?.AddressFamily == AddressFamily.InterNetwork).Select(a => a!)
            : NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus == OperationalStatus.Up && n.SupportsMulticast)
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(u => u.Address)
                .Where(a => a.AddressFamily == AddressFamily.InterNetwork);
        int joined = 0;
        foreach (IPAddress local in interfaces)
        {
            try
            {
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(group, local));
                joined++;
            }
            catch (SocketException ex)
            {
                _backend.Report($"outlet '{Info.Name}': joining {group} on {local} failed: {ex.Message}");
            }
        }
        if (joined == 0)
        {
            throw new SocketException((int)SocketError.AddressNotAvailable);
        }
    }

    internal static bool IsMulticast(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork ? (address.GetAddressBytes()[0] & 0xF0) == 0xE0 : address.IsIPv6Multicast;

    private Task UdpLoopAsync(Socket socket, bool isService)
    {
        byte[] buffer = new byte[LslLimits.MaxDatagramBytes + 1];
        CancellationToken token = _cts.Token;
        return UdpReceiveLoop.RunAsync(socket, buffer, async result =>
        {
            double received = _backend.LocalClock();
            try
            {
                await HandleDatagramAsync(socket, buffer.AsMemory(0, result.ReceivedBytes), (IPEndPoint)result.RemoteEndPoint, received, isService, token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or FormatException or ArgumentException or OverflowException)
            {
                _backend.Report($"outlet '{Info.Name}': bad UDP request from {result.RemoteEndPoint}: {ex.Message}");
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                // Shutting down: the loop sees the cancelled token or the closed socket on its next receive.
            }
        }, token);
    }

    private async ValueTask HandleDatagramAsync(Socket socket, ReadOnlyMemory<byte> datagram, IPEndPoint source, double received, bool isService, CancellationToken token)
    {
        if (datagram.Length > LslLimits.MaxDatagramBytes)
        {
            _backend.Report($"outlet '{Info.Name}': oversized datagram from {source} ignored");
            return;
        }
        string text = Encoding.UTF8.GetString(datagram.Span);
        int firstEnd = text.IndexOf('\n', StringComparison.Ordinal);
        string method = (firstEnd < 0 ? text : text[..firstEnd]).Trim(' ', '\t', '\r', '\n');
        string rest = firstEnd < 0 ? "" : text[(firstEnd + 1)..];
        if (method == "LSL:shortinfo")
        {
            int queryEnd = rest.IndexOf('\n', StringComparison.Ordinal);
            if (queryEnd < 0)
            {
                throw new FormatException("shortinfo query without return port line");
            }
            string query = rest[..queryEnd].Trim(' ', '\t', '\r', '\n');
            string[] tokens = rest[(queryEnd + 1)..].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length < 2 || !ushort.TryParse(tokens[0], NumberStyles.None, CultureInfo.InvariantCulture, out ushort returnPort))
            {
                throw new FormatException("shortinfo query without '<return-port> <query-id>'");
            }
            if (!_matcher.Matches(query))
            {
                return;
            }
            byte[] reply = WireFormat.ShortInfoReply(tokens[1], _shortInfo);
            await socket.SendToAsync(reply, SocketFlags.None, new IPEndPoint(source.Address, returnPort), token).ConfigureAwait(false);
        }
        else if (method == "LSL:timedata" && isService)
        {
            string[] tokens = rest.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length < 2
                || !int.TryParse(tokens[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int waveId)
                || !double.TryParse(tokens[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double t0))
            {
                throw new FormatException("timedata request without '<wave-id> <t0>'");
            }
            string reply = " " + waveId.ToString(CultureInfo.InvariantCulture) + " " + WireFormat.FormatClock(t0) + " "
                + WireFormat.FormatClock(received) + " " + WireFormat.FormatClock(_backend.LocalClock());
            await socket.SendToAsync(Encoding.ASCII.GetBytes(reply), SocketFlags.None, source, token).ConfigureAwait(false);
        }
        else
        {
            _backend.Report($"outlet '{Info.Name}': unknown UDP request '{Truncate(method)}' from {source} ignored");
        }
    }

    private async Task AcceptLoopAsync()
    {
        CancellationToken token = _cts.Token;
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
            Track(ServeConnectionAsync(client, token));
        }
    }

    private async Task ServeConnectionAsync(Socket client, CancellationToken token)
    {
        EndPoint? remote = client.RemoteEndPoint;
        try
        {
            client.NoDelay = true;
            ConfigureDataSocketBuffers(client);
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
                _backend.Report($"outlet '{Info.Name}': unknown TCP request '{Truncate(method)}' from {remote}; connection closed");
            }
        }
        catch (LslProtocolException ex)
        {
            _backend.Report($"outlet '{Info.Name}': refused connection from {remote}: {ex.Message}");
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            _backend.Report($"outlet '{Info.Name}': connection from {remote} timed out during the handshake");
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
        if (parts.Length > 1 && parts[1] != Info.Uid)
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
        if (_format != LslChannelFormat.String && valueSize != _format.ValueSize() || !ieee)
        {
            dataVersion = 100;
        }
        if (dataVersion < 110)
        {
            // Protocol 100 (portable binary archive) is not implemented; liblsl 1.10+ inlets never need it.
            _backend.Report($"outlet '{Info.Name}': {client.RemoteEndPoint} needs legacy protocol 100, which the managed outlet does not serve; connection closed");
            return;
        }
        byte[] response = [.. WireFormat.StreamfeedResponse(Info.Uid), .. WireFormat.TestPatterns(_format, _channels)];
        await SendAllAsync(client, response, token).ConfigureAwait(false);
        if (maxBuffer <= 0)
        {
            // liblsl sends the test patterns and then closes when the inlet asks for no buffer.
            return;
        }
        int chunkLimit = maxChunk > 0 ? maxChunk : _chunkSize > 0 ? _chunkSize : int.MaxValue;
        var consumer = new OutletConsumer(client, Math.Min(maxBuffer, _maxBufferedSamples), _srate, chunkLimit);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(token);
        AddConsumer(consumer);
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
            RemoveConsumer(consumer);
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

    private void AddConsumer(OutletConsumer consumer)
    {
        lock (_consumersGate)
        {
            _consumers = [.. _consumers, consumer];
        }
    }

    private void RemoveConsumer(OutletConsumer consumer)
    {
        lock (_consumersGate)
        {
            _consumers = _consumers.Where(c => c != consumer).ToArray();
        }
    }

    private static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken token)
    {
        while (data.Length > 0)
        {
            int sent = await socket.SendAsync(data, SocketFlags.None, token).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "…";

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _cts.Cancel();
        _listener.Dispose();
        _service.Dispose();
        foreach (Socket responder in _responders)
        {
            responder.Dispose();
        }
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
        bool finished;
        try
        {
            finished = Task.WaitAll(_tasks.Keys.ToArray(), LslLimits.DisposeTimeout);
        }
        catch (AggregateException)
        {
            // Loops end through cancellation; their exceptions are not interesting at teardown.
            finished = true;
        }
        _consumers = [];
        if (finished)
        {
            _cts.Dispose();
        }
        else
        {
            _backend.Report($"outlet '{Info.Name}': background loops did not finish within {LslLimits.DisposeTimeout.TotalSeconds} s");
        }
    }
}
