using System.IO.Ports;
using System.Text.Json;

namespace AcqService.Sources.Serial;

/// <summary>
/// How to open and keep a serial port: the line settings plus timeouts and the reconnect back-off. Shared by every
/// serial driver's options (<c>source</c> fields <c>port</c>, <c>baudRate</c>, <c>dataBits</c>, <c>parity</c>,
/// <c>stopBits</c>, <c>flowControl</c>, <c>readTimeoutMs</c>, <c>latencyOffsetMs</c>, <c>silenceTimeoutMs</c>,
/// <c>reconnect</c>).
/// </summary>
public sealed record SerialPortSettings
{
    /// <summary>Device path or name: <c>/dev/ttyUSB0</c>, <c>/dev/ttyACM0</c>, <c>COM3</c>, or a pseudo-terminal path.</summary>
    public required string Port { get; init; }

    /// <summary>Baud rate (bits per second).</summary>
    public int BaudRate { get; init; } = 115200;

    /// <summary>Data bits per character (5–8).</summary>
    public int DataBits { get; init; } = 8;

    /// <summary>Parity.</summary>
    public Parity Parity { get; init; } = Parity.None;

    /// <summary>Stop bits.</summary>
    public StopBits StopBits { get; init; } = StopBits.One;

    /// <summary>Flow control.</summary>
    public Handshake FlowControl { get; init; } = Handshake.None;

    /// <summary>Longest a single read blocks (ms); keeps every read finite so stop and silence checks run.</summary>
    public int ReadTimeoutMs { get; init; } = 200;

    /// <summary>
    /// Known transport latency of this device in ms (USB adapter latency timer, radio link, firmware buffering):
    /// subtracted from every arrival-based timestamp, for signal and marker devices alike.
    /// </summary>
    public double LatencyOffsetMs { get; init; }

    /// <summary>
    /// A streaming device that sends no byte for this long (ms) is treated as lost: the port is reopened and the
    /// start command resent. 0 = never (trigger boxes are silent between events).
    /// </summary>
    public int SilenceTimeoutMs { get; init; }

    /// <summary>First wait before reopening a lost port (ms); doubles after each failed attempt.</summary>
    public int ReconnectInitialDelayMs { get; init; } = 250;

    /// <summary>Longest wait between reopen attempts (ms).</summary>
    public int ReconnectMaxDelayMs { get; init; } = 5000;

    /// <summary>Reopen attempts in a row before the source gives up and ends its stream with the error; 0 = never give up.</summary>
    public int ReconnectMaxAttempts { get; init; }

    /// <summary>Short form for logs, e.g. <c>/dev/ttyUSB0 115200 8N1</c>.</summary>
    public string Describe() =>
        $"{Port} {BaudRate} {DataBits}{Parity.ToString()[0]}{(StopBits == StopBits.OnePointFive ? "1.5" : StopBits == StopBits.Two ? "2" : "1")}" +
        (FlowControl == Handshake.None ? "" : $" flow {FlowControl}");

    /// <summary>Reads the shared serial fields of a <c>source</c> section (driver-specific fields are left to the caller).</summary>
    internal static SerialPortSettings Read(SourceSectionReader r, int defaultBaud, int defaultSilenceMs)
    {
        string port = r.String("port", required: true) ?? "";
        int baud = r.Int("baudRate", defaultBaud, 50, 4_000_000);
        int dataBits = r.Int("dataBits", 8, 5, 8);
        Parity parity = r.Choice("parity", "none", "none", "odd", "even", "mark", "space") switch
        {
            "odd" => Parity.Odd,
            "even" => Parity.Even,
            "mark" => Parity.Mark,
            "space" => Parity.Space,
            _ => Parity.None,
        };
        StopBits stopBits = r.Choice("stopBits", "1", "1", "1.5", "2") switch
        {
            "1.5" => StopBits.OnePointFive,
            "2" => StopBits.Two,
            _ => StopBits.One,
        };
        Handshake flow = r.Choice("flowControl", "none", "none", "rts-cts", "xon-xoff", "rts-cts-xon-xoff") switch
        {
            "rts-cts" => Handshake.RequestToSend,
            "xon-xoff" => Handshake.XOnXOff,
            "rts-cts-xon-xoff" => Handshake.RequestToSendXOnXOff,
            _ => Handshake.None,
        };
        int readTimeout = r.Int("readTimeoutMs", 200, 1, 10_000);
        double latency = r.Double("latencyOffsetMs", 0, -1000, 1000);
        int silence = r.Int("silenceTimeoutMs", defaultSilenceMs, 0, 600_000);
        if (silence > 0 && silence < readTimeout)
        {
            r.Problems.Add($"{r.At("silenceTimeoutMs")}: {silence} must be 0 (off) or at least readTimeoutMs ({readTimeout})");
        }
        int initial = 250, max = 5000, attempts = 0;
        if (r.TryGet("reconnect", out JsonElement reconnect))
        {
            var rr = new SourceSectionReader(reconnect, r.At("reconnect"));
            initial = rr.Int("initialDelayMs", 250, 10, 60_000);
            max = rr.Int("maxDelayMs", 5000, 10, 600_000);
            attempts = rr.Int("maxAttempts", 0, 0, 1_000_000);
            rr.RejectUnknown();
            // "driver" is only legal at the top level of a source section.
            if (reconnect.ValueKind == JsonValueKind.Object && reconnect.TryGetProperty("driver", out _))
            {
                rr.Problems.Add($"{rr.At("driver")}: unknown field");
            }
            if (max < initial)
            {
                rr.Problems.Add($"{rr.At("maxDelayMs")}: {max} is less than initialDelayMs ({initial})");
            }
            r.Problems.AddRange(rr.Problems);
        }
        return new SerialPortSettings
        {
            Port = port,
            BaudRate = baud,
            DataBits = dataBits,
            Parity = parity,
            StopBits = stopBits,
            FlowControl = flow,
            ReadTimeoutMs = readTimeout,
            LatencyOffsetMs = latency,
            SilenceTimeoutMs = silence,
            ReconnectInitialDelayMs = initial,
            ReconnectMaxDelayMs = max,
            ReconnectMaxAttempts = attempts,
        };
    }
}
