using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AcqService.Core.Analysis;
using AcqService.Core;

namespace AcqService.Sinks;

/// <summary>Writes the end-of-session files of a session folder (layouts documented in the README).</summary>
public static class SessionOutput
{
    /// <summary><c>session.json</c>.</summary>
    public const string MetadataFile = "session.json";
    /// <summary><c>erp_averages.json</c>.</summary>
    public const string ErpJsonFile = "erp_averages.json";
    /// <summary><c>erp_averages.csv</c>.</summary>
    public const string ErpCsvFile = "erp_averages.csv";
    /// <summary><c>alpha_summary.csv</c>.</summary>
    public const string AlphaSummaryFile = "alpha_summary.csv";
    /// <summary><c>summary.json</c>.</summary>
    public const string SummaryJsonFile = "summary.json";
    /// <summary><c>summary.txt</c>.</summary>
    public const string SummaryTextFile = "summary.txt";

    /// <summary>
    /// JSON options used for every file: camelCase, indented, readable characters, enums as camelCase strings. Its
    /// contracts are the compile-time ones of the session files only (no reflection): other assemblies copy these
    /// settings with their own contracts (<c>new JsonSerializerOptions(JsonOptions) { TypeInfoResolver = … }</c>).
    /// </summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = true,
        // Files are read by people and other tools; keep µ, → and quotes readable instead of \u escapes.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // One converter per enum the session files contain (the non-generic factory needs run-time code generation);
        // an enum missing here would be written as a number (JsonContractTests checks every enum the files reach).
        Converters =
        {
            new JsonStringEnumConverter<SessionEndKind>(JsonNamingPolicy.CamelCase),
            new JsonStringEnumConverter<Dsp.WindowKind>(JsonNamingPolicy.CamelCase),
            new JsonStringEnumConverter<Dsp.DetrendKind>(JsonNamingPolicy.CamelCase),
        },
        TypeInfoResolver = SessionJsonContext.Default,
    };

    /// <summary>Writes <c>session.json</c> atomically (temp file + rename), so a crash never leaves half a file.</summary>
    public static void WriteMetadata(string folder, SessionMetadata metadata) =>
        WriteAtomic(Path.Combine(folder, MetadataFile), JsonSerializer.Serialize(metadata, JsonOptions.TypeInfo<SessionMetadata>()));

    /// <summary><c>hrf_averages.json</c>.</summary>
    public const string HrfJsonFile = "hrf_averages.json";
    /// <summary><c>hrf_averages.csv</c>.</summary>
    public const string HrfCsvFile = "hrf_averages.csv";

    /// <summary>Writes <c>erp_averages.json</c> and <c>erp_averages.csv</c>.</summary>
    public static void WriteErpAverages(string folder, IReadOnlyList<ConditionAverage> averages) =>
        WriteAverages(folder, averages, ErpJsonFile, ErpCsvFile, "uV", "Uv");

    /// <summary>Writes the needle-locked haemodynamic averages, <c>hrf_averages.json</c> and <c>hrf_averages.csv</c> (same layout as the ERP files; channels are <c>S1-D1 HbO</c>/<c>HbR</c>).</summary>
    /// <param name="folder">Session folder.</param>
    /// <param name="averages">Averages per stream and condition.</param>
    /// <param name="unit"><c>uM</c> or <c>M</c>.</param>
    /// <param name="summaries">Pre/post summaries per condition, region and chromophore (written as <c>prePost</c> after <c>conditions</c>).</param>
    /// <param name="rejection">Epochs per drop category (written as <c>dropped</c>).</param>
    public static void WriteHaemodynamicAverages(string folder, IReadOnlyList<ConditionAverage> averages, string unit,
        IReadOnlyList<HaemodynamicConditionSummary>? summaries = null, IReadOnlyDictionary<string, int>? rejection = null) =>
        WriteAverages(folder, averages, HrfJsonFile, HrfCsvFile, unit, unit == "uM" ? "Um" : "M", json =>
        {
            json.WriteStartArray("prePost");
            foreach (HaemodynamicConditionSummary s in summaries ?? [])
            {
                json.WriteStartObject();
                json.WriteString("stream", s.StreamKey);
                json.WriteString("condition", s.Condition);
                json.WriteString("region", s.Region);
                json.WriteString("chromophore", s.Chromophore);
                json.WriteNumber("events", s.Events);
                WriteNumberOrNull(json, "pre" + (unit == "uM" ? "Um" : "M"), s.PreMean);
                WriteNumberOrNull(json, "post" + (unit == "uM" ? "Um" : "M"), s.PostMean);
                WriteNumberOrNull(json, "change" + (unit == "uM" ? "Um" : "M"), s.Change);
                WriteNumberOrNull(json, "changeSem" + (unit == "uM" ? "Um" : "M"), s.ChangeStandardError);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartObject("dropped");
            foreach ((string reason, int count) in rejection ?? new Dictionary<string, int>())
            {
                json.WriteNumber(reason, count);
            }
            json.WriteEndObject();
        });

    private static void WriteNumberOrNull(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumber(name, value);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void WriteAverages(string folder, IReadOnlyList<ConditionAverage> averages, string jsonFile, string csvFile, string unit, string jsonSuffix,
        Action<Utf8JsonWriter>? extra = null)
    {
        // The JSON and the CSV file hold the same numbers and are formatted side by side, one on a pool thread: at the
        // end of a session nothing else runs, and number formatting is most of the time (0.2 s each for 6 conditions of
        // 64 channels × 1001 points). The bytes of each file do not depend on the other.
        Task jsonTask = Task.Run(() => WriteAveragesJson(folder, averages, jsonFile, unit, jsonSuffix, extra));
        Exception? csvError = null;
        try
        {
            WriteAveragesCsv(folder, averages, csvFile, unit);
        }
        catch (Exception ex)
        {
            csvError = ex;
        }
        try
        {
            jsonTask.GetAwaiter().GetResult();
        }
        catch (Exception) when (csvError is not null)
        {
            // Both failed (a full disk fails both): report the CSV's error, which names its file, as before.
        }
        if (csvError is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(csvError).Throw();
        }
    }

    private static void WriteAveragesJson(string folder, IReadOnlyList<ConditionAverage> averages, string jsonFile, string unit, string jsonSuffix,
        Action<Utf8JsonWriter>? extra)
    {
        // Streamed to disk, not built in memory: at 256 channels × 20 kHz the averages are hundreds of MB of text.
        WriteAtomic(Path.Combine(folder, jsonFile), stream =>
        {
            using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                json.WriteStartObject();
                json.WriteNumber("formatVersion", 1);
                json.WriteString("amplitudeUnit", unit);
                json.WriteString("timeReference", "seconds relative to the marker (0 = first sample at or after the marker)");
                json.WriteStartArray("conditions");
                foreach (ConditionAverage average in averages)
                {
                    json.WriteStartObject();
                    json.WriteString("stream", average.StreamKey);
                    json.WriteString("condition", average.Condition);
                    json.WriteNumber("count", average.Count);
                    json.WriteStartArray("channels");
                    foreach (string label in average.Channels)
                    {
                        json.WriteStringValue(label);
                    }
                    json.WriteEndArray();
                    WriteArray(json, "timesS", average.Times);
                    json.WriteStartArray("mean" + jsonSuffix);
                    for (int c = 0; c < average.Channels.Count; c++)
                    {
                        WriteRow(json, average.MeanOf(c));
                        FlushWhenLarge(json);
                    }
                    json.WriteEndArray();
                    json.WriteStartArray("sem" + jsonSuffix);
                    double[] se = new double[average.TimePoints];
                    for (int c = 0; c < average.Channels.Count; c++)
                    {
                        for (int k = 0; k < se.Length; k++)
                        {
                            se[k] = average.StandardError(c, k);
                        }
                        WriteRow(json, se);
                        FlushWhenLarge(json);
                    }
                    json.WriteEndArray();
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                // ERP files have nothing more (their bytes stay as before); the haemodynamic file adds its summaries.
                extra?.Invoke(json);
                json.WriteEndObject();
            }
        });
    }

    private static void WriteAveragesCsv(string folder, IReadOnlyList<ConditionAverage> averages, string csvFile, string unit)
    {
        WriteAtomic(Path.Combine(folder, csvFile), stream =>
        {
            using var csv = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            csv.WriteLine($"stream,condition,count,channel,time_s,mean_{unit},sem_{unit}");
            // One line per channel and time point (384k lines for 6 conditions of 64 channels × 1001 points): the fields
            // that repeat (stream, condition, count, channel; the time column) are formatted once, the two numbers
            // straight into a buffer. The text equals Csv.Line of Csv.Field / Csv.Fixed(·, 6) / Csv.Number.
            Span<char> number = stackalloc char[64];
            foreach (ConditionAverage average in averages)
            {
                string[] times = [.. average.Times.Select(t => Csv.Fixed(t, 6))];
                string head = Csv.Field(average.StreamKey) + "," + Csv.Field(average.Condition) + "," + average.Count.ToString(CultureInfo.InvariantCulture) + ",";
                for (int c = 0; c < average.Channels.Count; c++)
                {
                    string prefix = head + Csv.Field(average.Channels[c]) + ",";
                    ReadOnlySpan<double> mean = average.MeanOf(c);
                    for (int k = 0; k < average.TimePoints; k++)
                    {
                        csv.Write(prefix);
                        csv.Write(times[k]);
                        csv.Write(',');
                        WriteCsvNumber(csv, mean[k], number);
                        csv.Write(',');
                        WriteCsvNumber(csv, average.StandardError(c, k), number);
                        csv.WriteLine();
                    }
                }
            }
        });
    }

    /// <summary><see cref="Csv.Number"/> without the string: round-trip digits, nothing for NaN.</summary>
    private static void WriteCsvNumber(StreamWriter csv, double value, Span<char> buffer)
    {
        if (double.IsNaN(value))
        {
            return;
        }
        if (value.TryFormat(buffer, out int written, "R", CultureInfo.InvariantCulture))
        {
            csv.Write(buffer[..written]);
        }
        else
        {
            csv.Write(Csv.Number(value));
        }
    }

    /// <summary>Writes <c>alpha_summary.csv</c>.</summary>
    public static void WriteAlphaSummary(string folder, IReadOnlyList<AlphaConditionSummary> summaries)
    {
        var csv = new StringBuilder();
        csv.AppendLine("stream,condition,region,events,pre_mean_uV2,post_mean_uV2,change_percent,change_percent_sem");
        foreach (AlphaConditionSummary s in summaries)
        {
            csv.AppendLine(Csv.Line(Csv.Field(s.StreamKey), Csv.Field(s.Condition), Csv.Field(s.Region), s.Events.ToString(CultureInfo.InvariantCulture),
                Csv.Number(s.PreMean), Csv.Number(s.PostMean), Csv.Number(s.ChangePercent), Csv.Number(s.ChangePercentStandardError)));
        }
        WriteAtomic(Path.Combine(folder, AlphaSummaryFile), csv.ToString());
    }

    /// <summary>Writes <c>summary.json</c> and a human-readable <c>summary.txt</c>.</summary>
    public static void WriteSummary(string folder, SessionSummary summary)
    {
        WriteAtomic(Path.Combine(folder, SummaryJsonFile), JsonSerializer.Serialize(summary, JsonOptions.TypeInfo<SessionSummary>()));
        WriteAtomic(Path.Combine(folder, SummaryTextFile), summary.ToText());
    }

    /// <summary>Writes a file via a temporary sibling and a rename, streaming the content.</summary>
    public static void WriteAtomic(string path, Action<Stream> write)
    {
        string temp = path + ".tmp";
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(file);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException)
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Writes a file via a temporary sibling and a rename.</summary>
    public static void WriteAtomic(string path, string content)
    {
        string temp = path + ".tmp";
        try
        {
            File.WriteAllText(temp, content, new UTF8Encoding(false));
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException)
        {
            // A half-written temporary file (disk full) is useless and takes the space other results need.
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>
    /// A <see cref="Utf8JsonWriter"/> on a stream keeps everything in its own buffer until it is flushed: without this the
    /// whole file (tens of MB for a long session) would be held in memory, grown by doubling, before reaching the disk.
    /// </summary>
    private static void FlushWhenLarge(Utf8JsonWriter json)
    {
        if (json.BytesPending >= 1 << 16)
        {
            json.Flush();
        }
    }

    private static void WriteArray(Utf8JsonWriter json, string name, ReadOnlySpan<double> values)
    {
        json.WriteStartArray(name);
        foreach (double v in values)
        {
            WriteNumber(json, v);
        }
        json.WriteEndArray();
    }

    private static void WriteRow(Utf8JsonWriter json, ReadOnlySpan<double> values)
    {
        json.WriteStartArray();
        foreach (double v in values)
        {
            WriteNumber(json, v);
        }
        json.WriteEndArray();
    }

    private static void WriteNumber(Utf8JsonWriter json, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumberValue(Math.Round(value, 9));
        }
        else
        {
            json.WriteNullValue();
        }
    }
}
