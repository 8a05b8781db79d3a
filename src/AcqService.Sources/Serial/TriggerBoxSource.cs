using System.Text;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AcqService.Sources.Serial;

/// <summary>
/// A serial trigger box (needle events from a foot switch, TTL box or button box) as a marker source. Each event
/// byte (or text line) becomes a <see cref="Marker"/> with the label the profile maps it to, e.g. 0x01 →
/// <c>needle/insert;site=ST36;kind=real</c>, stamped with the host clock at arrival minus the latency offset. Codes
/// the profile does not know become <c>unknown/0xNN</c> (text: <c>unknown/&lt;line&gt;</c>) and are counted; no input
/// can crash it.
/// </summary>
public sealed class TriggerBoxSource : ISource, ISerialDeviceHandler
{
    private readonly TriggerBoxOptions _options;
    private readonly Func<double> _clock;
    private readonly Func<ISerialTransport> _factory;
    private readonly ILogger _logger;
    private readonly double _latency;
    /// <summary>Byte mode: label per code, built once so a steady stream of events allocates nothing.</summary>
    private readonly string[] _byteLabels = new string[256];
    private readonly bool[] _known = new bool[256];
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lines;
    private readonly byte[] _line;
    private readonly char[] _lineChars;
    private int _lineLength;
    private bool _lineTruncated;
    private Edge<SourceItem>? _output;
    private CancellationToken _token;
    private SerialConnectionLoop? _loop;
    private string? _lostReason;
    private double _lostAt;
    private long _markers;
    private long _unknown;
    private long _truncated;

    /// <summary>Creates the source.</summary>
    /// <param name="stream">Marker stream.</param>
    /// <param name="options">Port and code map.</param>
    /// <param name="clock">Host clock (seconds, the local LSL clock).</param>
    /// <param name="transportFactory">Creates one connection; default: <see cref="SerialPortTransport"/>.</param>
    /// <param name="logger">Logger.</param>
    /// <exception cref="ArgumentException">The stream is not a marker stream.</exception>
    public TriggerBoxSource(StreamDescriptor stream, TriggerBoxOptions options, Func<double> clock, Func<ISerialTransport>? transportFactory = null, ILogger? logger = null)
    {
        if (stream.Kind != StreamKind.Markers)
        {
            throw new ArgumentException($"stream '{stream.Key}': a {TriggerBoxOptions.Driver} delivers a marker stream (kind 'markers')");
        }
        Stream = stream;
        _options = options;
        _clock = clock;
        _factory = transportFactory ?? (() => new SerialPortTransport(options.Serial));
        _logger = logger ?? NullLogger.Instance;
        _latency = options.Serial.LatencyOffsetMs / 1000.0;
        for (int b = 0; b < 256; b++)
        {
            _known[b] = options.Codes.TryGetValue(TriggerBoxOptions.ByteKey((byte)b), out string? label);
            _byteLabels[b] = label ?? $"unknown/0x{b:X2}";
        }
        var lines = new Dictionary<string, string>(StringComparer.Ordinal);
        if (options.TextLines)
        {
            foreach ((string key, string label) in options.Codes)
            {
                lines[key] = label;
            }
        }
        _lines = lines.GetAlternateLookup<ReadOnlySpan<char>>();
        _line = new byte[options.MaxLineLength];
        _lineChars = new char[options.MaxLineLength];
    }

    /// <inheritdoc />
    public string Name => $"serial trigger box on {_options.Serial.Port}";

    /// <summary>The stream produced.</summary>
    public StreamDescriptor Stream { get; }

    /// <inheritdoc />
    public IReadOnlyList<StreamDescriptor> Streams => [Stream];

    /// <summary>Markers emitted (known and unknown).</summary>
    public long Markers => Interlocked.Read(ref _markers);

    /// <summary>Markers whose code or line the profile does not map.</summary>
    public long UnknownCodes => Interlocked.Read(ref _unknown);

    /// <summary>Text lines longer than the maximum (cut).</summary>
    public long TruncatedLines => Interlocked.Read(ref _truncated);

    /// <summary>Times the device was reopened after a loss.</summary>
    public long Reconnects => _loop?.Reconnects ?? 0;

    /// <inheritdoc />
    public Task RunAsync(Edge<SourceItem> output, CancellationToken cancellationToken)
    {
        _output = output;
        _token = cancellationToken;
        _loop = new SerialConnectionLoop(Name, _factory, _options.Serial, this, _clock, _logger);
        return _loop.RunAsync(cancellationToken);
    }

    void ISerialDeviceHandler.OnConnected(ISerialTransport transport, bool reconnect)
    {
        _lineLength = 0;
        _lineTruncated = false;
        if (_lostReason is not null)
        {
            // Marker streams have no sample grid; the gap records the span in which events may have been missed.
            double now = _clock() - _latency;
            EdgeWriter.Write(_output!, SourceItem.ForGap(new StreamGap(Stream.Index, _lostAt, now, 0, "device lost: " + _lostReason)), _token);
            _lostReason = null;
        }
    }

    void ISerialDeviceHandler.OnBytes(ReadOnlySpan<byte> data, double arrival)
    {
        double t = arrival - _latency;
        if (!_options.TextLines)
        {
            foreach (byte b in data)
            {
                if (b == 0 && _options.IgnoreZero)
                {
                    continue;
                }
                if (!_known[b])
                {
                    Interlocked.Increment(ref _unknown);
                }
                Emit(new Marker(Stream.Index, t, _byteLabels[b], b));
            }
            return;
        }
        foreach (byte b in data)
        {
            if (b is (byte)'\n' or (byte)'\r')
            {
                EndLine(t);
                continue;
            }
            if (_lineLength < _line.Length)
            {
                _line[_lineLength++] = b;
            }
            else
            {
                _lineTruncated = true;
            }
        }
    }

    void ISerialDeviceHandler.OnLost(string reason, double time)
    {
        _lineLength = 0;
        _lostReason = reason;
        _lostAt = time - _latency;
    }

    void ISerialDeviceHandler.OnStopping(ISerialTransport transport)
    {
    }

    private void EndLine(double t)
    {
        if (_lineLength == 0)
        {
            return; // the LF of CR LF, or an empty line
        }
        if (_lineTruncated)
        {
            Interlocked.Increment(ref _truncated);
        }
        // Latin-1 keeps one char per byte, so any byte sequence decodes without allocation or failure.
        int n = Encoding.Latin1.GetChars(_line.AsSpan(0, _lineLength), _lineChars);
        ReadOnlySpan<char> text = _lineChars.AsSpan(0, n).Trim();
        _lineLength = 0;
        _lineTruncated = false;
        if (text.IsEmpty)
        {
            return;
        }
        if (!_lines.TryGetValue(text, out string? label))
        {
            Interlocked.Increment(ref _unknown);
            label = "unknown/" + text.ToString();
        }
        Emit(new Marker(Stream.Index, t, label));
    }

    private void Emit(Marker marker)
    {
        Interlocked.Increment(ref _markers);
        EdgeWriter.Write(_output!, SourceItem.ForMarker(marker), _token);
    }
}
