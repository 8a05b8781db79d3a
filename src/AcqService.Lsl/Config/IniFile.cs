namespace AcqService.Lsl.Config;

/// <summary>
/// liblsl's own INI dialect: <c>[section]</c> headers (the name is taken verbatim between the brackets),
/// <c>key = value</c> pairs keyed as <c>section.key</c> (case-sensitive), <c>;</c> comments only in column 0.
/// Anything else (no <c>=</c>, empty key or value, missing <c>]</c>, duplicate key) invalidates the whole file.
/// </summary>
internal static class IniFile
{
    private static readonly char[] s_ws = [' ', '\t', '\r', '\n'];

    /// <summary>Parses <paramref name="text"/>; returns key → (value, line).</summary>
    /// <exception cref="LslConfigException">A line breaks the dialect.</exception>
    public static Dictionary<string, (string Value, int Line)> Parse(string text, string sourceName)
    {
        var values = new Dictionary<string, (string, int)>(StringComparer.Ordinal);
        string section = "";
        int lineNumber = 0;
        // liblsl splits with getline on '\n' only, so a CR stays in the line and is trimmed as whitespace later.
        foreach (string line in text.Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0 || line[0] == ';' || line.AsSpan().IndexOfAnyExcept(s_ws) < 0)
            {
                continue;
            }
            if (line[0] == '[')
            {
                int close = line.IndexOf(']', StringComparison.Ordinal);
                if (close < 0)
                {
                    throw new LslConfigException(sourceName, lineNumber, null, "no closing bracket ']' in section header");
                }
                // liblsl keeps the section name untrimmed: "[ ports ]" really is the section " ports ".
                section = line[1..close] + ".";
                continue;
            }
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                throw new LslConfigException(sourceName, lineNumber, null, "not a 'key = value' line (only lines starting with ';' are comments)");
            }
            string key = line[..eq].Trim(s_ws);
            string value = line[(eq + 1)..].Trim(s_ws);
            if (key.Length == 0)
            {
                throw new LslConfigException(sourceName, lineNumber, null, "empty key");
            }
            string fullKey = section + key;
            if (value.Length == 0)
            {
                throw new LslConfigException(sourceName, lineNumber, fullKey, "empty value");
            }
            if (!values.TryAdd(fullKey, (value, lineNumber)))
            {
                throw new LslConfigException(sourceName, lineNumber, fullKey, $"duplicate key (first set on line {values[fullKey].Item2})");
            }
        }
        return values;
    }

    /// <summary>C++ <c>istream &gt;&gt; int</c>: an optional sign and leading digits, rest ignored; no digits → 0; saturates.</summary>
    public static int ParseInt(string text)
    {
        ReadOnlySpan<char> s = text.AsSpan().TrimStart(s_ws);
        int i = 0;
        bool negative = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-'))
        {
            negative = s[i] == '-';
            i++;
        }
        long value = 0;
        bool any = false;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            any = true;
            value = Math.Min(value * 10 + (s[i] - '0'), (long)int.MaxValue + 1);
            i++;
        }
        if (!any)
        {
            return 0;
        }
        value = negative ? -value : value;
        return (int)Math.Clamp(value, int.MinValue, int.MaxValue);
    }

    /// <summary>C++ <c>istream &gt;&gt; double</c> (classic locale): the longest numeric prefix; none → 0.</summary>
    public static double ParseDouble(string text)
    {
        ReadOnlySpan<char> s = text.AsSpan().TrimStart(s_ws);
        int i = 0;
        if (i < s.Length && (s[i] == '+' || s[i] == '-'))
        {
            i++;
        }
        int digits = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
            digits++;
        }
        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
                digits++;
            }
        }
        if (digits == 0)
        {
            return 0;
        }
        int mantissaEnd = i;
        if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            int j = i + 1;
            if (j < s.Length && (s[j] == '+' || s[j] == '-'))
            {
                j++;
            }
            int expDigits = 0;
            while (j < s.Length && char.IsAsciiDigit(s[j]))
            {
                j++;
                expDigits++;
            }
            if (expDigits > 0)
            {
                mantissaEnd = j;
            }
        }
        return double.Parse(s[..mantissaEnd], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>liblsl's set syntax: <c>{a, b}</c> → [a, b]; anything not wrapped in braces (or <c>{}</c>) → empty.</summary>
    public static IReadOnlyList<string> ParseSet(string text)
    {
        if (text.Length <= 2 || text[0] != '{' || text[^1] != '}')
        {
            return [];
        }
        return text[1..^1].Split(',').Select(x => x.Trim(s_ws)).Where(x => x.Length > 0).ToArray();
    }
}
