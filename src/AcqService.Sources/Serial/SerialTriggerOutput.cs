using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AcqService.Sources.Serial;

/// <summary>
/// Trigger output: writes a configured byte to a serial trigger device when the session starts, when a marker
/// whose label matches a rule is received, and when the session stops — so an EEG amplifier recording on its own
/// (with its own trigger input) gets the needle events too. Attach it as a raw sink
/// (the session (<c>AcquisitionSession</c>)'s <c>rawSinks</c>): it sees every marker in arrival order.
/// </summary>
/// <remarks>
/// A trigger output must never hold up acquisition: if the port cannot be opened or is lost, the error is logged
/// and counted and the sink keeps draining (and releasing) its input. Pulses: each code is followed by 0 after
/// <see cref="TriggerOutputOptions.PulseMs"/>, because TTL boxes hold the last byte's level.
/// </remarks>
public sealed partial class SerialTriggerOutput : IRawSink
{
    private readonly TriggerOutputOptions _options;
    private readonly Func<ISerialTransport> _factory;
    private readonly ILogger _logger;
    private ISerialTransport? _transport;
    private long _sent;
    private long _failed;

    /// <summary>Creates the output (the port is opened when <see cref="RunAsync"/> starts).</summary>
    /// <param name="options">Port and rules.</param>
    /// <param name="transportFactory">Creates the connection; default: <see cref="SerialPortTransport"/>.</param>
    /// <param name="logger">Logger.</param>
    public SerialTriggerOutput(TriggerOutputOptions options, Func<ISerialTransport>? transportFactory = null, ILogger? logger = null)
    {
        _options = options;
        _factory = transportFactory ?? (() => new SerialPortTransport(options.Serial));
        _logger = logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public string Name => $"serial trigger output on {_options.Serial.Port}";

    /// <summary>Codes written (start/stop and markers, not the 0 that ends a pulse).</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Codes that could not be written (port missing or lost).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Last error, or null.</summary>
    public string? LastError { get; private set; }

    /// <inheritdoc />
    public async Task RunAsync(Edge<SourceItem> input, CancellationToken cancellationToken)
    {
        try
        {
            Connect();
            if (_options.SessionStartCode is byte start)
            {
                await SendAsync(start, cancellationToken).ConfigureAwait(false);
            }
            while (await input.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (input.Reader.TryRead(out SourceItem item))
                {
                    if (item.Kind == SourceItemKind.Samples)
                    {
                        item.Chunk!.Release();
                        continue;
                    }
                    if (item.Kind == SourceItemKind.Marker && Match(item.Marker.Label) is byte code)
                    {
                        await SendAsync(code, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            if (_options.SessionStopCode is byte stop)
            {
                await SendAsync(stop, CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            _transport?.Dispose();
            _transport = null;
        }
    }

    private byte? Match(string label)
    {
        foreach (TriggerOutputRule rule in _options.OnMarker)
        {
            if (rule.Match.IsMatch(label))
            {
                return rule.Code;
            }
        }
        return null;
    }

    private void Connect()
    {
        ISerialTransport transport = _factory();
        try
        {
            transport.Open();
            _transport = transport;
        }
        catch (SerialDeviceException ex)
        {
            transport.Dispose();
            LastError = ex.Message;
            LogFailed(_logger, Name, ex.Message);
        }
    }

    private async ValueTask SendAsync(byte code, CancellationToken cancellationToken)
    {
        if (_transport is null)
        {
            // One reopen attempt per code: a trigger device plugged in late still gets the later events.
            Connect();
            if (_transport is null)
            {
                Interlocked.Increment(ref _failed);
                return;
            }
        }
        try
        {
            _transport.Write([code]);
            Interlocked.Increment(ref _sent);
            if (_options.PulseMs > 0)
            {
                await Task.Delay(_options.PulseMs, cancellationToken).ConfigureAwait(false);
                _transport.Write([0]);
            }
        }
        catch (SerialDeviceException ex)
        {
            Interlocked.Increment(ref _failed);
            LastError = ex.Message;
            LogFailed(_logger, Name, ex.Message);
            _transport.Dispose();
            _transport = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Name}: {Error}; trigger codes are not sent while the port is unavailable")]
    private static partial void LogFailed(ILogger logger, string name, string error);
}
