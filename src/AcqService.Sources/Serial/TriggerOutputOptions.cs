using System.Text.Json;
using System.Text.RegularExpressions;

namespace AcqService.Sources.Serial;

/// <summary>One rule of a trigger output: markers whose label matches <see cref="Match"/> send <see cref="Code"/>.</summary>
/// <param name="Match">.NET regular expression over the marker label.</param>
/// <param name="Code">Byte written to the port (1–255).</param>
public sealed record TriggerOutputRule(Regex Match, byte Code);

/// <summary>
/// Options of <see cref="SerialTriggerOutput"/>: which byte to write to a serial trigger device (TTL box, BioSemi USB
/// trigger cable, MMBT-S…) when a marker arrives and when the session starts and stops.
/// </summary>
public sealed record TriggerOutputOptions
{
    /// <summary>Port and line settings (default 115200 8N1).</summary>
    public required SerialPortSettings Serial { get; init; }

    /// <summary>Marker rules, first match wins; markers matching none send nothing.</summary>
    public required IReadOnlyList<TriggerOutputRule> OnMarker { get; init; }

    /// <summary>Byte sent when the session starts, or null.</summary>
    public byte? SessionStartCode { get; init; }

    /// <summary>Byte sent when the session stops, or null.</summary>
    public byte? SessionStopCode { get; init; }

    /// <summary>
    /// After each code, write 0 after this many ms (TTL boxes hold a level until the next byte, so a pulse is code
    /// then 0); 0 = leave the level.
    /// </summary>
    public int PulseMs { get; init; } = 10;

    /// <summary>
    /// Reads a trigger-output object. Fields: the serial fields (<c>port</c> required), <c>onMarker</c> (array of
    /// <c>{ "match": "^needle/insert", "code": "0x01" }</c>), <c>sessionStartCode</c>, <c>sessionStopCode</c>, <c>pulseMs</c>.
    /// </summary>
    /// <param name="section">The object.</param>
    /// <param name="path">Its JSON path for messages.</param>
    /// <exception cref="SerialOptionsException">Unknown fields or bad values.</exception>
    public static TriggerOutputOptions Parse(JsonElement section, string path)
    {
        var r = new SourceSectionReader(section, path);
        SerialPortSettings serial = SerialPortSettings.Read(r, 115200, 0);
        byte? start = r.Byte("sessionStartCode");
        byte? stop = r.Byte("sessionStopCode");
        int pulse = r.Int("pulseMs", 10, 0, 10_000);
        var rules = new List<TriggerOutputRule>();
        if (r.TryGet("onMarker", out JsonElement array))
        {
            if (array.ValueKind != JsonValueKind.Array)
            {
                r.Problems.Add($"{r.At("onMarker")}: must be an array of {{ \"match\": regex, \"code\": byte }}");
            }
            else
            {
                int i = 0;
                foreach (JsonElement e in array.EnumerateArray())
                {
                    var rr = new SourceSectionReader(e, $"{r.At("onMarker")}[{i++}]");
                    string? match = rr.String("match", required: true);
                    byte? code = rr.Byte("code");
                    if (code is null && !rr.Problems.Any(p => p.Contains(".code", StringComparison.Ordinal)))
                    {
                        rr.Problems.Add($"{rr.At("code")}: required");
                    }
                    Regex? regex = null;
                    if (match is not null)
                    {
                        try
                        {
                            regex = new Regex(match, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
                        }
                        catch (ArgumentException ex)
                        {
                            rr.Problems.Add($"{rr.At("match")}: not a valid regular expression: {ex.Message}");
                        }
                    }
                    rr.RejectUnknown();
                    // "driver" is accepted by the reader for source sections only.
                    if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("driver", out _))
                    {
                        rr.Problems.Add($"{rr.At("driver")}: unknown field");
                    }
                    r.Problems.AddRange(rr.Problems);
                    if (regex is not null && code is byte b)
                    {
                        rules.Add(new TriggerOutputRule(regex, b));
                    }
                }
            }
        }
        r.ThrowIfProblems();
        return new TriggerOutputOptions { Serial = serial, OnMarker = rules, SessionStartCode = start, SessionStopCode = stop, PulseMs = pulse };
    }
}
