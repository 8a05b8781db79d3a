using Microsoft.Extensions.Logging;

namespace AcqService.Sources.Serial;

/// <summary>
/// The read loop shared by the serial drivers: opens the port, reads with a finite timeout on a dedicated thread,
/// hands bytes to the driver, and after a loss (unplugged, I/O error, a streaming device gone silent) reopens with
/// exponential back-off while the session keeps running. Cancellation closes the port from the token, which unblocks
/// a pending read on every platform (Bonsai's <c>ObservableSerialPort</c> pattern).
/// </summary>
/// <remarks>
/// Failing to open the port at start (missing device, permission denied, bad settings) is an error at once: the
/// message says how to fix it, and a session that silently waits for an absent amplifier helps nobody. Once a session
/// has had the device, losses are retried (<see cref="SerialPortSettings.ReconnectMaxAttempts"/>, 0 = for ever).
/// </remarks>
internal sealed partial class SerialConnectionLoop
{
    private readonly Func<ISerialTransport> _factory;
    private readonly SerialPortSettings _settings;
    private readonly ISerialDeviceHandler _handler;
    private readonly Func<double> _clock;
    private readonly ILogger _logger;
    private readonly string _name;
    private long _reconnects;
    private long _losses;
    private long _bytes;

    public SerialConnectionLoop(string name, Func<ISerialTransport> factory, SerialPortSettings settings, ISerialDeviceHandler handler, Func<double> clock, ILogger logger)
    {
        _name = name;
        _factory = factory;
        _settings = settings;
        _handler = handler;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>Successful reopenings after a loss.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>Times the device was lost.</summary>
    public long Losses => Interlocked.Read(ref _losses);

    /// <summary>Bytes read.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Last loss or open failure, for status lines.</summary>
    public string? LastProblem { get; private set; }

    /// <summary>Runs the loop on a dedicated thread until cancelled (returns normally) or the device is given up (throws).</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Run(cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[4096];
        bool everConnected = false;
        int failures = 0;
        int delay = _settings.ReconnectInitialDelayMs;
        while (!cancellationToken.IsCancellationRequested)
        {
            ISerialTransport transport = _factory();
            bool connected = false;
            using (CancellationTokenRegistration registration = cancellationToken.Register(() => Stop(transport, connected: Volatile.Read(ref connected))))
            {
                try
                {
                    transport.Open();
                    Volatile.Write(ref connected, true);
                    if (everConnected)
                    {
                        Interlocked.Increment(ref _reconnects);
                        LogReconnected(_logger, _name, transport.Description, failures);
                    }
                    else
                    {
                        LogConnected(_logger, _name, transport.Description);
                    }
                    _handler.OnConnected(transport, everConnected);
                    everConnected = true;
                    failures = 0;
                    delay = _settings.ReconnectInitialDelayMs;
                    ReadUntilLost(transport, buffer, cancellationToken);
                }
                catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException && cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (SerialDeviceException ex) when (cancellationToken.IsCancellationRequested)
                {
                    // Closing the port from the token can surface as an I/O error in the read.
                    _ = ex;
                    return;
                }
                catch (SerialDeviceException ex)
                {
                    LastProblem = ex.Message;
                    if (!everConnected)
                    {
                        // Nothing was ever received: the set-up is wrong, say so now.
                        throw;
                    }
                    if (Volatile.Read(ref connected))
                    {
                        Interlocked.Increment(ref _losses);
                        LogLost(_logger, _name, ex.Message);
                        _handler.OnLost(ex.Message, _clock());
                    }
                    failures++;
                    if (_settings.ReconnectMaxAttempts > 0 && failures > _settings.ReconnectMaxAttempts)
                    {
                        throw new SerialDeviceException(ex.Failure, $"{_name}: gave up after {_settings.ReconnectMaxAttempts} reconnect attempts; last error: {ex.Message}", ex);
                    }
                }
                finally
                {
                    transport.Dispose();
                }
            }
            // Back-off: the token's wait handle makes the wait end at once on stop.
            if (cancellationToken.WaitHandle.WaitOne(delay))
            {
                return;
            }
            delay = Math.Min(delay * 2, _settings.ReconnectMaxDelayMs);
        }
    }

    private void ReadUntilLost(ISerialTransport transport, byte[] buffer, CancellationToken cancellationToken)
    {
        double lastData = _clock();
        double silence = _settings.SilenceTimeoutMs / 1000.0;
        while (!cancellationToken.IsCancellationRequested)
        {
            int n = transport.Read(buffer);
            double now = _clock();
            if (n > 0)
            {
                Interlocked.Add(ref _bytes, n);
                lastData = now;
                _handler.OnBytes(buffer.AsSpan(0, n), now);
            }
            else if (silence > 0 && now - lastData > silence)
            {
                throw new SerialDeviceException(SerialFailure.Disconnected,
                    $"{transport.Description} sent nothing for {now - lastData:F1} s (device off, wrong port or baud rate, or not streaming)");
            }
        }
    }

    private void Stop(ISerialTransport transport, bool connected)
    {
        if (connected)
        {
            try
            {
                _handler.OnStopping(transport);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The device may already be gone; stopping must not fail because of it.
                _ = ex;
            }
        }
        transport.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Name}: opened {Port}")]
    private static partial void LogConnected(ILogger logger, string name, string port);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Name}: reopened {Port} after {Failures} failed attempts")]
    private static partial void LogReconnected(ILogger logger, string name, string port, int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Name}: device lost ({Reason}); reconnecting with back-off")]
    private static partial void LogLost(ILogger logger, string name, string reason);
}
