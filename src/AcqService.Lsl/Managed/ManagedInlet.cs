using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using AcqService.Lsl.Config;

namespace AcqService.Lsl.Managed;

/// <summary>
/// A managed LSL inlet: one background connection loop (handshake, test-pattern check, sample decoding into a
/// bounded drop-oldest buffer, recovery by re-resolving on loss), a watchdog, and a lazily started time-sync loop.
/// </summary>
internal sealed class ManagedInlet : ILslInlet
{
    private readonly ManagedLslBackend _backend;
    private readonly LslConfig _config;
    private readonly bool _recover;
    private readonly int _maxBufferSamples;
    private readonly int _maxChunkLength;
    private readonly Channel<InSample> _buffer;
    private readonly SampleArrayPool _pool;
    private readonly CancellationTokenSource _cts = new();
    private readonly CancellationTokenSource _lostCts = new();
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _startGate = new();
    private volatile LslStreamInfo _current;
    private volatile Exception? _lost;
    private volatile CancellationTokenSource? _connectionCts;
    private volatile TimeEstimate? _estimate;
    private volatile TaskCompletionSource _estimateReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _runTask;
    private Task? _watchdogTask;
    private Task? _timeTask;
    private int _recoveries;
    private bool _hadConnection;
    private long _lastDataTicks;
    private int _disposed;

    public ManagedInlet(ManagedLslBackend backend, LslStreamInfo info, int maxBufferedSeconds, int maxChunkLength, bool recover)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (info.ChannelCount < 1 || info.ChannelCount > LslLimits.MaxChannelCount)
        {
            throw new ArgumentException($"channel count {info.ChannelCount} is outside 1..{LslLimits.MaxChannelCount}", nameof(info));
        }
        if (info.ChannelFormat == LslChannelFormat.Undefined || !Enum.IsDefined(info.ChannelFormat))
        {
            throw new ArgumentException("channel format is undefined", nameof(info));
        }
        _backend = backend;
        _config = backend.Config;
        Info = info.Clone();
        _current = info.Clone();
        // Like liblsl: an unresolved info (no address) can only ever be reached by resolving, so recovery is forced on.
        _recover = recover || !HasEndpoint(info);
        double seconds = Math.Max(1, maxBufferedSeconds);
        _maxBufferSamples = (int)Math.Clamp(info.NominalSrate > 0 ? seconds * info.NominalSrate : seconds * 100, 1, 1 << 24);
        _maxChunkLength = Math.Max(0, maxChunkLength);
        _pool = new SampleArrayPool(info.ChannelCount, Math.Min(_maxBufferSamples, 4096));
        _buffer = Channel.CreateBounded<InSample>(new BoundedChannelOptions(_maxBufferSamples)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleWriter = true,
            SingleReader = false,
        }, dropped => _pool.Return(dropped.Numbers));
    }

    /// <inheritdoc />
    public LslStreamInfo Info { get; }

    /// <inheritdoc />
    public int SamplesAvailable => _buffer.Reader.Count;

    /// <summary>True once the time-sync state was reset by a recovery (liblsl's <c>was_clock_reset</c>).</summary>
    internal bool ClockWasReset { get; private set; }

    /// <inheritdoc />
    public int TakeRecoveryCount() => Interlocked.Exchange(ref _recoveries, 0);

    /// <inheritdoc />
    public void Open(TimeSpan timeout)
    {
        ThrowIfLost();
        EnsureStarted();
        Task first = _connected.Task;
        int index = Task.WaitAny([first, WhenLost()], timeout);
        ThrowIfLost();
        if (index != 0)
        {
            throw new TimeoutException($"stream '{Info.Name}' did not connect within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
    }

    /// <summary>Checks the caller's buffer against the channel count; returns the channel count.</summary>
    private int CheckCapacity(int values, int samples)
    {
        int channels = Info.ChannelCount;
        if (values < samples * channels)
        {
            throw new ArgumentException($"data holds {values} values but {samples} samples × {channels} channels need {samples * channels}");
        }
        return channels;
    }

    /// <summary>
    /// The next buffered sample of a pull. Only the first sample of a pull waits (up to <paramref name="timeout"/>),
    /// so a pull returns what is buffered instead of waiting for a full chunk.
    /// </summary>
    private bool TryNextSample(int pulled, TimeSpan timeout, out InSample sample)
    {
        while (!_buffer.Reader.TryRead(out sample))
        {
            if (pulled > 0 || !WaitForData(timeout))
            {
                return false;
            }
        }
        return true;
    }

    /// <inheritdoc />
    public int PullChunk(Span<double> data, Span<double> timestamps, TimeSpan timeout)
    {
        if (Info.ChannelFormat == LslChannelFormat.String)
        {
            throw new InvalidOperationException("numeric pull from a string stream; use the string overload");
        }
        int channels = CheckCapacity(data.Length, timestamps.Length);
        int count = 0;
        while (count < timestamps.Length && TryNextSample(count, timeout, out InSample sample))
        {
            sample.Numbers!.CopyTo(data.Slice(count * channels, channels));
            _pool.Return(sample.Numbers);
            timestamps[count++] = sample.Timestamp;
        }
        return count;
    }

    /// <inheritdoc />
    public int PullChunk(Span<string> data, Span<double> timestamps, TimeSpan timeout)
    {
        int channels = CheckCapacity(data.Length, timestamps.Length);
        int count = 0;
        while (count < timestamps.Length && TryNextSample(count, timeout, out InSample sample))
        {
            for (int k = 0; k < channels; k++)
            {
                data[count * channels + k] = sample.Strings is not null
                    ? sample.Strings[k]
                    : sample.Numbers![k].ToString("R", CultureInfo.InvariantCulture);
            }
            _pool.Return(sample.Numbers);
            timestamps[count++] = sample.Timestamp;
        }
        return count;
    }

    /// <summary>Blocks until a sample is buffered (true) or the timeout passes (false); throws once the stream is lost and drained.</summary>
    private bool WaitForData(TimeSpan timeout)
    {
        EnsureStarted();
        if (_buffer.Reader.Count == 0)
        {
            // Buffered samples are still delivered after a loss; only an empty buffer reports it.
            ThrowIfLost();
        }
        if (timeout <= TimeSpan.Zero)
        {
            return false;
        }
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token, _lostCts.Token);
        wait.CancelAfter(timeout);
        try
        {
            bool more = _buffer.Reader.WaitToReadAsync(wait.Token).AsTask().GetAwaiter().GetResult();
            if (!more && _buffer.Reader.Count == 0)
            {
                ThrowIfLost();
            }
            return more;
        }
        catch (OperationCanceledException)
        {
            if (_buffer.Reader.Count > 0)
            {
                return true;
            }
            ThrowIfLost();
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            return false;
        }
    }

    /// <inheritdoc />
    public LslStreamInfo GetFullInfo(TimeSpan timeout)
    {
        ThrowIfLost();
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        Exception? lastError = null;
        while (true)
        {
            LslStreamInfo target = _current;
            long remaining = deadline - Environment.TickCount64;
            if (remaining <= 0)
            {
                break;
            }
            if (HasEndpoint(target))
            {
                try
                {
                    return FetchFullInfoAsync(target, TimeSpan.FromMilliseconds(remaining)).GetAwaiter().GetResult();
                }
                catch (Exception ex) when (ex is SocketException or IOException or LslProtocolException or FormatException or OperationCanceledException)
                {
                    lastError = ex;
                }
            }
            ThrowIfLost();
            Thread.Sleep((int)Math.Clamp(deadline - Environment.TickCount64, 0, 100));
        }
        throw new TimeoutException($"full info of '{Info.Name}' not received within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s" + (lastError is null ? "" : $": {lastError.Message}"));
    }

    private async Task<LslStreamInfo> FetchFullInfoAsync(LslStreamInfo target, TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token);
        cts.CancelAfter(timeout);
        using Socket socket = await ConnectAsync(target, cts.Token).ConfigureAwait(false);
        await socket.SendAsync("LSL:fullinfo\r\n"u8.ToArray(), SocketFlags.None, cts.Token).ConfigureAwait(false);
        var reader = new FrameReader(socket, LslLimits.MaxXmlBytes + 1);
        byte[] xml = await reader.ReadToEndAsync(LslLimits.MaxXmlBytes, cts.Token).ConfigureAwait(false);
        LslStreamInfo full = LslStreamInfo.FromXml(Encoding.UTF8.GetString(xml));
        if (full.Uid != target.Uid || full.CreatedAt == 0)
        {
            throw new LslProtocolException("fullinfo belongs to another stream instance or has no created_at");
        }
        // The outlet leaves the addresses empty; keep the ones discovery found.
        full.V4Address = target.V4Address;
        full.V6Address = target.V6Address;
        return full;
    }

    /// <inheritdoc />
    public double TimeCorrection(TimeSpan timeout)
    {
        ThrowIfLost();
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        EnsureTimeSync();
        TimeEstimate? estimate = _estimate;
        if (estimate is not null)
        {
            return estimate.Correction;
        }
        int index = Task.WaitAny([_estimateReady.Task, WhenLost()], timeout);
        ThrowIfLost();
        estimate = _estimate;
        if (index != 0 || estimate is null)
        {
            throw new TimeoutException($"no clock offset for '{Info.Name}' within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        return estimate.Correction;
    }

    private Task WhenLost() => Task.Delay(Timeout.Infinite, _lostCts.Token).ContinueWith(_ => { }, TaskScheduler.Default);

    private void ThrowIfLost()
    {
        if (_lost is Exception reason)
        {
            throw new LslStreamLostException($"stream '{Info.Name}' is lost: {reason.Message}", reason);
        }
    }

    private static bool HasEndpoint(LslStreamInfo info) => info.V4Address.Length > 0 && info.V4DataPort > 0;

    private void EnsureStarted()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_runTask is not null)
        {
            return;
        }
        lock (_startGate)
        {
            if (_runTask is null)
            {
                _watchdogTask = Task.Run(WatchdogAsync);
                _runTask = Task.Run(RunAsync);
            }
        }
    }

    private void EnsureTimeSync()
    {
        EnsureStarted();
        if (_timeTask is not null)
        {
            return;
        }
        lock (_startGate)
        {
            _timeTask ??= Task.Run(TimeSyncLoopAsync);
        }
    }

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

    private async Task RunAsync()
    {
        CancellationToken token = _cts.Token;
        bool firstRecovery = true;
        while (!token.IsCancellationRequested)
        {
            LslStreamInfo target = _current;
            using (var connection = CancellationTokenSource.CreateLinkedTokenSource(token))
            {
                _connectionCts = connection;
                try
                {
                    if (HasEndpoint(target))
                    {
                        await StreamAsync(target, connection.Token).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    break;
                }
                catch (OperationCanceledException)
                {
                    _backend.Report($"inlet '{Info.Name}': connection to {target.V4Address}:{target.V4DataPort} aborted (watchdog or handshake timeout)");
                }
                catch (Exception ex) when (ex is LslProtocolException or SocketException or IOException or EndOfStreamException or FormatException or ObjectDisposedException)
                {
                    _backend.Report($"inlet '{Info.Name}': connection to {target.V4Address}:{target.V4DataPort} ended: {ex.Message}");
                }
                finally
                {
                    _connectionCts = null;
                }
            }
            if (token.IsCancellationRequested)
            {
                break;
            }
            if (!_recover || (target.SourceId.Length == 0 && HasEndpoint(Info)))
            {
                SetLost(new IOException(_recover ? "the stream has no source_id, so it cannot be recovered" : "the connection dropped and recovery is disabled"));
                return;
            }
            try
            {
                await RecoverAsync(firstRecovery, token).ConfigureAwait(false);
                firstRecovery = false;
                await Task.Delay(500, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Re-resolves with the recovery query until the same stream, or exactly one new instance, is found.</summary>
    private async Task RecoverAsync(bool first, CancellationToken token)
    {
        var resolver = new Resolver(_backend);
        string query = Resolver.RecoveryQuery(Info);
        while (true)
        {
            IReadOnlyList<LslStreamInfo> found = await resolver.ResolveAsync(query, 0, TimeSpan.FromSeconds(first ? 1 : 2), token).ConfigureAwait(false);
            first = false;
            LslStreamInfo current = _current;
            if (found.Any(f => f.Uid == current.Uid))
            {
                return;
            }
            if (found.Count == 1)
            {
                _backend.Report($"inlet '{Info.Name}': recovered stream instance {found[0].Uid} at {found[0].V4Address}:{found[0].V4DataPort}");
                _current = found[0];
                ResetTimeSync();
                return;
            }
            if (found.Count > 1)
            {
                _backend.Report($"inlet '{Info.Name}': {found.Count} streams match the recovery query; refusing to guess, retrying");
            }
        }
    }

    private void ResetTimeSync()
    {
        _estimate = null;
        if (_estimateReady.Task.IsCompleted)
        {
            _estimateReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        ClockWasReset = true;
    }

    private void SetLost(Exception reason)
    {
        _lost = reason;
        _backend.Report($"inlet '{Info.Name}': stream lost: {reason.Message}");
        _buffer.Writer.TryComplete();
        _lostCts.Cancel();
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
            CheckStatus(status);
            List<string> headers = await reader.ReadHeaderLinesAsync(handshake.Token).ConfigureAwait(false);
            bigEndian = CheckHeaders(headers, target);
            var patternDecoder = new SampleDecoder(reader, target.ChannelFormat, target.ChannelCount, target.NominalSrate, bigEndian);
            for (int offset = 4; offset >= 2; offset -= 2)
            {
                InSample pattern = await patternDecoder.ReadAsync(handshake.Token).ConfigureAwait(false);
                VerifyTestPattern(pattern, target, offset);
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
        ChannelWriter<InSample> writer = _buffer.Writer;
        while (true)
        {
            InSample sample = await decoder.ReadAsync(token).ConfigureAwait(false);
            Volatile.Write(ref _lastDataTicks, Environment.TickCount64);
            writer.TryWrite(sample);
        }
    }

    private static void CheckStatus(string status)
    {
        string[] parts = status.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 3 || !parts[0].StartsWith("LSL/", StringComparison.Ordinal)
            || !int.TryParse(parts[0].AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out int version)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int code))
        {
            throw new LslProtocolException($"malformed status line '{Shorten(status)}'");
        }
        if (version / 100 > 1)
        {
            throw new LslProtocolException($"outlet speaks a newer protocol ({version})");
        }
        if (code == 404)
        {
            throw new LslProtocolException("outlet answered 404: this stream instance is gone");
        }
        if (code >= 300)
        {
            throw new LslProtocolException($"outlet refused the connection: '{Shorten(status)}'");
        }
    }

    private static bool CheckHeaders(List<string> headers, LslStreamInfo target)
    {
        bool bigEndian = false;
        int dataVersion = 110;
        foreach (string line in headers)
        {
            if (!WireFormat.TryParseHeader(line, out string key, out string value))
            {
                continue;
            }
            switch (key)
            {
                case "byte-order":
                    bigEndian = value switch
                    {
                        "1234" or "0" => false,
                        "4321" => true,
                        _ => throw new LslProtocolException($"unsupported byte order '{Shorten(value)}'"),
                    };
                    break;
                case "uid":
                    if (value != target.Uid.ToLowerInvariant())
                    {
                        throw new LslProtocolException($"outlet uid '{Shorten(value)}' differs from the resolved uid {target.Uid}");
                    }
                    break;
                case "data-protocol-version":
                    if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out dataVersion))
                    {
                        throw new LslProtocolException($"bad data-protocol-version '{Shorten(value)}'");
                    }
                    break;
            }
        }
        if (dataVersion > 110)
        {
            throw new LslProtocolException($"outlet chose data protocol {dataVersion}, newer than 110");
        }
        if (dataVersion < 110)
        {
            throw new LslProtocolException($"outlet chose legacy data protocol {dataVersion}, which the managed inlet does not read");
        }
        return bigEndian;
    }

    private static void VerifyTestPattern(InSample sample, LslStreamInfo target, int offset)
    {
        bool ok = BitConverter.DoubleToInt64Bits(sample.Timestamp) == BitConverter.DoubleToInt64Bits(WireFormat.TestPatternTimestamp);
        for (int k = 0; ok && k < target.ChannelCount; k++)
        {
            ok = target.ChannelFormat == LslChannelFormat.String
                ? sample.Strings![k] == WireFormat.TestPatternString(k)
                : sample.Numbers![k] == WireFormat.TestPatternInteger(target.ChannelFormat, k, offset);
        }
        if (!ok)
        {
            throw new LslProtocolException($"test pattern (offset {offset}) does not match");
        }
    }

    private async Task WatchdogAsync()
    {
        CancellationToken token = _cts.Token;
        var resolver = new Resolver(_backend);
        try
        {
            while (!token.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Max(0.05, _config.WatchdogCheckInterval)), token).ConfigureAwait(false);
                CancellationTokenSource? connection = _connectionCts;
                long idleMs = Environment.TickCount64 - Volatile.Read(ref _lastDataTicks);
                if (connection is null || !_hadConnection || !_recover || idleMs < _config.WatchdogTimeThreshold * 1000)
                {
                    continue;
                }
                // Silent stall (no FIN/RST): only abandon the connection if discovery shows a different instance.
                LslStreamInfo current = _current;
                IReadOnlyList<LslStreamInfo> found = await resolver.ResolveAsync(Resolver.RecoveryQuery(Info), 0, TimeSpan.FromSeconds(1), token).ConfigureAwait(false);
                if (found.Count == 1 && found[0].Uid != current.Uid)
                {
                    _backend.Report($"inlet '{Info.Name}': no data for {idleMs / 1000.0:F1} s and a new instance exists; reconnecting");
                    try
                    {
                        connection.Cancel();
                    }
                    catch (ObjectDisposedException)
                    {
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task TimeSyncLoopAsync()
    {
        CancellationToken token = _cts.Token;
        try
        {
            while (!token.IsCancellationRequested && _lost is null)
            {
                long started = Environment.TickCount64;
                LslStreamInfo target = _current;
                if (target.V4Address.Length > 0 && target.V4ServicePort > 0)
                {
                    TimeEstimate? estimate = await RunTimeBurstAsync(target, token).ConfigureAwait(false);
                    if (estimate is not null && ReferenceEquals(target, _current))
                    {
                        _estimate = estimate;
                        _estimateReady.TrySetResult();
                    }
                }
                long waitMs = (long)(_config.TimeUpdateInterval * 1000) - (Environment.TickCount64 - started);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(50, waitMs)), token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One burst of <c>TimeProbeCount</c> probes; the probe with the smallest round trip wins (§5).</summary>
    private async Task<TimeEstimate?> RunTimeBurstAsync(LslStreamInfo target, CancellationToken token)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(PortBinder.BindAddress(_config), 0));
        var destination = new IPEndPoint(IPAddress.Parse(target.V4Address), target.V4ServicePort);
        int waveId = Random.Shared.Next();
        var probes = new List<(double Rtt, double Offset, double Remote)>();
        using var burst = CancellationTokenSource.CreateLinkedTokenSource(token);
        Task receiving = ReceiveTimeRepliesAsync(socket, waveId, probes, burst.Token);
        try
        {
            for (int i = 0; i < _config.TimeProbeCount; i++)
            {
                string probe = "LSL:timedata\r\n" + waveId.ToString(CultureInfo.InvariantCulture) + " " + WireFormat.FormatClock(_backend.LocalClock()) + "\r\n";
                try
                {
                    await socket.SendToAsync(Encoding.ASCII.GetBytes(probe), SocketFlags.None, destination, token).ConfigureAwait(false);
                }
                catch (SocketException ex)
                {
                    _backend.Report($"inlet '{Info.Name}': time probe to {destination} failed: {ex.SocketErrorCode}");
                }
                await Task.Delay(TimeSpan.FromSeconds(_config.TimeProbeInterval), token).ConfigureAwait(false);
            }
            await Task.Delay(TimeSpan.FromSeconds(_config.TimeProbeMaxRtt), token).ConfigureAwait(false);
        }
        finally
        {
            await burst.CancelAsync().ConfigureAwait(false);
            await receiving.ConfigureAwait(false);
        }
        lock (probes)
        {
            if (probes.Count < Math.Max(1, _config.TimeUpdateMinProbes))
            {
                return null;
            }
            var best = probes.MinBy(p => p.Rtt);
            return new TimeEstimate(-best.Offset, best.Rtt, best.Remote);
        }
    }

    private Task ReceiveTimeRepliesAsync(Socket socket, int waveId, List<(double Rtt, double Offset, double Remote)> probes, CancellationToken token)
    {
        byte[] buffer = new byte[1024];
        return UdpReceiveLoop.RunAsync(socket, buffer, result =>
        {
            double t3 = _backend.LocalClock();
            string[] tokens = Encoding.ASCII.GetString(buffer, 0, result.ReceivedBytes).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length >= 4
                && int.TryParse(tokens[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int id) && id == waveId
                && double.TryParse(tokens[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double t0)
                && double.TryParse(tokens[2], NumberStyles.Float, CultureInfo.InvariantCulture, out double t1)
                && double.TryParse(tokens[3], NumberStyles.Float, CultureInfo.InvariantCulture, out double t2))
            {
                double rtt = (t3 - t0) - (t2 - t1);
                double offset = ((t1 - t0) + (t2 - t3)) / 2;
                lock (probes)
                {
                    probes.Add((rtt, offset, (t1 + t2) / 2));
                }
            }
            return ValueTask.CompletedTask;
        }, token);
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _cts.Cancel();
        _buffer.Writer.TryComplete();
        Task[] tasks = new[] { _runTask, _watchdogTask, _timeTask }.Where(t => t is not null).Select(t => t!).ToArray();
        try
        {
            Task.WaitAll(tasks, LslLimits.DisposeTimeout);
        }
        catch (AggregateException)
        {
        }
    }
}
