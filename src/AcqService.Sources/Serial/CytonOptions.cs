using System.Text.Json;

namespace AcqService.Sources.Serial;

/// <summary>
/// Options of the <c>openbci-cyton</c> and <c>openbci-cyton-daisy</c> drivers (the stream's <c>source</c> section):
/// the serial fields of <see cref="SerialPortSettings"/> plus <c>gain</c> and <c>dejitterHalfLifeSeconds</c>.
/// </summary>
public sealed record CytonOptions
{
    /// <summary>Driver name of the 8-channel board.</summary>
    public const string CytonDriver = "openbci-cyton";

    /// <summary>Driver name of the 16-channel board pair.</summary>
    public const string DaisyDriver = "openbci-cyton-daisy";

    /// <summary>Port and line settings (default 115200 8N1, no flow control; silence timeout 3 s).</summary>
    public required SerialPortSettings Serial { get; init; }

    /// <summary>True for Cyton+Daisy (16 channels at 125 Hz).</summary>
    public bool Daisy { get; init; }

    /// <summary>ADS1299 gain per channel (8 or 16 entries; default 24, the board default).</summary>
    public required IReadOnlyList<double> Gains { get; init; }

    /// <summary>Half-life of the timestamp fit in seconds of signal (see <see cref="ArrivalDejitter"/>).</summary>
    public double DejitterHalfLifeSeconds { get; init; } = 30;

    /// <summary>Channels per frame.</summary>
    public int ChannelCount => Daisy ? 16 : 8;

    /// <summary>Frame rate (Hz): 250 for the Cyton, 125 for Cyton+Daisy.</summary>
    public double RateHz => Daisy ? CytonProtocol.PacketRateHz / 2 : CytonProtocol.PacketRateHz;

    /// <summary>
    /// Reads a <c>source</c> section. Fields: <c>driver</c>, <c>port</c> (required), <c>baudRate</c>, <c>dataBits</c>,
    /// <c>parity</c>, <c>stopBits</c>, <c>flowControl</c>, <c>readTimeoutMs</c>, <c>latencyOffsetMs</c>,
    /// <c>silenceTimeoutMs</c>, <c>reconnect</c> {<c>initialDelayMs</c>, <c>maxDelayMs</c>, <c>maxAttempts</c>},
    /// <c>gain</c> (one number for all channels or one per channel), <c>dejitterHalfLifeSeconds</c>.
    /// </summary>
    /// <param name="sourceSection">The <c>source</c> object.</param>
    /// <param name="path">Its JSON path for messages, e.g. <c>$.streams[0].source</c>.</param>
    /// <exception cref="SerialOptionsException">Unknown fields or bad values (every problem, each naming its path).</exception>
    public static CytonOptions Parse(JsonElement sourceSection, string path)
    {
        var r = new SourceSectionReader(sourceSection, path);
        string driver = r.Choice("driver", CytonDriver, CytonDriver, DaisyDriver);
        bool daisy = driver == DaisyDriver;
        SerialPortSettings serial = SerialPortSettings.Read(r, 115200, 3000);
        int channels = daisy ? 16 : 8;
        double[] gains = [.. Enumerable.Repeat(24.0, channels)];
        if (r.TryGet("gain", out JsonElement g))
        {
            if (g.ValueKind == JsonValueKind.Number)
            {
                if (ReadGain(g, r.At("gain"), r.Problems) is double one)
                {
                    Array.Fill(gains, one);
                }
            }
            else if (g.ValueKind == JsonValueKind.Array && g.GetArrayLength() == channels)
            {
                int i = 0;
                foreach (JsonElement e in g.EnumerateArray())
                {
                    gains[i] = ReadGain(e, $"{r.At("gain")}[{i}]", r.Problems) ?? 24;
                    i++;
                }
            }
            else
            {
                r.Problems.Add($"{r.At("gain")}: must be one gain or an array of {channels} gains (each 1, 2, 4, 6, 8, 12 or 24)");
            }
        }
        double halfLife = r.Double("dejitterHalfLifeSeconds", 30, 0.5, 3600);
        r.ThrowIfProblems();
        return new CytonOptions { Serial = serial, Daisy = daisy, Gains = gains, DejitterHalfLifeSeconds = halfLife };
    }

    private static double? ReadGain(JsonElement e, string at, List<string> problems)
    {
        if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) && CytonProtocol.Gains.Contains(v))
        {
            return v;
        }
        problems.Add($"{at}: {e.GetRawText()} is not an ADS1299 gain (1, 2, 4, 6, 8, 12, 24)");
        return null;
    }
}
