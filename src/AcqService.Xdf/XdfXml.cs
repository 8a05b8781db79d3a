using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace AcqService.Xdf;

/// <summary>Small helpers for the XML parts of XDF; every number goes through the invariant culture.</summary>
internal static class XdfXml
{
    /// <summary>Parses XML without DTD processing (the reader must not resolve anything a corrupt file names).</summary>
    public static bool TryParse(string xml, out XElement? root)
    {
        try
        {
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
            using var text = new StringReader(xml);
            using var reader = XmlReader.Create(text, settings);
            root = XDocument.Load(reader).Root;
            return root is not null;
        }
        catch (XmlException)
        {
            root = null;
            return false;
        }
    }

    /// <summary>Parses a floating-point value the way LabRecorder prints it (also accepts <c>-.01</c>).</summary>
    public static bool TryParseDouble(string? text, out double value) =>
        double.TryParse(text?.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    /// <summary>Formats a double so that parsing it gives back the same bits.</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Formats an integer in the invariant culture.</summary>
    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Returns the trimmed text of the first child element named <paramref name="name"/>, or null.</summary>
    public static string? ChildText(XElement parent, string name) => parent.Element(name)?.Value.Trim();
}
