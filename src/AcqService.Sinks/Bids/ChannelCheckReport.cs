using System.Text.Json;

namespace AcqService.Sinks.Bids;

/// <summary>The verdict of <c>acq check</c> for one channel.</summary>
/// <param name="Stream">Stream name or key the report gives, or null.</param>
/// <param name="Channel">Channel label.</param>
/// <param name="Verdict"><c>pass</c>, <c>warn</c> or <c>fail</c> (lower case).</param>
/// <param name="Reason">Why, when the report says (e.g. "flat: 0.1 µV RMS &lt; 0.5"), or null.</param>
public sealed record ChannelVerdict(string? Stream, string Channel, string Verdict, string? Reason);

/// <summary>
/// Per-channel verdicts read from an <c>acq check</c> JSON report. The reader is deliberately tolerant of the layout:
/// it takes every object, at any depth, that has a string <c>verdict</c> and a channel name (<c>channel</c>,
/// <c>label</c> or <c>name</c>), with the stream from the object itself (<c>stream</c>) or from the nearest enclosing
/// object that names one (<c>stream</c>, <c>key</c> or <c>name</c>). In BIDS terms <c>fail</c> makes a channel
/// <c>bad</c>; <c>pass</c> and <c>warn</c> keep it <c>good</c> (a warning is noted in <c>status_description</c>).
/// </summary>
public sealed class ChannelCheckReport
{
    private ChannelCheckReport(string path, IReadOnlyList<ChannelVerdict> verdicts)
    {
        Path = path;
        Verdicts = verdicts;
    }

    /// <summary>The report file.</summary>
    public string Path { get; }

    /// <summary>Every channel verdict found.</summary>
    public IReadOnlyList<ChannelVerdict> Verdicts { get; }

    /// <summary>Reads a report.</summary>
    /// <exception cref="InvalidDataException">Not JSON, or no per-channel verdicts in it.</exception>
    public static ChannelCheckReport Read(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"check report {path} is not JSON: {ex.Message}", ex);
        }
        using (document)
        {
            var verdicts = new List<ChannelVerdict>();
            Walk(document.RootElement, null, verdicts);
            if (verdicts.Count == 0)
            {
                throw new InvalidDataException($"check report {path} has no per-channel verdicts (objects with \"verdict\" and \"channel\")");
            }
            return new ChannelCheckReport(path, verdicts);
        }
    }

    /// <summary>The verdict for <paramref name="channel"/> of the stream named <paramref name="streamName"/> or keyed <paramref name="streamKey"/>; null when the report does not list it.</summary>
    public ChannelVerdict? Find(string streamKey, string streamName, string channel) =>
        Verdicts.FirstOrDefault(v => v.Channel == channel && (v.Stream is null || v.Stream == streamKey || v.Stream == streamName));

    private static void Walk(JsonElement element, string? stream, List<ChannelVerdict> verdicts)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in element.EnumerateArray())
            {
                Walk(item, stream, verdicts);
            }
            return;
        }
        if (element.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        string? own = Text(element, "stream");
        // A stream's own verdict (an object that also lists "channels", as acq check writes it) is not a channel's.
        bool holdsChannels = element.TryGetProperty("channels", out JsonElement list) && list.ValueKind == JsonValueKind.Array;
        if (!holdsChannels && Text(element, "verdict") is string verdict && (Text(element, "channel") ?? Text(element, "label") ?? Text(element, "name")) is string channel)
        {
            string? reason = Text(element, "reason") ?? Text(element, "message") ?? Text(element, "detail") ?? Reasons(element);
            verdicts.Add(new ChannelVerdict(own ?? stream, channel, verdict.ToLowerInvariant(), reason));
            return;
        }
        // An object that holds channels names their stream for them (e.g. {"stream": "eeg", "channels": [...]}).
        string? inner = own ?? Text(element, "key") ?? Text(element, "name") ?? stream;
        foreach (JsonProperty property in element.EnumerateObject())
        {
            Walk(property.Value, inner, verdicts);
        }
    }

    /// <summary>acq check's <c>"reasons": ["…", "…"]</c>, joined.</summary>
    private static string? Reasons(JsonElement element) =>
        element.TryGetProperty("reasons", out JsonElement reasons) && reasons.ValueKind == JsonValueKind.Array && reasons.GetArrayLength() > 0
            ? string.Join("; ", reasons.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String).Select(r => r.GetString()))
            : null;

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
