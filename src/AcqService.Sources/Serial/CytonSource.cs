using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AcqService.Sources.Serial;

/// <summary>
/// OpenBCI Cyton (8 channels, 250 Hz) or Cyton+Daisy (16 channels, 125 Hz) over its USB dongle's serial port, as a
/// pipeline source. It sends <c>v</c> (reset), <c>C</c>/<c>c</c> (16/8 channels) and <c>b</c> (stream) on connect
/// and <c>s</c> on stop, decodes the 33-byte packets (<see cref="CytonPacketDecoder"/>, <see cref="CytonFrameAssembler"/>),
/// and stamps each frame with the host clock at arrival, smoothed by <see cref="ArrivalDejitter"/>, minus the
/// profile's latency offset. Lost packets (sample-counter jumps) and reconnects are reported as
/// <see cref="StreamGap"/>s; a lost device is reopened with back-off while the session keeps running.
/// </summary>
public sealed class CytonSource : ISource, ISerialDeviceHandler, ICytonFrameSink
{
    /// <summary>Largest chunk (frames); a chunk is also sent at the end of every read, so latency stays one read.</summary>
    private const int ChunkFrames = 64;

    private readonly CytonOptions _options;
    private readonly Func<double> _clock;
    private readonly Func<ISerialTransport> _factory;
    private readonly ILogger _logger;
    private readonly CytonPacketDecoder _decoder = new();
    private readonly CytonFrameAssembler _assembler;
    private readonly ArrivalDejitter _dejitter;
    private readonly double _latency;
    private SerialConnectionLoop? _loop;
    private ChunkPool? _pool;
    private SampleChunk? _chunk;
    private Edge<SourceItem>? _output;
    private CancellationToken _token;
    private double _arrival;
    private long _index = -1;
    private double _lastTimestamp = double.NaN;
    private string? _pendingGapReason;
    private long _frames;
    private long _gaps;

    /// <summary>Creates the source.</summary>
    /// <param name="stream">Signal stream with 8 (Cyton) or 16 (Daisy) channels at 250 or 125 Hz.</param>
    /// <param name="options">Port, gains, timing.</param>
    /// <param name="clock">Host clock (seconds, the local LSL clock).</param>
    /// <param name="transportFactory">Creates one connection; default: <see cref="SerialPortTransport"/> on <see cref="SerialPortSettings.Port"/>.</param>
    /// <param name="logger">Logger.</param>
    /// <exception cref="ArgumentException">The stream does not fit the board.</exception>
    public CytonSource(StreamDescriptor stream, CytonOptions options, Func<double> clock, Func<ISerialTransport>? transportFactory = null, ILogger? logger = null)
    {
        if (stream.Kind != StreamKind.Signal || stream.ChannelCount != options.ChannelCount || Math.Abs(stream.NominalRateHz - options.RateHz) > 1e-9)
        {
            throw new ArgumentException(
                $"stream '{stream.Key}': an {(options.Daisy ? CytonOptions.DaisyDriver : CytonOptions.CytonDriver)} delivers a signal of {options.ChannelCount} channels at {options.RateHz} Hz, the profile says {stream.ChannelCount} channels at {stream.NominalRateHz} Hz");
        }
        Stream = stream;
        _options = options;
        _clock = clock;
        _factory = transportFactory ?? (() => new SerialPortTransport(options.Serial));
        _logger = logger ?? NullLogger.Instance;
        _assembler = new CytonFrameAssembler(options.Daisy, options.Gains, this);
        _dejitter = new ArrivalDejitter(options.RateHz, options.DejitterHalfLifeSeconds);
        _latency = options.Serial.LatencyOffsetMs / 1000.0;
    }

    /// <inheritdoc />
    public string Name => $"{(_options.Daisy ? "OpenBCI Cyton+Daisy" : "OpenBCI Cyton")} on {_options.Serial.Port}";

    /// <summary>The stream produced.</summary>
    public StreamDescriptor Stream { get; }

    /// <inheritdoc />
    public IReadOnlyList<StreamDescriptor> Streams => [Stream];

    /// <summary>Frames delivered.</summary>
    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>Gaps reported (lost packets and reconnects).</summary>
    public long Gaps => Interlocked.Read(ref _gaps);

    /// <summary>Packet decoder counters (packets, skipped bytes, bad stop bytes).</summary>
    public CytonPacketDecoder Decoder => _decoder;

    /// <summary>Times the device was reopened after a loss.</summary>
    public long Reconnects => _loop?.Reconnects ?? 0;

    /// <summary>The last loss or open failure (e.g. "… sent nothing for 3.0 s …"), or null.</summary>
    public string? LastProblem => _loop?.LastProblem;

    /// <inheritdoc />
    public async Task RunAsync(Edge<SourceItem> output, CancellationToken cancellationToken)
    {
        _output = output;
        _token = cancellationToken;
        _pool = new ChunkPool(Stream.Index, Stream.ChannelCount, ChunkFrames);
        _loop = new SerialConnectionLoop(Name, _factory, _options.Serial, this, _clock, _logger);
        try
        {
            await _loop.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _chunk?.Release();
            _chunk = null;
        }
    }

    void ISerialDeviceHandler.OnConnected(ISerialTransport transport, bool reconnect)
    {
        _decoder.Reset();
        _assembler.Reset();
        _dejitter.Reset();
        _index = -1;
        // Stop a stream left running by an earlier program, reset, choose 8/16 channels, start. Text replies
        // ("...$$$") are skipped by the packet decoder.
        transport.Write([CytonProtocol.StopStreaming, CytonProtocol.SoftReset, _options.Daisy ? CytonProtocol.Use16Channels : CytonProtocol.Use8Channels, CytonProtocol.StartStreaming]);
    }

    void ISerialDeviceHandler.OnBytes(ReadOnlySpan<byte> data, double arrival)
    {
        _arrival = arrival;
        _decoder.Push(data, _assembler);
        Flush();
    }

    void ISerialDeviceHandler.OnLost(string reason, double time)
    {
        Flush();
        if (!double.IsNaN(_lastTimestamp))
        {
            _pendingGapReason = "device lost: " + reason;
        }
    }

    void ISerialDeviceHandler.OnStopping(ISerialTransport transport) => transport.Write([CytonProtocol.StopStreaming]);

    void ICytonFrameSink.OnFrame(ReadOnlySpan<double> microvolts, int missingBefore)
    {
        _index = _index < 0 ? 0 : _index + 1 + missingBefore;
        double t = _dejitter.Next(_index, _arrival) - _latency;
        if ((missingBefore > 0 || _pendingGapReason is not null) && !double.IsNaN(_lastTimestamp))
        {
            Flush();
            long missing = missingBefore > 0 ? missingBefore : Math.Max(0, (long)Math.Round((t - _lastTimestamp) * _options.RateHz) - 1);
            string reason = _pendingGapReason ?? $"{missingBefore} packet{(missingBefore == 1 ? "" : "s")} lost (sample counter jump)";
            EdgeWriter.Write(_output!, SourceItem.ForGap(new StreamGap(Stream.Index, _lastTimestamp, t, missing, reason)), _token);
            Interlocked.Increment(ref _gaps);
            _pendingGapReason = null;
        }
        _pendingGapReason = null;
        SampleChunk chunk = _chunk ??= _pool!.Rent();
        microvolts.CopyTo(chunk.Frame(chunk.Count));
        chunk.Timestamps[chunk.Count] = t;
        chunk.Count++;
        _lastTimestamp = t;
        Interlocked.Increment(ref _frames);
        if (chunk.Count == chunk.Capacity)
        {
            Flush();
        }
    }

    private void Flush()
    {
        if (_chunk is { Count: > 0 } chunk)
        {
            _chunk = null;
            try
            {
                EdgeWriter.Write(_output!, SourceItem.ForSamples(chunk), _token);
            }
            catch
            {
                chunk.Release();
                throw;
            }
        }
    }
}
