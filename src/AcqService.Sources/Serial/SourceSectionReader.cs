using System.Globalization;
using System.Text.Json;

namespace AcqService.Sources.Serial;

/// <summary>
/// Reads one driver's <c>source</c> object field by field, collecting every problem with its JSON path instead of
/// stopping at the first, and rejecting fields nobody asked for (a typo must not silently change a session).
/// Start-up code only, so it allocates freely.
/// </summary>
internal sealed class SourceSectionReader
{
    private readonly JsonElement _section;
    private readonly HashSet<string> _known = new(StringComparer.Ordinal) { "driver" };

    public SourceSectionReader(JsonElement section, string path)
    {
        _section = section;
        Path = path;
        if (section.ValueKind != JsonValueKind.Object)
        {
            Problems.Add($"{path}: must be an object");
        }
    }

    public string Path { get; }

    public List<string> Problems { get; } = [];

    public string At(string field) => $"{Path}.{field}";

    public bool TryGet(string field, out JsonElement value)
    {
        _known.Add(field);
        if (_section.ValueKind == JsonValueKind.Object && _section.TryGetProperty(field, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }
        value = default;
        return false;
    }

    public string? String(string field, bool required = false)
    {
        if (!TryGet(field, out JsonElement v))
        {
            if (required)
            {
                Problems.Add($"{At(field)}: required");
            }
            return null;
        }
        if (v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString()))
        {
            Problems.Add($"{At(field)}: must be a non-empty string");
            return null;
        }
        return v.GetString();
    }

    public int Int(string field, int fallback, int min, int max)
    {
        if (!TryGet(field, out JsonElement v))
        {
            return fallback;
        }
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int value))
        {
            Problems.Add($"{At(field)}: must be an integer");
            return fallback;
        }
        if (value < min || value > max)
        {
            Problems.Add($"{At(field)}: {value} is out of range [{min}, {max}]");
            return fallback;
        }
        return value;
    }

    public double Double(string field, double fallback, double min, double max)
    {
        if (!TryGet(field, out JsonElement v))
        {
            return fallback;
        }
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double value) || !double.IsFinite(value))
        {
            Problems.Add($"{At(field)}: must be a number");
            return fallback;
        }
        if (value < min || value > max)
        {
            Problems.Add($"{At(field)}: {value.ToString(CultureInfo.InvariantCulture)} is out of range [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}]");
            return fallback;
        }
        return value;
    }

    public bool Bool(string field, bool fallback)
    {
        if (!TryGet(field, out JsonElement v))
        {
            return fallback;
        }
        if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            Problems.Add($"{At(field)}: must be true or false");
            return fallback;
        }
        return v.GetBoolean();
    }

    /// <summary>Reads a string that must be one of <paramref name="allowed"/> (ordinal, case-insensitive).</summary>
    public string Choice(string field, string fallback, params string[] allowed)
    {
        if (!TryGet(field, out JsonElement v))
        {
            return fallback;
        }
        string? s = v.ValueKind == JsonValueKind.String ? v.GetString() : v.ValueKind == JsonValueKind.Number ? v.GetRawText() : null;
        foreach (string a in allowed)
        {
            if (string.Equals(a, s, StringComparison.OrdinalIgnoreCase))
            {
                return a;
            }
        }
        Problems.Add($"{At(field)}: '{s ?? v.GetRawText()}' must be one of {string.Join(", ", allowed)}");
        return fallback;
    }

    /// <summary>Adds a problem for every field of the section that no reader asked for; call last.</summary>
    public void RejectUnknown()
    {
        if (_section.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        foreach (JsonProperty p in _section.EnumerateObject())
        {
            if (!_known.Contains(p.Name))
            {
                string? hint = _known.FirstOrDefault(k => string.Equals(k, p.Name, StringComparison.OrdinalIgnoreCase));
                Problems.Add($"{At(p.Name)}: unknown field" + (hint is null ? $" (known: {string.Join(", ", _known.Order(StringComparer.Ordinal))})" : $" (did you mean '{hint}'?)"));
            }
        }
    }

    /// <summary>Throws <see cref="SerialOptionsException"/> if any problem was found.</summary>
    public void ThrowIfProblems()
    {
        RejectUnknown();
        if (Problems.Count > 0)
        {
            throw new SerialOptionsException(Problems);
        }
    }

    /// <summary>Parses a byte written as <c>0x1F</c>, <c>31</c> (string or number).</summary>
    public static bool TryParseByte(string text, out byte value)
    {
        text = text.Trim();
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return byte.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        return byte.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Reads an optional byte code (number 0–255 or string "0x1F").</summary>
    public byte? Byte(string field)
    {
        if (!TryGet(field, out JsonElement v))
        {
            return null;
        }
        string text = v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : v.GetRawText();
        if (v.ValueKind is JsonValueKind.String or JsonValueKind.Number && TryParseByte(text, out byte b))
        {
            return b;
        }
        Problems.Add($"{At(field)}: '{text}' must be a byte (0–255 or \"0x00\"–\"0xFF\")");
        return null;
    }
}
