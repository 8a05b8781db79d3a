using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Drivers;
using AcqService.Core;

namespace AcqService.Sources.Profiles;

/// <summary>
/// Loads and validates device profiles. Syntax and type errors (unknown field, wrong type, missing required
/// field) stop at the first one with its JSON path and line; semantic checks (channel counts, duplicate labels,
/// regions naming missing channels, bad patterns, unknown drivers) are all collected and reported together.
/// </summary>
public static partial class ProfileLoader
{
    /// <summary>The reading rules of a profile (strict: unknown fields, nulls in non-nullable fields and missing required fields are errors).</summary>
    internal static JsonSerializerOptions Options => s_options;

    private static readonly JsonSerializerOptions s_options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        TypeInfoResolver = ProfileJsonContext.Default,
    };

    /// <summary>Loads a profile file; drivers are checked by <paramref name="drivers"/> (default: the built-in ones).</summary>
    /// <exception cref="ProfileException">The file is missing, unreadable or invalid.</exception>
    public static DeviceProfile LoadFile(string path, SourceDriverRegistry? drivers = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ProfileException(path, [$"cannot read the file: {ex.Message}"]);
        }
        return Parse(text, path, drivers);
    }

    /// <summary>Parses and validates profile JSON; <paramref name="source"/> names it in errors; drivers are checked by <paramref name="drivers"/> (default: the built-in ones).</summary>
    /// <exception cref="ProfileException">The profile is invalid.</exception>
    public static DeviceProfile Parse(string json, string source, SourceDriverRegistry? drivers = null)
    {
        DeviceProfile? profile;
        try
        {
            profile = JsonSerializer.Deserialize(json, s_options.TypeInfo<DeviceProfile>());
        }
        catch (JsonException ex)
        {
            throw new ProfileException(source, [Describe(ex)]);
        }
        if (profile is null)
        {
            throw new ProfileException(source, ["$: the file is empty or null"]);
        }
        drivers ??= SourceDriverRegistry.Default;
        List<string> problems = Validate(profile, drivers);
        problems.AddRange(drivers.Validate(profile));
        if (profile.TriggerOutput is JsonElement trigger && trigger.ValueKind != JsonValueKind.Null)
        {
            try
            {
                _ = Serial.TriggerOutputOptions.Parse(trigger, "$.triggerOutput");
            }
            catch (Serial.SerialOptionsException ex)
            {
                problems.AddRange(ex.Problems);
            }
        }
        if (problems.Count > 0)
        {
            throw new ProfileException(source, problems);
        }
        return profile;
    }

    /// <summary>Semantic validation of everything but the drivers' own fields (see <see cref="SourceDriverRegistry.Validate"/>); returns every problem found.</summary>
    /// <param name="profile">The profile.</param>
    /// <param name="drivers">Drivers (whether a device describes its own channels); default: the built-in ones.</param>
    public static List<string> Validate(DeviceProfile profile, SourceDriverRegistry? drivers = null)
    {
        drivers ??= SourceDriverRegistry.Default;
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(profile.Name))
        {
            problems.Add("$.name: must not be empty");
        }
        if (profile.Streams.Count == 0)
        {
            problems.Add("$.streams: a profile needs at least one stream");
        }
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < profile.Streams.Count; i++)
        {
            StreamProfile s = profile.Streams[i];
            string at = $"$.streams[{i}]";
            if (!KeyPattern().IsMatch(s.Key))
            {
                problems.Add($"{at}.key: '{s.Key}' must be 1-32 letters, digits, '-' or '_'");
            }
            else if (!keys.Add(s.Key))
            {
                problems.Add($"{at}.key: '{s.Key}' is used by another stream");
            }
            bool signal = s.Kind == "signal";
            if (s.Kind is not ("signal" or "markers"))
            {
                problems.Add($"{at}.kind: '{s.Kind}' must be 'signal' or 'markers'");
            }
            if (signal && !(s.SampleRateHz is > 0 and < 1_000_000))
            {
                problems.Add($"{at}.sampleRateHz: a signal stream needs a rate in (0, 1000000) Hz, got {Show(s.SampleRateHz)}");
            }
            if (!signal && s.SampleRateHz is not (null or 0))
            {
                problems.Add($"{at}.sampleRateHz: a marker stream is irregular; use 0 or leave it out (got {s.SampleRateHz})");
            }
            if (s.ChannelFormat is not null && !TryParseFormat(s.ChannelFormat, out _))
            {
                problems.Add($"{at}.channelFormat: '{s.ChannelFormat}' must be one of float32, double64, int8, int16, int32, int64, string");
            }
            if (signal && s.ChannelFormat == "string")
            {
                problems.Add($"{at}.channelFormat: a signal stream cannot be 'string'");
            }
            // A device that describes its own channels (an LSL stream's desc) may leave them out; others need them listed.
            if (signal && (s.Channels is null || s.Channels.Count == 0) && drivers.Find(s.Source.Driver)?.DescribesChannels != true)
            {
                problems.Add($"{at}.channels: a signal stream needs its channels (label, unit, type)");
            }
            problems.AddRange(NirsProfiles.Validate(s, at));
            if (s.Channels is not null)
            {
                if (s.ChannelCount is int count && count != s.Channels.Count)
                {
                    problems.Add($"{at}.channelCount: {count} but {s.Channels.Count} channels are listed");
                }
                var labels = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                for (int c = 0; c < s.Channels.Count; c++)
                {
                    string label = s.Channels[c].Label;
                    if (string.IsNullOrWhiteSpace(label))
                    {
                        problems.Add($"{at}.channels[{c}].label: must not be empty");
                    }
                    else if (!labels.Add(label))
                    {
                        problems.Add($"{at}.channels[{c}].label: '{label}' appears twice");
                    }
                }
            }
        }
        for (int i = 0; i < profile.Conditions.Count; i++)
        {
            ConditionProfile c = profile.Conditions[i];
            try
            {
                _ = new Regex(c.Match, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
            }
            catch (ArgumentException ex)
            {
                problems.Add($"$.conditions[{i}].match: '{c.Match}' is not a valid regular expression ({ex.Message})");
            }
            if (string.IsNullOrWhiteSpace(c.Name))
            {
                problems.Add($"$.conditions[{i}].name: must not be empty");
            }
        }
        var eegLabels = new HashSet<string>(profile.Streams.Where(s => s.Kind == "signal" && s.Channels is not null)
            .SelectMany(s => s.Channels!.Select(c => c.Label)), StringComparer.OrdinalIgnoreCase);
        // Streams whose channels come from the device (LSL desc) can only be checked when the session starts.
        bool channelsKnown = profile.Streams.Where(s => s.Kind == "signal").All(s => s.Channels is { Count: > 0 });
        foreach ((string region, List<string> labels) in profile.Regions)
        {
            if (labels.Count == 0)
            {
                problems.Add($"$.regions.{region}: lists no channels");
            }
            foreach (string label in labels.Where(l => channelsKnown && !eegLabels.Contains(l)))
            {
                problems.Add($"$.regions.{region}: channel '{label}' is not a channel of any signal stream");
            }
        }
        return problems;
    }

    /// <summary>Builds the stream descriptors of a (validated) profile.</summary>
    public static IReadOnlyList<StreamDescriptor> Describe(DeviceProfile profile) =>
        [.. profile.Streams.Select(ToDescriptor)];

    /// <summary>Builds one stream descriptor.</summary>
    public static StreamDescriptor ToDescriptor(StreamProfile s)
    {
        bool signal = s.Kind == "signal";
        ChannelFormat format = s.ChannelFormat is not null && TryParseFormat(s.ChannelFormat, out ChannelFormat f) ? f : signal ? ChannelFormat.Float32 : ChannelFormat.String;
        IReadOnlyList<ChannelDescriptor> channels = s.Channels is { Count: > 0 }
            ? [.. s.Channels.Select(c => new ChannelDescriptor(c.Label, c.Unit, c.Type))]
            : [new ChannelDescriptor("marker", "", "Marker")];
        var descriptor = new StreamDescriptor(s.Key, signal ? StreamKind.Signal : StreamKind.Markers, s.Name ?? s.Key, s.Type, channels,
            signal ? s.SampleRateHz!.Value : 0, format, SourceDriverRegistry.Default.Find(s.Source.Driver)?.UsesLsl == true ? "" : "acqservice-" + s.Key);
        // A profile's fNIRS model goes into desc; an LSL stream gets it once the device's own desc is known (LslProfileCheck).
        return s.Nirs is null || SourceDriverRegistry.Default.Find(s.Source.Driver)?.UsesLsl == true ? descriptor : NirsProfiles.Apply(s, descriptor);
    }

    /// <summary>Condition rules of a profile.</summary>
    public static List<ConditionRule> Conditions(DeviceProfile profile) => [.. profile.Conditions.Select(c => new ConditionRule(c.Name, c.Match))];

    /// <summary>Parses a channel format name as a profile writes it (exactly <c>float32</c>, <c>double64</c>, <c>int8/16/32/64</c> or <c>string</c>).</summary>
    public static bool TryParseFormat(string text, out ChannelFormat format) =>
        ChannelFormats.TryParse(text, out format) && text == format.ToName();

    private static string Show(double? value) => value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing";

    /// <summary>Turns System.Text.Json's messages into "path: problem (line n)".</summary>
    private static string Describe(JsonException ex)
    {
        string path = string.IsNullOrEmpty(ex.Path) ? "$" : ex.Path;
        string line = ex.LineNumber is long l ? $" (line {l + 1})" : "";
        string message = ex.Message;
        Match unmapped = UnmappedPattern().Match(message);
        if (unmapped.Success)
        {
            return $"{path}: unknown field '{unmapped.Groups[1].Value}'{line}";
        }
        Match missing = MissingPattern().Match(message);
        if (missing.Success)
        {
            return $"{path}: missing required field(s) {missing.Groups[1].Value.Trim()}{line}";
        }
        Match convert = ConvertPattern().Match(message);
        if (convert.Success)
        {
            return $"{path}: wrong type, expected {Friendly(convert.Groups[1].Value)}{line}";
        }
        if (message.Contains("null", StringComparison.Ordinal) && message.Contains("non-nullable", StringComparison.Ordinal))
        {
            return $"{path}: must not be null{line}";
        }
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return $"{path}: {(cut > 0 ? message[..cut] : message)}{line}";
    }

    private static string Friendly(string type) => type switch
    {
        var t when t.Contains("Double", StringComparison.Ordinal) || t.Contains("Int32", StringComparison.Ordinal) => "a number",
        var t when t.Contains("String", StringComparison.Ordinal) && !t.Contains("List", StringComparison.Ordinal) => "a string",
        var t when t.Contains("List", StringComparison.Ordinal) => "an array",
        var t when t.Contains("Dictionary", StringComparison.Ordinal) || t.Contains("Profile", StringComparison.Ordinal) => "an object",
        var t when t.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        var t => t,
    };

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,32}$")]
    private static partial Regex KeyPattern();

    [GeneratedRegex("The JSON property '([^']*)' could not be mapped")]
    private static partial Regex UnmappedPattern();

    [GeneratedRegex("missing required properties including: (.*?)\\.?( Path:|$)")]
    private static partial Regex MissingPattern();

    [GeneratedRegex(@"could not be converted to ([\w.`\[\], ]+)")]
    private static partial Regex ConvertPattern();
}
