using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AcqService.Sinks;

namespace AcqService.Catalog;

/// <summary>
/// Builds a <see cref="CatalogEntry"/> from a finished session folder: <c>session.json</c>, <c>summary.json</c>,
/// <c>erp_averages.json</c>, <c>alpha_summary.csv</c>, <c>drop_log.csv</c>, and a SHA-256 of every file.
/// </summary>
public static partial class CatalogEntryReader
{
    /// <summary>Reads a session folder.</summary>
    /// <param name="folder">The session folder.</param>
    /// <param name="study">Study name.</param>
    /// <param name="site">Site name.</param>
    /// <param name="station">Station name.</param>
    /// <exception cref="InvalidDataException">Not a finished session folder (no <c>session.json</c>) or a result file that cannot be read; the message names the file.</exception>
    /// <exception cref="IOException">A file could not be read.</exception>
    public static CatalogEntry Read(string folder, string study, string site, string station)
    {
        folder = Path.GetFullPath(folder);
        string metadataPath = Path.Combine(folder, SessionOutput.MetadataFile);
        if (!File.Exists(metadataPath))
        {
            throw new InvalidDataException($"'{folder}' is not a finished session folder (no {SessionOutput.MetadataFile})");
        }
        using JsonDocument metadata = ParseFile(metadataPath);
        JsonElement meta = metadata.RootElement;
        JsonElement settings = meta.TryGetProperty("settings", out JsonElement s) && s.ValueKind == JsonValueKind.Object ? s : default;

        string summaryPath = Path.Combine(folder, SessionOutput.SummaryJsonFile);
        using JsonDocument? summaryDocument = File.Exists(summaryPath) ? ParseFile(summaryPath) : null;
        JsonElement summary = summaryDocument?.RootElement ?? default;

        var quality = new CatalogQuality
        {
            DropsByReason = IntMap(summary, "dropsByReason"),
            Markers = IntMap(summary, "markers"),
            InputDamage = Strings(summary, "inputDamage"),
            Errors = Strings(summary, "errors"),
        };
        if (summary.ValueKind == JsonValueKind.Object && summary.TryGetProperty("files", out JsonElement files) && files.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement f in files.EnumerateArray())
            {
                if (f.TryGetProperty("complete", out JsonElement complete) && complete.ValueKind == JsonValueKind.False)
                {
                    quality.IncompleteFiles.Add($"{Text(f, "file")}: {Text(f, "error")}");
                }
            }
        }

        JsonElement ended = summary.ValueKind == JsonValueKind.Object && summary.TryGetProperty("ended", out JsonElement e) && e.ValueKind == JsonValueKind.Object ? e : default;
        List<CatalogFile> checksums = Checksums(folder);
        return new CatalogEntry
        {
            Study = study,
            Site = site,
            Station = station,
            SessionId = Path.GetFileName(folder),
            Subject = Text(settings, "subjectId"),
            SessionLabel = Text(settings, "sessionLabel"),
            Task = Text(settings, "task"),
            Run = Text(settings, "run"),
            Protocol = Text(settings, "protocol"),
            // Written by locked protocols (issue 12 part 2): top level, or with the settings.
            ProtocolHash = NullIfEmpty(Text(meta, "protocolHash")) ?? NullIfEmpty(Text(settings, "protocolHash")),
            Mode = Text(meta, "mode"),
            SoftwareVersion = Text(meta, "softwareVersion"),
            Host = Text(meta, "host"),
            StartedUtc = Time(meta, "startedUtc") ?? throw new InvalidDataException($"{metadataPath}: no startedUtc"),
            EndedUtc = Time(meta, "endedUtc"),
            DurationSeconds = Number(summary, "durationSeconds") ?? 0,
            EndKind = NullIfEmpty(Text(ended, "kind")),
            EndReason = NullIfEmpty(Text(ended, "reason")),
            Folder = folder,
            ContentHash = ContentHash(checksums),
            Streams = Streams(meta, summary),
            Quality = quality,
            Files = checksums,
            Erp = ReadErp(Path.Combine(folder, SessionOutput.ErpJsonFile)),
            Alpha = ReadAlpha(Path.Combine(folder, SessionOutput.AlphaSummaryFile)),
            Drops = ReadDrops(Path.Combine(folder, DropLogWriter.FileName)),
        };
    }

    /// <summary>SHA-256 of every file under the folder (temporary <c>.tmp</c>/<c>.partial</c> files and hidden entries excluded), sorted by relative path.</summary>
    public static List<CatalogFile> Checksums(string folder)
    {
        var list = new List<CatalogFile>();
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System, IgnoreInaccessible = false };
        foreach (string path in Directory.EnumerateFiles(folder, "*", options))
        {
            string name = Path.GetRelativePath(folder, path).Replace('\\', '/');
            // Leftovers of an interrupted atomic write are not part of the session; dot-files are not session content.
            if (name.EndsWith(".tmp", StringComparison.Ordinal) || name.EndsWith(".partial", StringComparison.Ordinal) || name.Split('/').Any(p => p.StartsWith('.')))
            {
                continue;
            }
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            byte[] hash = SHA256.HashData(stream);
            list.Add(new CatalogFile(name, stream.Length, Convert.ToHexStringLower(hash)));
        }
        list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return list;
    }

    /// <summary>SHA-256 over the lines <c>name TAB sha256 LF</c> of the sorted file list.</summary>
    public static string ContentHash(IEnumerable<CatalogFile> files)
    {
        var text = new StringBuilder();
        foreach (CatalogFile f in files.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            text.Append(f.Name).Append('\t').Append(f.Sha256).Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>Reads <c>erp_averages.json</c> (empty list when absent).</summary>
    public static List<ErpResult> ReadErp(string path)
    {
        var list = new List<ErpResult>();
        if (!File.Exists(path))
        {
            return list;
        }
        using JsonDocument document = ParseFile(path);
        if (!document.RootElement.TryGetProperty("conditions", out JsonElement conditions) || conditions.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{path}: no conditions array");
        }
        foreach (JsonElement c in conditions.EnumerateArray())
        {
            List<string> channels = [.. c.GetProperty("channels").EnumerateArray().Select(x => x.GetString() ?? "")];
            List<double> times = [.. c.GetProperty("timesS").EnumerateArray().Select(x => x.GetDouble())];
            List<IReadOnlyList<double?>> mean = [.. c.GetProperty("meanUv").EnumerateArray()
                .Select(row => (IReadOnlyList<double?>)[.. row.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number ? x.GetDouble() : (double?)null)])];
            list.Add(new ErpResult(Text(c, "stream"), Text(c, "condition"), c.GetProperty("count").GetInt32(), channels, times, mean));
        }
        return list;
    }

    /// <summary>Reads <c>alpha_summary.csv</c> (empty list when absent).</summary>
    public static List<AlphaResult> ReadAlpha(string path)
    {
        var list = new List<AlphaResult>();
        if (!File.Exists(path))
        {
            return list;
        }
        string[] lines = File.ReadAllLines(path, Encoding.UTF8);
        Dictionary<string, int> column = Header(path, lines, "stream", "condition", "region", "events", "pre_mean_uV2", "post_mean_uV2", "change_percent", "change_percent_sem");
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }
            List<string> f = SplitCsv(lines[i]);
            list.Add(new AlphaResult(f[column["stream"]], f[column["condition"]], f[column["region"]], int.Parse(f[column["events"]], CultureInfo.InvariantCulture),
                OptionalNumber(f[column["pre_mean_uV2"]]), OptionalNumber(f[column["post_mean_uV2"]]), OptionalNumber(f[column["change_percent"]]), OptionalNumber(f[column["change_percent_sem"]])));
        }
        return list;
    }

    /// <summary>Counts the outcomes of <c>drop_log.csv</c> per stream, condition, outcome and reason (empty list when absent).</summary>
    public static List<DropCount> ReadDrops(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        string[] lines = File.ReadAllLines(path, Encoding.UTF8);
        Dictionary<string, int> column = Header(path, lines, "stream", "condition", "outcome", "reason");
        var counts = new Dictionary<(string, string, string, string), int>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }
            List<string> f = SplitCsv(lines[i]);
            var key = (f[column["stream"]], f[column["condition"]], f[column["outcome"]], ReasonKind(f[column["reason"]]));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return [.. counts.Select(kv => new DropCount(kv.Key.Item1, kv.Key.Item2, kv.Key.Item3, kv.Key.Item4, kv.Value))
            .OrderBy(d => d.Stream, StringComparer.Ordinal).ThenBy(d => d.Condition, StringComparer.Ordinal)
            .ThenBy(d => d.Outcome, StringComparer.Ordinal).ThenBy(d => d.Reason, StringComparer.Ordinal)];
    }

    /// <summary>
    /// A drop reason without its measured values (<c>peak-to-peak 62.3 µV on Fp1 exceeds 45 µV</c> becomes
    /// <c>peak-to-peak # µV on Fp1 exceeds # µV</c>), so drops of the same cause are counted together.
    /// </summary>
    public static string ReasonKind(string reason) => Numbers().Replace(reason, "#");

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<![A-Za-z0-9_])[-+]?\d+(\.\d+)?")]
    private static partial System.Text.RegularExpressions.Regex Numbers();

    /// <summary>Splits one CSV line (RFC 4180 quoting, as <c>Csv.Field</c> writes it).</summary>
    internal static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }
        fields.Add(field.ToString());
        return fields;
    }

    private static Dictionary<string, int> Header(string path, string[] lines, params string[] required)
    {
        if (lines.Length == 0)
        {
            throw new InvalidDataException($"{path}: empty (no header)");
        }
        List<string> names = SplitCsv(lines[0]);
        var column = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < names.Count; i++)
        {
            column[names[i]] = i;
        }
        foreach (string name in required)
        {
            if (!column.ContainsKey(name))
            {
                throw new InvalidDataException($"{path}: no column '{name}'");
            }
        }
        return column;
    }

    private static JsonDocument ParseFile(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({ex.Message})", ex);
        }
    }

    private static List<CatalogStream> Streams(JsonElement meta, JsonElement summary)
    {
        var stats = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (summary.ValueKind == JsonValueKind.Object && summary.TryGetProperty("streams", out JsonElement s) && s.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement stream in s.EnumerateArray())
            {
                stats[Text(stream, "key")] = stream;
            }
        }
        var list = new List<CatalogStream>();
        if (meta.TryGetProperty("streams", out JsonElement streams) && streams.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement stream in streams.EnumerateArray())
            {
                string key = Text(stream, "key");
                JsonElement stat = stats.GetValueOrDefault(key);
                int channels = stream.TryGetProperty("channels", out JsonElement c) && c.ValueKind == JsonValueKind.Array ? c.GetArrayLength() : 0;
                list.Add(new CatalogStream(key, Text(stream, "kind"), Text(stream, "name"), Text(stream, "type"), Number(stream, "nominalRateHz") ?? 0, channels,
                    (long)(Number(stat, "samples") ?? 0), Number(stat, "effectiveRateHz") ?? 0, (int)(Number(stat, "gaps") ?? 0)));
            }
        }
        return list;
    }

    private static string Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;

    private static double? Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static DateTimeOffset? Time(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String && v.TryGetDateTimeOffset(out DateTimeOffset t) ? t : null;

    private static double? OptionalNumber(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v : null;

    private static Dictionary<string, int> IntMap(JsonElement element, string name)
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty p in v.EnumerateObject())
            {
                if (p.Value.ValueKind == JsonValueKind.Number)
                {
                    map[p.Name] = p.Value.GetInt32();
                }
            }
        }
        return map;
    }

    private static List<string> Strings(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Array
            ? [.. v.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() ?? "" : x.GetRawText())]
            : [];
}
