namespace AcqService.Xdf;

/// <summary>Parsed StreamFooter XML. Every field is optional because footers are informational and often inconsistent.</summary>
/// <param name="FirstTimestamp">The <c>first_timestamp</c> element, if present and numeric.</param>
/// <param name="LastTimestamp">The <c>last_timestamp</c> element, if present and numeric.</param>
/// <param name="SampleCount">The <c>sample_count</c> element, if present and numeric.</param>
/// <param name="ClockOffsets">The <c>clock_offsets/offset</c> entries that parsed.</param>
/// <param name="Xml">The footer XML exactly as stored.</param>
public sealed record XdfStreamFooter(
    double? FirstTimestamp,
    double? LastTimestamp,
    long? SampleCount,
    IReadOnlyList<XdfClockOffset> ClockOffsets,
    string Xml)
{
    /// <summary>Parses footer XML; malformed XML gives a footer with only <see cref="Xml"/> set.</summary>
    /// <param name="xml">The XML text.</param>
    /// <returns>The parsed footer (never null).</returns>
    public static XdfStreamFooter Parse(string xml)
    {
        if (!XdfXml.TryParse(xml, out var root) || root is null)
        {
            return new XdfStreamFooter(null, null, null, [], xml);
        }

        double? first = XdfXml.TryParseDouble(XdfXml.ChildText(root, "first_timestamp"), out var f) ? f : null;
        double? last = XdfXml.TryParseDouble(XdfXml.ChildText(root, "last_timestamp"), out var l) ? l : null;
        // pyxdf converts through float because some writers print "9.0".
        long? count = XdfXml.TryParseDouble(XdfXml.ChildText(root, "sample_count"), out var c) && c >= 0 && c < long.MaxValue
            ? (long)c
            : null;
        var offsets = new List<XdfClockOffset>();
        var container = root.Element("clock_offsets");
        if (container is not null)
        {
            foreach (var offset in container.Elements("offset"))
            {
                if (XdfXml.TryParseDouble(XdfXml.ChildText(offset, "time"), out var t)
                    && XdfXml.TryParseDouble(XdfXml.ChildText(offset, "value"), out var v))
                {
                    offsets.Add(new XdfClockOffset(t, v));
                }
            }
        }

        return new XdfStreamFooter(first, last, count, offsets, xml);
    }
}
