using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using AcqService.Core.Analysis;
using AcqService.Core.Pipeline;
using AcqService.Core;

namespace AcqService.Sessions.Protocols;

/// <summary>
/// A locked analysis protocol: every setting that decides a session's results — the sections <c>Epochs</c>,
/// <c>Alpha</c>, <c>Aligner</c>, <c>Haemoglobin</c> and <c>Haemodynamic</c> with all their keys (defaults filled in
/// at lock time), the condition rules, the regions, and the blinding codes — in canonical JSON, identified by its
/// SHA-256 (<see cref="Sha256"/>). <c>acq protocol lock</c> writes it (<see cref="Lock"/>); a session run with
/// <c>Session:ProtocolLock=FILE</c> gets these values (<see cref="ApplyTo"/>), refuses any other source of them, and
/// carries the hash in <c>session.json</c>, the summary, the XDF header and the BIDS sidecar.
/// </summary>
public sealed class ProtocolLock
{
    /// <summary>The settings sections a lock fixes.</summary>
    public static readonly IReadOnlyList<string> LockedSections = ["Epochs", "Alpha", "Aligner", "Haemoglobin", "Haemodynamic"];

    /// <summary>Format tag of lock files.</summary>
    public const string Format = "acqservice-protocol-lock/1";

    private static readonly JsonSerializerOptions TypedOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        // One converter per enum of the locked sections, names as declared (the non-generic factory needs run-time
        // code generation); an enum missing here would be locked as a number and change the hash.
        Converters =
        {
            new JsonStringEnumConverter<BeerLambertConvention>(),
            new JsonStringEnumConverter<Dsp.WindowKind>(),
            new JsonStringEnumConverter<Dsp.DetrendKind>(),
        },
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        TypeInfoResolver = ProtocolJsonContext.Default,
    };

    private ProtocolLock(JsonObject protocol, string sha256, string? keySha256)
    {
        Protocol = protocol;
        Sha256 = sha256;
        BlindingKeySha256 = keySha256;
        Name = (string?)protocol["name"] ?? "";
        JsonObject settings = protocol["settings"]!.AsObject();
        Epochs = Section<EpochOptions>(settings, "Epochs");
        Alpha = Section<AlphaOptions>(settings, "Alpha");
        Aligner = Section<AlignerOptions>(settings, "Aligner");
        Haemoglobin = Section<HaemoglobinOptions>(settings, "Haemoglobin");
        Haemodynamic = Section<HaemodynamicWindow>(settings, "Haemodynamic");
        Conditions = [.. protocol["conditions"]!.AsArray().Select(c => new ConditionRule((string)c!["name"]!, (string)c!["match"]!))];
        Regions = protocol["regions"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.AsArray().Select(l => (string)l!).ToList());
        BlindingCodes = [.. protocol["blinding"]?["codes"]?.AsArray().Select(c => (string)c!) ?? []];
    }

    /// <summary>The canonical protocol (what the hash covers).</summary>
    public JsonObject Protocol { get; }

    /// <summary>Protocol name.</summary>
    public string Name { get; }

    /// <summary>Lower-case hex SHA-256 of the canonical protocol.</summary>
    public string Sha256 { get; }

    /// <summary>SHA-256 of the blinding key that belongs to the protocol (not part of <see cref="Sha256"/>), or null.</summary>
    public string? BlindingKeySha256 { get; }

    /// <summary>Locked <c>Epochs</c> section.</summary>
    public EpochOptions Epochs { get; }

    /// <summary>Locked <c>Alpha</c> section.</summary>
    public AlphaOptions Alpha { get; }

    /// <summary>Locked <c>Aligner</c> section.</summary>
    public AlignerOptions Aligner { get; }

    /// <summary>Locked <c>Haemoglobin</c> section.</summary>
    public HaemoglobinOptions Haemoglobin { get; }

    /// <summary>Locked <c>Haemodynamic</c> section.</summary>
    public HaemodynamicWindow Haemodynamic { get; }

    /// <summary>Condition rules, as locked (with blinding: already in codes).</summary>
    public IReadOnlyList<ConditionRule> Conditions { get; }

    /// <summary>Regions of interest.</summary>
    public IReadOnlyDictionary<string, List<string>> Regions { get; }

    /// <summary>Codes shown instead of the blinded words (sorted), empty when the protocol is not blinded.</summary>
    public IReadOnlyList<string> BlindingCodes { get; }

    /// <summary>True when sessions under this protocol must be blinded.</summary>
    public bool IsBlinded => BlindingCodes.Count > 0;

    /// <summary>The blinding key of the running session (set by <see cref="ApplyTo"/>), or null.</summary>
    public Blinding? Blinding { get; private set; }

    /// <summary>
    /// Locks a protocol document: <c>{"name", "settings": {Epochs, Alpha, Aligner, Haemoglobin, Haemodynamic},
    /// "conditions": [{"name", "match"}], "regions": {name: [labels]}, "blinding": {"real": "A", "sham": "B"}}</c>.
    /// Unknown keys are errors; omitted settings get today's defaults, written out, so the lock does not depend on
    /// later defaults. The blinding map leaves the protocol: conditions are locked in codes, and the map goes into
    /// the returned key (to be written outside any session folder).
    /// </summary>
    /// <exception cref="ArgumentException">The document is not a valid protocol; the message says what is wrong.</exception>
    public static (ProtocolLock Lock, Blinding? Key) Lock(string protocolJson)
    {
        JsonObject source;
        try
        {
            source = JsonNode.Parse(protocolJson, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })?.AsObject()
                ?? throw new ArgumentException("the protocol is empty");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new ArgumentException($"the protocol is not a JSON object: {ex.Message}", ex);
        }
        string[] known = ["name", "settings", "conditions", "regions", "blinding", "description"];
        if (source.Select(kv => kv.Key).FirstOrDefault(k => !known.Contains(k, StringComparer.Ordinal)) is string unknown)
        {
            throw new ArgumentException($"unknown protocol field '{unknown}' (fields: {string.Join(", ", known)})");
        }
        string name = (string?)source["name"] ?? throw new ArgumentException("the protocol needs a \"name\"");
        JsonObject settingsIn = source["settings"]?.AsObject() ?? [];
        if (settingsIn.Select(kv => kv.Key).FirstOrDefault(k => !LockedSections.Contains(k, StringComparer.OrdinalIgnoreCase)) is string section)
        {
            throw new ArgumentException($"settings section '{section}' cannot be locked (lockable: {string.Join(", ", LockedSections)})");
        }
        Blinding? key = source["blinding"] is JsonObject map && map.Count > 0
            ? Blinding.Create(map.ToDictionary(kv => kv.Key, kv => (string?)kv.Value ?? ""))
            : null;

        var settings = new JsonObject();
        settings["Epochs"] = Typed<EpochOptions>(settingsIn, "Epochs", o => o.Validate());
        settings["Alpha"] = Typed<AlphaOptions>(settingsIn, "Alpha", o => o.Validate());
        settings["Aligner"] = Typed<AlignerOptions>(settingsIn, "Aligner", _ => []);
        settings["Haemoglobin"] = Typed<HaemoglobinOptions>(settingsIn, "Haemoglobin", _ => []);
        settings["Haemodynamic"] = Typed<HaemodynamicWindow>(settingsIn, "Haemodynamic", _ => []);

        JsonArray conditionsIn = source["conditions"]?.AsArray() ?? throw new ArgumentException("the protocol needs \"conditions\" (the condition rules: [{\"name\", \"match\"}])");
        var conditions = new JsonArray();
        foreach (JsonNode? c in conditionsIn)
        {
            string? cname = (string?)c?["name"];
            string? match = (string?)c?["match"];
            if (string.IsNullOrWhiteSpace(cname) || string.IsNullOrWhiteSpace(match))
            {
                throw new ArgumentException($"condition {c?.ToJsonString()} needs \"name\" and \"match\"");
            }
            _ = new System.Text.RegularExpressions.Regex(match);
            // As a JsonNode: the generic Add<T> would go through the reflection-based value conversion.
            conditions.Add((JsonNode)new JsonObject { ["name"] = key?.Blind(cname) ?? cname, ["match"] = key?.Blind(match) ?? match });
        }
        if (key is not null)
        {
            // In the protocol's order the rules would give the key away (real is usually listed first), so a blinded
            // lock sorts them by their coded name; blinded rules must therefore not overlap (first match wins).
            conditions = new JsonArray([.. conditions.Select(c => c!.DeepClone()).OrderBy(c => (string?)c["name"], StringComparer.Ordinal)]);
        }
        JsonObject regions = source["regions"]?.AsObject() is JsonObject r ? (JsonObject)r.DeepClone() : [];

        var protocol = new JsonObject
        {
            ["name"] = name,
            ["settings"] = settings,
            ["conditions"] = conditions,
            ["regions"] = regions,
        };
        if (key is not null)
        {
            protocol["blinding"] = new JsonObject { ["codes"] = new JsonArray([.. key.Codes.Select(c => (JsonNode)c)]), ["words"] = new JsonArray([.. key.Words.Select(w => (JsonNode)w)]) };
        }
        // Parse the canonical text back so every value is a plain JSON value (what a reader of the file gets).
        var canonical = JsonNode.Parse(CanonicalJson.Write(protocol))!.AsObject();
        return (new ProtocolLock(canonical, CanonicalJson.Sha256(canonical), key?.Sha256), key);
    }

    /// <summary>The lock file's content: format, name, hash, the canonical protocol and the key's hash.</summary>
    public string ToFileText()
    {
        var file = new JsonObject
        {
            ["format"] = Format,
            ["name"] = Name,
            ["sha256"] = Sha256,
            ["protocol"] = Protocol.DeepClone(),
        };
        if (BlindingKeySha256 is not null)
        {
            file["blindingKeySha256"] = BlindingKeySha256;
        }
        return file.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>Reads a lock file and checks that its protocol still has the hash it was locked with.</summary>
    /// <exception cref="InvalidDataException">Not a lock file, or edited after locking.</exception>
    public static ProtocolLock Read(string path)
    {
        JsonObject file;
        try
        {
            file = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"{path} is empty");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path} is not a protocol lock: {ex.Message}", ex);
        }
        if ((string?)file["format"] != Format || file["protocol"] is not JsonObject protocol)
        {
            throw new InvalidDataException($"{path} is not a protocol lock (write one with 'acq protocol lock PROTOCOL.json')");
        }
        string stated = (string?)file["sha256"] ?? "";
        string actual = CanonicalJson.Sha256(protocol);
        if (!string.Equals(stated, actual, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path} was changed after locking: its protocol hashes to {actual}, the lock says {stated}");
        }
        try
        {
            return new ProtocolLock((JsonObject)protocol.DeepClone(), actual, (string?)file["blindingKeySha256"]);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NullReferenceException)
        {
            throw new InvalidDataException($"{path}: the protocol is incomplete: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Applies the lock in <paramref name="path"/> to <paramref name="settings"/>: the locked sections replace the
    /// configured ones and <see cref="AppSettings.Protocol"/> is set. Returns the problems (nothing applied when there
    /// are any): a setting of a locked section given anywhere but the shipped <c>appsettings.json</c>
    /// (<paramref name="overriddenKeys"/>, e.g. <c>Epochs:TminSeconds</c>), an edited lock, a missing or wrong
    /// blinding key.
    /// </summary>
    public static List<string> ApplyTo(AppSettings settings, string path, IEnumerable<string> overriddenKeys)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var problems = new List<string>();
        ProtocolLock locked;
        try
        {
            locked = Read(path);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return [$"Session:ProtocolLock: {ex.Message}"];
        }
        foreach (string key in overriddenKeys)
        {
            string section = key.Split(':')[0];
            if (LockedSections.Contains(section, StringComparer.OrdinalIgnoreCase))
            {
                problems.Add($"setting '{key}' is locked by protocol '{locked.Name}' (sha256 {locked.Sha256[..12]}…) and cannot be overridden; change the protocol and lock it again");
            }
        }
        if (locked.IsBlinded)
        {
            string? keyPath = settings.Session.BlindingKey is { Length: > 0 } k ? k : null;
            if (keyPath is null)
            {
                problems.Add($"protocol '{locked.Name}' is blinded: give its key file with --Session:BlindingKey=FILE (kept outside the session folder)");
            }
            else
            {
                try
                {
                    Blinding key = Blinding.Read(keyPath);
                    if (key.Sha256 != locked.BlindingKeySha256)
                    {
                        problems.Add($"Session:BlindingKey: {keyPath} is not the key of protocol '{locked.Name}'");
                    }
                    locked.Blinding = key;
                }
                catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    problems.Add($"Session:BlindingKey: {ex.Message}");
                }
            }
        }
        if (problems.Count > 0)
        {
            return problems;
        }
        settings.Epochs = locked.Epochs;
        settings.Alpha = locked.Alpha;
        settings.Aligner = locked.Aligner;
        settings.Haemoglobin = locked.Haemoglobin;
        settings.Haemodynamic = locked.Haemodynamic;
        settings.Protocol = locked;
        if (settings.Session.Protocol.Length == 0)
        {
            settings.Session.Protocol = locked.Name;
        }
        return problems;
    }

    private static JsonNode Typed<T>(JsonObject settings, string name, Func<T, IEnumerable<string>> validate)
        where T : new()
    {
        JsonNode? given = settings.FirstOrDefault(kv => string.Equals(kv.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
        T value;
        try
        {
            value = given is null ? new T() : given.Deserialize(TypedOptions.TypeInfo<T>()) ?? new T();
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"settings.{name}: {ex.Message}", ex);
        }
        if (validate(value).FirstOrDefault() is string problem)
        {
            throw new ArgumentException($"settings.{name}: {problem}");
        }
        return JsonSerializer.SerializeToNode(value, TypedOptions.TypeInfo<T>())!;
    }

    private static T Section<T>(JsonObject settings, string name)
        where T : new() => settings[name] is JsonNode node ? node.Deserialize(TypedOptions.TypeInfo<T>()) ?? new T() : new T();
}
