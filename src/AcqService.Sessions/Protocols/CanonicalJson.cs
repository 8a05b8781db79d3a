using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AcqService.Sessions.Protocols;

/// <summary>
/// The canonical text of a JSON value, so its SHA-256 is the same on every machine and for every key order: object
/// keys sorted by ordinal (UTF-16) order, no whitespace, numbers in invariant shortest round-trip form (integral values
/// below 2^53 without a fraction, so <c>150</c> and <c>150.0</c> agree), strings escaped by System.Text.Json's default
/// encoder.
/// </summary>
public static class CanonicalJson
{
    /// <summary>Canonical text of <paramref name="node"/>.</summary>
    public static string Write(JsonNode? node)
    {
        var sb = new StringBuilder();
        Append(sb, node);
        return sb.ToString();
    }

    /// <summary>Lower-case hex SHA-256 of the UTF-8 canonical text.</summary>
    public static string Sha256(JsonNode? node) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Write(node))));

    private static void Append(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject o:
                sb.Append('{');
                bool first = true;
                foreach (KeyValuePair<string, JsonNode?> p in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first)
                    {
                        sb.Append(',');
                    }
                    first = false;
                    sb.Append(JsonSerializer.Serialize(p.Key, ProtocolJsonContext.Default.String)).Append(':');
                    Append(sb, p.Value);
                }
                sb.Append('}');
                break;
            case JsonArray a:
                sb.Append('[');
                for (int i = 0; i < a.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(',');
                    }
                    Append(sb, a[i]);
                }
                sb.Append(']');
                break;
            case JsonValue v:
                // The context's default options are the serializer's defaults, what this used before (the hashes depend on it).
                JsonElement e = JsonSerializer.SerializeToElement(v, ProtocolJsonContext.Default.JsonValue);
                switch (e.ValueKind)
                {
                    case JsonValueKind.Number:
                        double d = e.GetDouble();
                        sb.Append(d == Math.Floor(d) && Math.Abs(d) < 9007199254740992.0
                            ? ((long)d).ToString(CultureInfo.InvariantCulture)
                            : d.ToString("R", CultureInfo.InvariantCulture));
                        break;
                    case JsonValueKind.String:
                        sb.Append(JsonSerializer.Serialize(e.GetString(), ProtocolJsonContext.Default.String));
                        break;
                    case JsonValueKind.True:
                        sb.Append("true");
                        break;
                    case JsonValueKind.False:
                        sb.Append("false");
                        break;
                    default:
                        sb.Append("null");
                        break;
                }
                break;
        }
    }
}
