using System.Text.Json;

namespace AcqService.Sources.Serial;

/// <summary>
/// Options of the <c>serial-trigger-box</c> driver: a device that reports events as single bytes (most TTL trigger
/// boxes and button boxes) or as text lines, each mapped to a marker label by <see cref="Codes"/>.
/// </summary>
public sealed record TriggerBoxOptions
{
    /// <summary>Driver name.</summary>
    public const string Driver = "serial-trigger-box";

    /// <summary>Port and line settings (default 115200 8N1; no silence timeout: boxes are quiet between events).</summary>
    public required SerialPortSettings Serial { get; init; }

    /// <summary>True when events are text lines (ended by LF, CR LF or CR) instead of single bytes.</summary>
    public bool TextLines { get; init; }

    /// <summary>
    /// Byte mode: code (1–255) → marker label. Text mode: line (trimmed) → marker label. Anything else becomes
    /// <c>unknown/0xNN</c> (byte) or <c>unknown/&lt;line&gt;</c> (text) and is counted.
    /// </summary>
    public required IReadOnlyDictionary<string, string> Codes { get; init; }

    /// <summary>Byte mode: ignore 0x00, which TTL boxes send to reset their output level between events (default true).</summary>
    public bool IgnoreZero { get; init; } = true;

    /// <summary>Text mode: longest line kept (characters); longer lines are cut and counted.</summary>
    public int MaxLineLength { get; init; } = 128;

    /// <summary>
    /// Reads a <c>source</c> section. Fields: the serial fields (see <see cref="CytonOptions.Parse"/>; <c>port</c>
    /// required), <c>codes</c> (object; keys <c>"0x01"</c> or <c>"1"</c> in byte mode, the line text in text mode),
    /// <c>textLines</c>, <c>ignoreZero</c>, <c>maxLineLength</c>.
    /// </summary>
    /// <param name="sourceSection">The <c>source</c> object.</param>
    /// <param name="path">Its JSON path for messages.</param>
    /// <exception cref="SerialOptionsException">Unknown fields or bad values.</exception>
    public static TriggerBoxOptions Parse(JsonElement sourceSection, string path)
    {
        var r = new SourceSectionReader(sourceSection, path);
        r.Choice("driver", Driver, Driver);
        SerialPortSettings serial = SerialPortSettings.Read(r, 115200, 0);
        bool text = r.Bool("textLines", false);
        bool ignoreZero = r.Bool("ignoreZero", true);
        int maxLine = r.Int("maxLineLength", 128, 1, 4096);
        var codes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!r.TryGet("codes", out JsonElement c) || c.ValueKind != JsonValueKind.Object)
        {
            r.Problems.Add($"{r.At("codes")}: required, an object mapping codes to marker labels, e.g. {{ \"0x01\": \"needle/insert;site=ST36;kind=real\" }}");
        }
        else
        {
            var seen = new HashSet<byte>();
            foreach (JsonProperty p in c.EnumerateObject())
            {
                string at = $"{r.At("codes")}.{p.Name}";
                if (p.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(p.Value.GetString()))
                {
                    r.Problems.Add($"{at}: the label must be a non-empty string");
                    continue;
                }
                string key = p.Name;
                if (!text)
                {
                    if (!SourceSectionReader.TryParseByte(p.Name, out byte b) || b == 0)
                    {
                        r.Problems.Add($"{at}: '{p.Name}' is not a byte code 1–255 (write \"0x01\" or \"1\"; 0 is the reset level)");
                        continue;
                    }
                    if (!seen.Add(b))
                    {
                        r.Problems.Add($"{at}: code 0x{b:X2} is mapped twice");
                        continue;
                    }
                    key = ByteKey(b);
                }
                else
                {
                    key = p.Name.Trim();
                    if (key.Length == 0 || key.Length > maxLine)
                    {
                        r.Problems.Add($"{at}: a line must have 1–{maxLine} characters");
                        continue;
                    }
                }
                codes[key] = p.Value.GetString()!;
            }
        }
        r.ThrowIfProblems();
        return new TriggerBoxOptions { Serial = serial, TextLines = text, Codes = codes, IgnoreZero = ignoreZero, MaxLineLength = maxLine };
    }

    /// <summary>The canonical key of a byte code in <see cref="Codes"/> (<c>0x01</c>).</summary>
    public static string ByteKey(byte code) => $"0x{code:X2}";
}
