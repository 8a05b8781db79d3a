using System.Xml.Linq;
using AcqService.Core.Model;

namespace AcqService.Xdf;

/// <summary>Core fields of a StreamHeader plus the raw XML for everything else (desc, source_id, …).</summary>
/// <param name="StreamId">The writer-chosen stream id.</param>
/// <param name="Name">The <c>name</c> element (empty when absent).</param>
/// <param name="Type">The <c>type</c> element, e.g. EEG or Markers (empty when absent).</param>
/// <param name="ChannelCount">The <c>channel_count</c> element.</param>
/// <param name="NominalSrate">The <c>nominal_srate</c> element in Hz; 0 means irregular.</param>
/// <param name="ChannelFormat">The <c>channel_format</c> element.</param>
/// <param name="Xml">The header XML exactly as stored.</param>
public sealed record XdfStreamHeader(
    uint StreamId,
    string Name,
    string Type,
    int ChannelCount,
    double NominalSrate,
    ChannelFormat ChannelFormat,
    string Xml)
{
    /// <summary>True when <c>desc/synchronization/can_drop_samples</c> is <c>true</c>; pyxdf then skips dejittering.</summary>
    public bool CanDropSamples { get; init; }

    /// <summary>Parses a StreamHeader XML document.</summary>
    /// <param name="streamId">The id from the chunk.</param>
    /// <param name="xml">The XML text.</param>
    /// <param name="header">The parsed header on success.</param>
    /// <param name="error">Why parsing failed, on failure.</param>
    /// <returns>True when the XML is well formed and has a valid channel_count, nominal_srate and channel_format.</returns>
    public static bool TryParse(uint streamId, string xml, out XdfStreamHeader? header, out string? error)
    {
        header = null;
        if (!XdfXml.TryParse(xml, out var root) || root is null)
        {
            error = "stream header XML is not well formed";
            return false;
        }

        var countText = XdfXml.ChildText(root, "channel_count");
        // Parsed as double first because some writers print "8.0"; anything non-integral or absurd is rejected.
        if (!XdfXml.TryParseDouble(countText, out var count) || count < 1 || count > 1_000_000 || count != Math.Floor(count))
        {
            error = $"invalid channel_count '{countText}'";
            return false;
        }

        var srateText = XdfXml.ChildText(root, "nominal_srate");
        if (!XdfXml.TryParseDouble(srateText, out var srate) || !double.IsFinite(srate) || srate < 0)
        {
            error = $"invalid nominal_srate '{srateText}'";
            return false;
        }

        var formatText = XdfXml.ChildText(root, "channel_format");
        if (!ChannelFormats.TryParse(formatText, out var format))
        {
            error = $"invalid channel_format '{formatText}'";
            return false;
        }

        var canDrop = string.Equals(
            root.Element("desc")?.Element("synchronization")?.Element("can_drop_samples")?.Value.Trim(),
            "true",
            StringComparison.OrdinalIgnoreCase);
        header = new XdfStreamHeader(
            streamId,
            XdfXml.ChildText(root, "name") ?? string.Empty,
            XdfXml.ChildText(root, "type") ?? string.Empty,
            (int)count,
            srate,
            format,
            xml)
        { CanDropSamples = canDrop };
        error = null;
        return true;
    }

    /// <summary>Returns the parsed XML root so callers can read <c>desc</c> and other LSL extras.</summary>
    /// <returns>The root element, or null when the stored XML cannot be parsed again.</returns>
    public XElement? ParseXml() => XdfXml.TryParse(Xml, out var root) ? root : null;
}
