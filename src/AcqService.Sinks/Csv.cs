using System.Globalization;
using System.Text;

namespace AcqService.Sinks;

/// <summary>Minimal RFC 4180 CSV helpers (invariant culture, comma separator, quoted when needed).</summary>
public static class Csv
{
    /// <summary>Quotes a field if it contains a comma, quote or line break.</summary>
    public static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            return value;
        }
        return "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>Formats a number with round-trip precision (empty for NaN).</summary>
    public static string Number(double value) => double.IsNaN(value) ? "" : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Formats a number with a fixed number of decimals (empty for NaN).</summary>
    public static string Fixed(double value, int decimals) => double.IsNaN(value) ? "" : value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>Joins fields into one line.</summary>
    public static string Line(params string[] fields)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }
            sb.Append(fields[i]);
        }
        return sb.ToString();
    }
}
