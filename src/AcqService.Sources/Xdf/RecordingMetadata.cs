using System.Globalization;
using System.Xml.Linq;
using AcqService.Core.Pipeline;

namespace AcqService.Sources.Xdf;

/// <summary>
/// Session metadata written into the XDF FileHeader (under <c>info/acqservice</c>) so a recording is
/// self-describing: who, which protocol, how markers map to conditions, which software, and when.
/// </summary>
public sealed class RecordingMetadata
{
    /// <summary>Element under the FileHeader <c>info</c> that holds these fields.</summary>
    public const string ElementName = "acqservice";

    /// <summary>Subject (participant) id, e.g. <c>P001</c>.</summary>
    public string SubjectId { get; set; } = "";

    /// <summary>Session id, e.g. <c>S001</c>.</summary>
    public string SessionId { get; set; } = "";

    /// <summary>Study protocol name or version, e.g. <c>needling-erp-v2</c>.</summary>
    public string Protocol { get; set; } = "";

    /// <summary>Marker label → condition rules in force during the recording (first match wins).</summary>
    public List<ConditionRule> ConditionRules { get; set; } = [];

    /// <summary>Software that recorded the file.</summary>
    public string SoftwareVersion { get; set; } = "AcqService " + (typeof(RecordingMetadata).Assembly.GetName().Version?.ToString() ?? "0.0.0");

    /// <summary>Wall-clock start of the recording; null = the moment the recorder opens the file.</summary>
    public DateTimeOffset? StartedUtc { get; set; }

    /// <summary>Free-form notes (operator remarks, device serials).</summary>
    public List<string> Notes { get; set; } = [];

    /// <summary>
    /// Local LSL clock (seconds) at session start; <c>session_time_s</c> columns are relative to it, so analysing the
    /// recording later reproduces them.
    /// </summary>
    public double? ClockAtStart { get; set; }

    /// <summary>SHA-256 of the locked protocol the session ran under, or null (element <c>protocol_sha256</c>, only when set).</summary>
    public string? ProtocolHash { get; set; }

    /// <summary>Builds the <c>acqservice</c> header element; <paramref name="started"/> is written in UTC with milliseconds.</summary>
    public XElement ToXml(DateTimeOffset started)
    {
        var rules = new XElement("conditions");
        foreach (ConditionRule rule in ConditionRules)
        {
            rules.Add(new XElement("rule", new XElement("condition", rule.Name), new XElement("pattern", rule.Pattern)));
        }
        var notes = new XElement("notes");
        foreach (string note in Notes)
        {
            notes.Add(new XElement("note", note));
        }
        return new XElement(ElementName,
            new XElement("subject", SubjectId),
            new XElement("session", SessionId),
            new XElement("protocol", Protocol),
            ProtocolHash is null ? null : new XElement("protocol_sha256", ProtocolHash),
            rules,
            new XElement("software", SoftwareVersion),
            new XElement("start_utc", started.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
            ClockAtStart is double clock ? new XElement("clock_at_start", clock.ToString("R", CultureInfo.InvariantCulture)) : null,
            notes);
    }

    /// <summary>Reads the metadata back from a FileHeader XML document; null when the file has no <c>acqservice</c> element.</summary>
    public static RecordingMetadata? FromFileHeader(string? fileHeaderXml)
    {
        if (string.IsNullOrWhiteSpace(fileHeaderXml))
        {
            return null;
        }
        XElement? element;
        try
        {
            element = XDocument.Parse(fileHeaderXml).Root?.Element(ElementName);
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }
        if (element is null)
        {
            return null;
        }
        var metadata = new RecordingMetadata
        {
            SubjectId = (string?)element.Element("subject") ?? "",
            SessionId = (string?)element.Element("session") ?? "",
            Protocol = (string?)element.Element("protocol") ?? "",
            ProtocolHash = (string?)element.Element("protocol_sha256"),
            SoftwareVersion = (string?)element.Element("software") ?? "",
            ConditionRules = [.. (element.Element("conditions")?.Elements("rule") ?? [])
                .Select(r => new ConditionRule((string?)r.Element("condition") ?? "", (string?)r.Element("pattern") ?? ""))],
            Notes = [.. (element.Element("notes")?.Elements("note") ?? []).Select(n => n.Value)],
        };
        if (double.TryParse((string?)element.Element("clock_at_start"), NumberStyles.Float, CultureInfo.InvariantCulture, out double clockAtStart))
        {
            metadata.ClockAtStart = clockAtStart;
        }
        if (DateTimeOffset.TryParse((string?)element.Element("start_utc"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset started))
        {
            metadata.StartedUtc = started;
        }
        return metadata;
    }
}
