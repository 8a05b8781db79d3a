using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AcqService.Core.Model;

namespace AcqService.Sources.Xdf;

/// <summary>
/// The extra "AcqService events" marker stream of a recording: one JSON object per string sample, for what
/// XDF has no chunk type for. <c>gap</c> records a <see cref="StreamGap"/> (so a replay feeds the aligner the
/// same gap items); <c>code</c> records the numeric code that a marker stream's label carries from then on
/// (written only when it changes, right before the marker, so <see cref="Marker.Code"/> survives the string
/// stream). Its type is deliberately not <c>Markers</c>: tools that pick event streams by type must not
/// mistake these entries for stimuli. Timestamps are those of the item referred to, in that stream's clock.
/// </summary>
internal static class XdfEvents
{
    /// <summary>Stream name.</summary>
    public const string StreamName = "AcqService events";

    /// <summary>Stream type.</summary>
    public const string StreamType = "AcqServiceEvents";

    private static readonly JsonSerializerOptions JsonOptions = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>True for the events stream's header.</summary>
    public static bool IsEventsStream(string name, string type) =>
        string.Equals(type, StreamType, StringComparison.OrdinalIgnoreCase) || string.Equals(name, StreamName, StringComparison.Ordinal);

    /// <summary>Encodes a gap of the stream with key <paramref name="streamKey"/>.</summary>
    public static string Gap(string streamKey, in StreamGap gap) => new JsonObject
    {
        ["event"] = "gap",
        ["stream"] = streamKey,
        ["start"] = gap.Start,
        ["end"] = gap.End,
        ["missing"] = gap.MissingSamples,
        ["reason"] = gap.Reason,
    }.ToJsonString(JsonOptions);

    /// <summary>Encodes "label <paramref name="label"/> of stream <paramref name="streamKey"/> carries <paramref name="code"/> from now on".</summary>
    public static string Code(string streamKey, string label, int? code) => new JsonObject
    {
        ["event"] = "code",
        ["stream"] = streamKey,
        ["label"] = label,
        ["code"] = code,
    }.ToJsonString(JsonOptions);

    /// <summary>A decoded event.</summary>
    public readonly record struct Entry(string Event, string Stream, StreamGap Gap, string Label, int? Code);

    /// <summary>Decodes one events-stream sample; false for text that is not one of ours (foreign or corrupt).</summary>
    public static bool TryParse(string text, out Entry entry)
    {
        entry = default;
        try
        {
            if (JsonNode.Parse(text) is not JsonObject json)
            {
                return false;
            }
            string kind = (string?)json["event"] ?? "";
            string stream = (string?)json["stream"] ?? "";
            switch (kind)
            {
                case "gap":
                    var gap = new StreamGap(-1, Number(json["start"]), Number(json["end"]), (long?)json["missing"] ?? 0, (string?)json["reason"] ?? "");
                    entry = new Entry(kind, stream, gap, "", null);
                    return true;
                case "code":
                    entry = new Entry(kind, stream, default, (string?)json["label"] ?? "", (int?)json["code"]);
                    return true;
                default:
                    return false;
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return false;
        }
    }

    private static double Number(JsonNode? node) => node is null ? double.NaN
        : node.GetValueKind() == JsonValueKind.String ? double.Parse((string)node!, NumberStyles.Float, CultureInfo.InvariantCulture)
        : (double)node;
}
