using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AcqService.Core.Pipeline;
using AcqService.Sources.Xdf;

namespace AcqService.Sinks.Bids;

/// <summary>What <see cref="BidsExporter.Export"/> is asked to do for one session folder.</summary>
public sealed record BidsExportOptions
{
    /// <summary>Root folder of the BIDS dataset (created when missing).</summary>
    public required string Root { get; init; }

    /// <summary>Subject label; null = the session's <c>Session:SubjectId</c>.</summary>
    public string? Subject { get; init; }

    /// <summary>Session label; null = the session's <c>Session:SessionLabel</c> (none when that is empty).</summary>
    public string? Session { get; init; }

    /// <summary>Task label; null = the session's <c>Session:Protocol</c>, else <see cref="DefaultTask"/>.</summary>
    public string? Task { get; init; }

    /// <summary>Run index, or null for none.</summary>
    public int? Run { get; init; }

    /// <summary>An <c>acq check</c> JSON report whose <c>fail</c> channels become <c>bad</c>; null = the session folder's <c>check.json</c> if any.</summary>
    public string? CheckReport { get; init; }

    /// <summary>Replace existing files whose content differs (otherwise the export is refused and nothing is written).</summary>
    public bool Overwrite { get; init; }

    /// <summary>Dataset name for a new <c>dataset_description.json</c>.</summary>
    public string DatasetName { get; init; } = "AcqService recordings";

    /// <summary>Task label used when neither the options nor the session give one.</summary>
    public const string DefaultTask = "needling";
}

/// <summary>What happened to one file of the dataset.</summary>
public enum BidsFileOutcome
{
    /// <summary>Newly written (or replaced with <see cref="BidsExportOptions.Overwrite"/>).</summary>
    Written,

    /// <summary>Already there with identical content.</summary>
    Unchanged,

    /// <summary>A dataset-level file already there (e.g. an edited <c>dataset_description.json</c>) that the export leaves alone.</summary>
    Kept,
}

/// <summary>The result of exporting one session.</summary>
/// <param name="Entities">Subject, session, task and run used.</param>
/// <param name="Files">Every file of the export with what happened to it (paths relative to the root).</param>
/// <param name="Events">Events written to <c>*_events.tsv</c> (EEG).</param>
/// <param name="Warnings">What the export had to assume or leave out.</param>
public sealed record BidsExportResult(BidsEntities Entities, IReadOnlyList<(string Path, BidsFileOutcome Outcome)> Files, int Events, IReadOnlyList<string> Warnings);

/// <summary>The export was refused because files already in the dataset differ from what it would write; nothing was written.</summary>
/// <param name="message">What differs and how to proceed.</param>
/// <param name="conflicts">Root-relative paths of the differing files.</param>
public sealed class BidsConflictException(string message, IReadOnlyList<string> conflicts) : IOException(message)
{
    /// <summary>Root-relative paths of the files that differ.</summary>
    public IReadOnlyList<string> Conflicts { get; } = conflicts;
}

/// <summary>
/// Exports an AcqService session folder as EEG-BIDS: per EEG stream a BrainVision recording with its
/// <c>_eeg.json</c>, <c>_channels.tsv</c>, <c>_events.tsv</c>/<c>.json</c>; the dataset's
/// <c>dataset_description.json</c>, <c>README</c> and <c>participants.tsv</c>; the original XDF under
/// <c>sourcedata/</c>; fNIRS streams as SNIRF under <c>nirs/</c> (<see cref="BidsNirs"/>). Every file is computed in
/// memory first and compared with what is on disk: identical files are left untouched (exporting twice is a no-op),
/// and when any file differs the export is refused before anything is written unless
/// <see cref="BidsExportOptions.Overwrite"/> is set.
/// </summary>
public static class BidsExporter
{
    /// <summary>BIDS version the files follow.</summary>
    public const string BidsVersion = "1.8.0";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Exports the session in <paramref name="sessionFolder"/>.</summary>
    /// <exception cref="ArgumentException">Invalid entity labels (the message names the value) or an unusable session folder.</exception>
    /// <exception cref="BidsConflictException">An existing file differs and <see cref="BidsExportOptions.Overwrite"/> is off.</exception>
    /// <exception cref="InvalidDataException">No recording, no EEG/fNIRS stream, or an unreadable check report.</exception>
    public static BidsExportResult Export(string sessionFolder, BidsExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        SessionInfo info = SessionInfo.Read(sessionFolder);
        var entities = new BidsEntities(
            options.Subject ?? info.SubjectId,
            options.Session ?? (info.SessionLabel.Length > 0 ? info.SessionLabel : null),
            options.Task ?? (info.Protocol.Length > 0 && BidsEntities.IsValidLabel(info.Protocol) ? info.Protocol : BidsExportOptions.DefaultTask),
            options.Run);
        var warnings = new List<string>();
        if (options.Task is null && info.Protocol.Length > 0 && !BidsEntities.IsValidLabel(info.Protocol))
        {
            warnings.Add($"protocol '{info.Protocol}' is not a valid BIDS task label; task '{entities.Task}' used (give one with --task)");
        }
        AlignedRecording recording = AlignedRecording.Read(info.RecordingPath);
        if (recording.Diagnostics.Count > 0)
        {
            warnings.Add($"the recording is damaged ({recording.Diagnostics.Count} problem(s), first: {recording.Diagnostics[0]}); everything readable was exported");
        }
        string? checkPath = options.CheckReport ?? (File.Exists(Path.Combine(info.Folder, "check.json")) ? Path.Combine(info.Folder, "check.json") : null);
        ChannelCheckReport? check = checkPath is null ? null : ChannelCheckReport.Read(checkPath);
        if (check is null)
        {
            warnings.Add("no acq check report (--check FILE): every channel is marked good");
        }

        var files = new List<PlannedFile>();
        AlignedSignal[] eeg = [.. recording.Signals.Where(s => s.Header.Type.Equals("EEG", StringComparison.OrdinalIgnoreCase))];
        IReadOnlyList<PlannedFile> nirsFiles = BidsNirs.Plan(info, recording, entities, warnings);
        if (eeg.Length == 0 && nirsFiles.Count == 0)
        {
            throw new InvalidDataException($"{info.RecordingPath}: no EEG or fNIRS stream to export (streams: {string.Join(", ", recording.Signals.Select(s => $"'{s.Header.Name}' ({s.Header.Type})"))})");
        }
        int events = 0;
        foreach (AlignedSignal signal in eeg)
        {
            BidsEntities e = eeg.Length == 1 ? entities : entities with { Acquisition = new string([.. signal.Key.Where(char.IsAsciiLetterOrDigit)]) };
            events += PlanEeg(info, recording, signal, e, check, files, warnings);
        }
        files.AddRange(nirsFiles);
        string sourceName = Path.Combine("sourcedata", Path.GetDirectoryName(entities.Folder("eeg"))!, $"{entities.Stem}_recording.xdf");
        files.Add(PlannedFile.Copy(sourceName, info.RecordingPath));

        // Dataset-level files: written when absent, otherwise kept (participants.tsv gains a row).
        var dataset = new List<PlannedFile>
        {
            PlannedFile.Dataset("dataset_description.json", Json(new JsonObject
            {
                ["Name"] = options.DatasetName,
                ["BIDSVersion"] = BidsVersion,
                ["DatasetType"] = "raw",
                ["GeneratedBy"] = new JsonArray(new JsonObject { ["Name"] = "AcqService", ["Version"] = info.SoftwareVersion, ["Description"] = "acq export-bids" }),
            })),
            PlannedFile.Dataset("README", Encoding.UTF8.GetBytes(
                "EEG (and fNIRS) recordings of needling sessions, exported from AcqService session folders with `acq export-bids`.\n"
                + "Raw data as recorded (no filters); events are the needle markers on the recording's synchronised clock.\n"
                + "The original XDF recordings are under sourcedata/.\n")),
        };
        string participants = Path.Combine(options.Root, "participants.tsv");
        dataset.Add(new PlannedFile("participants.tsv", Participants(File.Exists(participants) ? File.ReadAllText(participants, Encoding.UTF8) : null, entities.Subject), null, Merged: true));

        return Write(options, entities, [.. files, .. dataset], events, warnings);
    }

    private static int PlanEeg(SessionInfo info, AlignedRecording recording, AlignedSignal signal, BidsEntities e, ChannelCheckReport? check, List<PlannedFile> files, List<string> warnings)
    {
        string folder = e.Folder("eeg");
        string stem = e.Stem;
        double rate = signal.Header.NominalSrate;
        if (signal.SampleCount == 0)
        {
            throw new InvalidDataException($"stream '{signal.Header.Name}' has no samples");
        }
        if (signal.Header.ChannelFormat is Core.Model.ChannelFormat.Double64 or Core.Model.ChannelFormat.Int32 or Core.Model.ChannelFormat.Int64)
        {
            warnings.Add($"stream '{signal.Header.Name}' is {signal.Header.ChannelFormat}; BrainVision stores float32 (about 7 significant digits)");
        }
        if (signal.Gaps.Count > 0)
        {
            warnings.Add($"stream '{signal.Header.Name}' has {signal.Gaps.Count} gap(s) ({signal.Gaps.Sum(g => g.MissingSeconds):0.###} s missing); BrainVision joins the samples, so the gaps are listed as 'gap' events");
        }

        List<EventRow> rows = Events(recording, signal, warnings);
        double t0 = signal.Times[0];

        // BrainVision: float32 values exactly as recorded, resolution 1 in the recorded unit.
        var channels = new BrainVisionChannel[signal.Labels.Count];
        for (int c = 0; c < channels.Length; c++)
        {
            channels[c] = new BrainVisionChannel(signal.Labels[c], BrainVisionUnit(signal.Units[c]));
        }
        DateTimeOffset? start = info.StartOf(recording.Metadata, t0);
        var markers = new List<BrainVisionMarker> { new("New Segment", "", 0, 1, start) };
        markers.AddRange(rows.Where(r => r.TrialType != "gap").Select(r => new BrainVisionMarker("Stimulus",
            r.Value is int code ? string.Create(CultureInfo.InvariantCulture, $"S{code,3}") : r.TrialType, r.Sample)));
        files.Add(new PlannedFile(Path.Combine(folder, stem + "_eeg.vhdr"), Encoding.UTF8.GetBytes(BrainVision.HeaderText(stem + "_eeg.eeg", stem + "_eeg.vmrk", channels, rate)), null));
        files.Add(new PlannedFile(Path.Combine(folder, stem + "_eeg.vmrk"), Encoding.UTF8.GetBytes(BrainVision.MarkerText(stem + "_eeg.eeg", markers)), null));
        files.Add(new PlannedFile(Path.Combine(folder, stem + "_eeg.eeg"), BrainVision.DataBytes(signal.Values), null));

        // channels.tsv with the check verdicts.
        var tsv = new StringBuilder("name\ttype\tunits\tstatus\tstatus_description\n");
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < channels.Length; c++)
        {
            string type = ChannelType(signal.Types[c]);
            counts[type] = counts.GetValueOrDefault(type) + 1;
            string status = "good", description;
            if (check is null)
            {
                description = "not checked (no acq check report)";
            }
            else if (check.Find(signal.Key, signal.Header.Name, signal.Labels[c]) is ChannelVerdict v)
            {
                status = v.Verdict == "fail" ? "bad" : "good";
                description = $"acq check: {v.Verdict}" + (v.Reason is null ? "" : $" ({v.Reason})");
            }
            else
            {
                description = "not in the acq check report";
            }
            tsv.Append(CultureInfo.InvariantCulture, $"{Cell(signal.Labels[c])}\t{type}\t{Cell(BidsUnit(signal.Units[c]))}\t{status}\t{Cell(description)}\n");
        }
        files.Add(new PlannedFile(Path.Combine(folder, stem + "_channels.tsv"), Encoding.UTF8.GetBytes(tsv.ToString()), null));

        files.Add(new PlannedFile(Path.Combine(folder, stem + "_events.tsv"), EventsTsv(rows), null));
        files.Add(new PlannedFile(Path.Combine(folder, stem + "_events.json"), Json(EventsDescription(recording.Metadata)), null));

        var sidecar = new JsonObject
        {
            ["TaskName"] = e.Task,
            // The BIDS validator allows no extra keys in *_eeg.json, so the protocol and its lock hash go into the task description.
            ["TaskDescription"] = TaskDescription(info, signal.Header.Name),
            ["SamplingFrequency"] = rate,
            ["EEGReference"] = "n/a",
            ["PowerLineFrequency"] = info.LineFrequencyHz is double line ? line : "n/a",
            ["SoftwareFilters"] = "n/a",
            ["HardwareFilters"] = "n/a",
            ["EEGChannelCount"] = counts.GetValueOrDefault("EEG"),
            ["EOGChannelCount"] = counts.GetValueOrDefault("EOG"),
            ["ECGChannelCount"] = counts.GetValueOrDefault("ECG"),
            ["EMGChannelCount"] = counts.GetValueOrDefault("EMG"),
            ["MiscChannelCount"] = counts.Where(kv => kv.Key is not ("EEG" or "EOG" or "ECG" or "EMG" or "TRIG")).Sum(kv => kv.Value),
            ["TriggerChannelCount"] = counts.GetValueOrDefault("TRIG"),
            ["RecordingDuration"] = Math.Round(signal.SampleCount / rate, 6),
            ["RecordingType"] = signal.Gaps.Count > 0 ? "discontinuous" : "continuous",
            ["SoftwareVersions"] = "AcqService " + info.SoftwareVersion,
        };
        if (signal.Header.ParseXml()?.Element("desc")?.Element("manufacturer")?.Value is { Length: > 0 } manufacturer)
        {
            sidecar["Manufacturer"] = manufacturer;
        }
        files.Add(new PlannedFile(Path.Combine(folder, stem + "_eeg.json"), Json(sidecar), null));
        return rows.Count(r => r.TrialType != "gap");
    }

    /// <summary>
    /// Every marker within the signal's recording as an event: onset = marker time − first sample time (both on the
    /// aligned clock), sample = the aligner's placement; plus one <c>gap</c> event per gap. Sorted by onset.
    /// </summary>
    internal static List<EventRow> Events(AlignedRecording recording, AlignedSignal signal, List<string> warnings)
    {
        EventClassifier? classifier = recording.Metadata is { ConditionRules.Count: > 0 } m ? new EventClassifier(m.ConditionRules) : null;
        double t0 = signal.Times[0];
        double end = signal.Times[^1] + (1.0 / signal.Header.NominalSrate);
        var rows = new List<EventRow>();
        int outside = 0;
        foreach (AlignedMarker marker in recording.Markers)
        {
            if (marker.Time < t0 || marker.Time >= end)
            {
                outside++;
                continue;
            }
            int sample = Math.Min(signal.PlaceAt(marker.Time), signal.SampleCount - 1);
            string condition = classifier?.Classify(marker.Label) ?? marker.Label.Split(';')[0].Trim();
            rows.Add(new EventRow(marker.Time - t0, 0, condition.Length > 0 ? condition : "n/a", marker.Code, sample, Field(marker.Label, "site"), Field(marker.Label, "kind"), marker.Label));
        }
        foreach ((long sample, double missing) in signal.Gaps)
        {
            rows.Add(new EventRow(signal.Times[sample] - t0 - missing, missing, "gap", null, sample, null, null, "gap in the recording"));
        }
        if (outside > 0)
        {
            warnings.Add($"{outside} marker(s) outside the recording of '{signal.Header.Name}' were left out");
        }
        rows.Sort((a, b) => a.Onset.CompareTo(b.Onset));
        return rows;
    }

    /// <summary>The <c>*_events.tsv</c> bytes.</summary>
    internal static byte[] EventsTsv(List<EventRow> rows)
    {
        var events = new StringBuilder("onset\tduration\ttrial_type\tvalue\tsample\tneedle_site\tneedle_kind\tmarker\n");
        foreach (EventRow r in rows)
        {
            events.Append(CultureInfo.InvariantCulture,
                $"{r.Onset:0.000000}\t{r.Duration:0.000000}\t{Cell(r.TrialType)}\t{(r.Value is int v ? v.ToString(CultureInfo.InvariantCulture) : "n/a")}\t{r.Sample}\t{Cell(r.Site)}\t{Cell(r.Kind)}\t{Cell(r.Marker)}\n");
        }
        return Encoding.UTF8.GetBytes(events.ToString());
    }

    /// <summary>Protocol, its lock hash (when the session ran under a locked protocol) and the stream, in words.</summary>
    internal static string TaskDescription(SessionInfo info, string streamName) =>
        (info.Protocol.Length > 0 ? $"Needling session under protocol '{info.Protocol}'." : "Needling session.")
        + (info.ProtocolHash is { Length: > 0 } hash ? $" Locked protocol SHA-256: {hash}." : "")
        + $" Recorded by AcqService from LSL stream '{streamName}'.";

    internal static JsonObject EventsDescription(RecordingMetadata? metadata)
    {
        var levels = new JsonObject();
        foreach (string condition in metadata?.ConditionRules.Select(r => r.Name).Distinct(StringComparer.Ordinal) ?? [])
        {
            levels[condition] = $"needle event classified as '{condition}' by the recording's condition rules";
        }
        var trialType = new JsonObject { ["Description"] = "Condition of the needle event (the session's condition rules; 'gap' = data missing from the recording)" };
        if (levels.Count > 0)
        {
            trialType["Levels"] = levels;
        }
        return new JsonObject
        {
            ["trial_type"] = trialType,
            ["value"] = new JsonObject { ["Description"] = "Numeric code the marker carried (n/a when none); also the BrainVision marker 'S<code>'" },
            ["sample"] = new JsonObject { ["Description"] = "0-based index of the first EEG sample at or after the marker (the session's placement rule)" },
            ["needle_site"] = new JsonObject { ["Description"] = "Needling site from the marker label ('site=' field), e.g. ST36" },
            ["needle_kind"] = new JsonObject { ["Description"] = "Needle kind from the marker label ('kind=' field): real, sham, or a blinded code" },
            ["marker"] = new JsonObject { ["Description"] = "The marker text as recorded" },
        };
    }

    private static BidsExportResult Write(BidsExportOptions options, BidsEntities entities, List<PlannedFile> files, int events, List<string> warnings)
    {
        string root = Path.GetFullPath(options.Root);
        var outcomes = new List<(string, BidsFileOutcome)>();
        var conflicts = new List<string>();
        var plan = new List<(PlannedFile File, BidsFileOutcome Outcome)>();
        foreach (PlannedFile f in files)
        {
            string path = Path.Combine(root, f.RelativePath);
            if (!File.Exists(path))
            {
                plan.Add((f, BidsFileOutcome.Written));
            }
            else if (f.Same(path))
            {
                plan.Add((f, BidsFileOutcome.Unchanged));
            }
            else if (f.DatasetLevel)
            {
                plan.Add((f, BidsFileOutcome.Kept));
            }
            else if (f.Merged || options.Overwrite)
            {
                plan.Add((f, BidsFileOutcome.Written));
            }
            else
            {
                conflicts.Add(f.RelativePath);
            }
        }
        if (conflicts.Count > 0)
        {
            throw new BidsConflictException(
                $"{conflicts.Count} file(s) already in {root} differ from this export and were not overwritten: {string.Join(", ", conflicts)} (nothing was written; use --overwrite to replace them)",
                conflicts);
        }
        foreach ((PlannedFile f, BidsFileOutcome outcome) in plan)
        {
            if (outcome == BidsFileOutcome.Written)
            {
                string path = Path.Combine(root, f.RelativePath);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                // Written beside the target first, so an interrupted export never leaves half a file under a BIDS name.
                string partial = path + ".partial";
                if (f.Content is byte[] bytes)
                {
                    File.WriteAllBytes(partial, bytes);
                }
                else
                {
                    File.Copy(f.SourcePath!, partial, overwrite: true);
                }
                File.Move(partial, path, overwrite: true);
            }
            outcomes.Add((f.RelativePath, outcome));
        }
        return new BidsExportResult(entities, outcomes, events, warnings);
    }

    /// <summary><c>participants.tsv</c> with <paramref name="subject"/> added (rows sorted, other columns of existing rows kept).</summary>
    private static byte[] Participants(string? existing, string subject)
    {
        string id = "sub-" + subject;
        if (existing is null)
        {
            return Encoding.UTF8.GetBytes($"participant_id\n{id}\n");
        }
        string[] lines = [.. existing.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Where(l => l.Length > 0)];
        if (lines.Skip(1).Any(l => l.Split('\t')[0] == id))
        {
            return Encoding.UTF8.GetBytes(existing);
        }
        int columns = lines.Length > 0 ? lines[0].Split('\t').Length : 1;
        string row = id + string.Concat(Enumerable.Repeat("\tn/a", columns - 1));
        return Encoding.UTF8.GetBytes(string.Join('\n', [lines.Length > 0 ? lines[0] : "participant_id", .. lines.Skip(1).Append(row).Order(StringComparer.Ordinal)]) + "\n");
    }

    internal static byte[] Json(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString(Indented).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n");

    internal static string Cell(string? text) => string.IsNullOrEmpty(text) ? "n/a" : text.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ');

    private static string? Field(string label, string key)
    {
        foreach (string part in label.Split(';'))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && part[..eq].Trim().Equals(key, StringComparison.OrdinalIgnoreCase))
            {
                return part[(eq + 1)..].Trim();
            }
        }
        return null;
    }

    /// <summary>BIDS channel type from the recorded one (an EEG stream's unlabelled channels are EEG).</summary>
    private static string ChannelType(string recorded)
    {
        string t = recorded.Trim().ToUpperInvariant();
        return t switch
        {
            "" or "EEG" => "EEG",
            "EOG" or "HEOG" or "VEOG" or "ECG" or "EMG" or "TRIG" or "MISC" or "REF" or "GSR" or "RESP" or "TEMP" or "PPG" or "AUDIO" or "SYSCLOCK" => t,
            "TRIGGER" => "TRIG",
            _ => "MISC",
        };
    }

    private static string BrainVisionUnit(string unit) => unit.Trim() switch
    {
        "" or "uV" or "µV" or "μV" or "microvolts" => "µV",
        "millivolts" => "mV",
        "volts" => "V",
        string u => u,
    };

    private static string BidsUnit(string unit) => BrainVisionUnit(unit);

    internal sealed record EventRow(double Onset, double Duration, string TrialType, int? Value, long Sample, string? Site, string? Kind, string Marker);
}

/// <summary>One file the export would write: bytes in memory, or a file to copy.</summary>
/// <param name="RelativePath">Path under the dataset root.</param>
/// <param name="Content">Bytes to write, or null when <paramref name="SourcePath"/> is copied.</param>
/// <param name="SourcePath">File to copy, or null.</param>
/// <param name="DatasetLevel">A dataset file written only when absent (a different existing one is kept).</param>
/// <param name="Merged">A file the export updates by merging (participants.tsv).</param>
internal sealed record PlannedFile(string RelativePath, byte[]? Content, string? SourcePath, bool DatasetLevel = false, bool Merged = false)
{
    public static PlannedFile Copy(string relativePath, string source) => new(relativePath, null, source);

    public static PlannedFile Dataset(string relativePath, byte[] content) => new(relativePath, content, null, DatasetLevel: true);

    /// <summary>True when <paramref name="path"/> holds exactly this content.</summary>
    public bool Same(string path)
    {
        var existing = new FileInfo(path);
        if (Content is byte[] bytes)
        {
            return existing.Length == bytes.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes);
        }
        var source = new FileInfo(SourcePath!);
        if (existing.Length != source.Length)
        {
            return false;
        }
        using FileStream a = existing.OpenRead(), b = source.OpenRead();
        byte[] x = new byte[1 << 16], y = new byte[1 << 16];
        while (true)
        {
            int n = a.ReadAtLeast(x, x.Length, throwOnEndOfStream: false);
            int m = b.ReadAtLeast(y, y.Length, throwOnEndOfStream: false);
            if (n != m || !x.AsSpan(0, n).SequenceEqual(y.AsSpan(0, m)))
            {
                return false;
            }
            if (n == 0)
            {
                return true;
            }
        }
    }
}
