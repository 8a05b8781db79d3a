using System.Globalization;
using System.Text.Json;
using AcqService.Sources.Xdf;

namespace AcqService.Sinks.Bids;

/// <summary>
/// What the export needs from a session folder's <c>session.json</c> (subject, session label, protocol, mains
/// frequency, start, protocol hash) and where its recording is: the file the session's notes name
/// (<c>raw recording: …</c>, i.e. <c>Session:RecordingFileName</c>), else <c>recording.xdf</c>, else the folder's only
/// <c>.xdf</c>. A bare <c>.xdf</c> file works too; its header then gives subject, session and protocol.
/// </summary>
internal sealed class SessionInfo
{
    public required string Folder { get; init; }

    public required string RecordingPath { get; init; }

    public string SubjectId { get; private set; } = "";

    public string SessionLabel { get; private set; } = "";

    public string Protocol { get; private set; } = "";

    public string? ProtocolHash { get; private set; }

    public string SoftwareVersion { get; private set; } = typeof(SessionInfo).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    public DateTimeOffset? StartedUtc { get; private set; }

    public double? ClockAtStart { get; private set; }

    /// <summary>Mains frequency: the session's notch filter (<c>Epochs:Filter:NotchHz</c>), null when unknown.</summary>
    public double? LineFrequencyHz { get; private set; }

    /// <summary>Wall-clock time of the sample at local clock <paramref name="clock"/>, or null when the session does not say.</summary>
    public DateTimeOffset? StartOf(RecordingMetadata? metadata, double clock)
    {
        DateTimeOffset? started = StartedUtc ?? metadata?.StartedUtc;
        double? origin = ClockAtStart ?? metadata?.ClockAtStart;
        return started is DateTimeOffset s && origin is double o ? s.AddSeconds(clock - o) : started;
    }

    public static SessionInfo Read(string path)
    {
        string full = Path.GetFullPath(path);
        if (File.Exists(full) && full.EndsWith(".xdf", StringComparison.OrdinalIgnoreCase))
        {
            return FromHeader(new SessionInfo { Folder = Path.GetDirectoryName(full)!, RecordingPath = full });
        }
        if (!Directory.Exists(full))
        {
            throw new ArgumentException($"'{path}' is neither a session folder nor an .xdf file");
        }
        string metadataPath = Path.Combine(full, SessionOutput.MetadataFile);
        JsonElement? root = null;
        if (File.Exists(metadataPath))
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(metadataPath));
            root = document.RootElement.Clone();
        }
        string? named = null;
        if (root is JsonElement r && r.TryGetProperty("notes", out JsonElement notes) && notes.ValueKind == JsonValueKind.Array)
        {
            named = notes.EnumerateArray().Select(n => n.GetString() ?? "").Where(n => n.StartsWith("raw recording: ", StringComparison.Ordinal)).Select(n => n["raw recording: ".Length..]).FirstOrDefault();
        }
        string? recording = named is not null && File.Exists(Path.Combine(full, named)) ? Path.Combine(full, named)
            : File.Exists(Path.Combine(full, "recording.xdf")) ? Path.Combine(full, "recording.xdf")
            : Directory.GetFiles(full, "*.xdf") is [string only] ? only : null;
        if (recording is null)
        {
            throw new InvalidDataException($"no recording (.xdf) in session folder '{path}'" + (named is null ? "" : $" (session.json names '{named}')"));
        }
        var info = new SessionInfo { Folder = full, RecordingPath = recording };
        if (root is not JsonElement json)
        {
            return FromHeader(info);
        }
        JsonElement settings = json.TryGetProperty("settings", out JsonElement s) && s.ValueKind == JsonValueKind.Object ? s : default;
        info.SubjectId = Text(settings, "subjectId") ?? "";
        info.SessionLabel = Text(settings, "sessionLabel") ?? "";
        info.Protocol = Text(settings, "protocol") ?? "";
        info.ProtocolHash = Text(json, "protocolHash");
        info.SoftwareVersion = Text(json, "softwareVersion") ?? info.SoftwareVersion;
        if (Text(json, "startedUtc") is string started && DateTimeOffset.TryParse(started, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset st))
        {
            info.StartedUtc = st;
        }
        if (json.TryGetProperty("clockAtStart", out JsonElement clock) && clock.ValueKind == JsonValueKind.Number)
        {
            info.ClockAtStart = clock.GetDouble();
        }
        if (settings.ValueKind == JsonValueKind.Object && settings.TryGetProperty("epochs", out JsonElement epochs) && epochs.ValueKind == JsonValueKind.Object
            && epochs.TryGetProperty("filter", out JsonElement filter) && filter.ValueKind == JsonValueKind.Object
            && filter.TryGetProperty("notchHz", out JsonElement notch) && notch.ValueKind == JsonValueKind.Number && notch.GetDouble() > 0)
        {
            info.LineFrequencyHz = notch.GetDouble();
        }
        // analyze sessions carry no subject settings: the recording's header has them.
        if (info.SubjectId.Length == 0)
        {
            RecordingMetadata? header = ReadHeader(recording);
            info.SubjectId = header?.SubjectId ?? "";
            info.SessionLabel = info.SessionLabel.Length > 0 ? info.SessionLabel : header?.SessionId ?? "";
            info.Protocol = info.Protocol.Length > 0 ? info.Protocol : header?.Protocol ?? "";
        }
        return info;
    }

    private static SessionInfo FromHeader(SessionInfo info)
    {
        RecordingMetadata? header = ReadHeader(info.RecordingPath);
        info.SubjectId = header?.SubjectId ?? "";
        info.SessionLabel = header?.SessionId ?? "";
        info.Protocol = header?.Protocol ?? "";
        info.StartedUtc = header?.StartedUtc;
        info.ClockAtStart = header?.ClockAtStart;
        return info;
    }

    private static RecordingMetadata? ReadHeader(string recording)
    {
        using var reader = AcqService.Xdf.XdfReader.Open(recording);
        while (reader.TryReadChunk(out AcqService.Xdf.XdfChunk? chunk))
        {
            if (chunk is AcqService.Xdf.XdfFileHeaderChunk h)
            {
                return RecordingMetadata.FromFileHeader(h.Xml);
            }
        }
        return null;
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
