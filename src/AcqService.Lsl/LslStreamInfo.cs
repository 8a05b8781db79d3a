using AcqService.Core.Model;
using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace AcqService.Lsl;

/// <summary>
/// Description of an LSL stream: the 18 core elements of liblsl's stream-info XML plus the free-form
/// <c>desc</c> subtree. Both backends produce and consume this type; the XML it writes is what liblsl
/// peers expect (invariant culture, every numeric element present, protocol version 1.10).
/// </summary>
public sealed class LslStreamInfo
{
    /// <summary>Stream name (must be non-empty).</summary>
    public string Name { get; set; } = "";
    /// <summary>Content type, e.g. <c>EEG</c>, <c>NIRS</c>, <c>Markers</c>.</summary>
    public string Type { get; set; } = "";
    /// <summary>Number of channels per sample.</summary>
    public int ChannelCount { get; set; }
    /// <summary>Nominal sampling rate in Hz; 0 for irregular streams such as markers.</summary>
    public double NominalSrate { get; set; }
    /// <summary>Value format of every channel.</summary>
    public ChannelFormat ChannelFormat { get; set; } = ChannelFormat.Float32;
    /// <summary>Unique device/source identifier; enables recovery after the outlet restarts.</summary>
    public string SourceId { get; set; } = "";
    /// <summary>Protocol version times 100 (110 for LSL 1.10).</summary>
    public int ProtocolVersion { get; set; } = 110;
    /// <summary>Outlet's local clock (seconds) when it was created.</summary>
    public double CreatedAt { get; set; }
    /// <summary>Per-outlet-instance unique id (UUIDv4, lower case).</summary>
    public string Uid { get; set; } = "";
    /// <summary>Lab session id (<c>lab.SessionID</c>, default <c>default</c>).</summary>
    public string SessionId { get; set; } = "default";
    /// <summary>Host name of the outlet machine.</summary>
    public string Hostname { get; set; } = "";
    /// <summary>IPv4 address of the outlet as seen by the resolver (empty when sent by an outlet).</summary>
    public string V4Address { get; set; } = "";
    /// <summary>TCP data port (IPv4).</summary>
    public int V4DataPort { get; set; }
    /// <summary>UDP service port (IPv4) for time sync and unicast discovery.</summary>
    public int V4ServicePort { get; set; }
    /// <summary>IPv6 address as seen by the resolver.</summary>
    public string V6Address { get; set; } = "";
    /// <summary>TCP data port (IPv6), 0 when IPv6 is off.</summary>
    public int V6DataPort { get; set; }
    /// <summary>UDP service port (IPv6), 0 when IPv6 is off.</summary>
    public int V6ServicePort { get; set; }
    /// <summary>The <c>desc</c> element (channel labels, units, manufacturer…); never null, may be empty.</summary>
    public XElement Desc { get; set; } = new("desc");

    /// <summary>Channel labels from <c>desc/channels/channel/label</c>, in order; empty when not described.</summary>
    public IReadOnlyList<string> ChannelLabels =>
        Desc.Element("channels")?.Elements("channel").Select(c => (string?)c.Element("label") ?? "").ToList() ?? [];

    /// <summary>Adds <c>desc/channels/channel</c> entries with label, unit and type.</summary>
    public LslStreamInfo WithChannels(IEnumerable<(string Label, string Unit, string Type)> channels)
    {
        XElement list = Desc.Element("channels") ?? new XElement("channels");
        if (list.Parent is null)
        {
            Desc.Add(list);
        }
        foreach ((string label, string unit, string type) in channels)
        {
            list.Add(new XElement("channel", new XElement("label", label), new XElement("unit", unit), new XElement("type", type)));
        }
        return this;
    }

    /// <summary>A deep copy (the <c>desc</c> tree is copied too).</summary>
    public LslStreamInfo Clone()
    {
        LslStreamInfo copy = (LslStreamInfo)MemberwiseClone();
        copy.Desc = new XElement(Desc);
        return copy;
    }

    /// <summary>Serialises as liblsl does: <c>&lt;?xml version="1.0"?&gt;</c>, tab-indented, all 18 elements in liblsl's order.</summary>
    /// <param name="includeDesc">True for fullinfo (with <c>desc</c> children), false for shortinfo (empty <c>desc</c>).</param>
    public string ToXml(bool includeDesc = true)
    {
        var sb = new StringBuilder(512);
        sb.Append("<?xml version=\"1.0\"?>\n<info>\n");
        Elem(sb, "name", Name);
        Elem(sb, "type", Type);
        Elem(sb, "channel_count", ChannelCount.ToString(CultureInfo.InvariantCulture));
        Elem(sb, "channel_format", ChannelFormat.ToName());
        Elem(sb, "source_id", SourceId);
        Elem(sb, "nominal_srate", FormatDouble(NominalSrate));
        Elem(sb, "version", FormatDouble(ProtocolVersion / 100.0));
        Elem(sb, "created_at", FormatDouble(CreatedAt));
        Elem(sb, "uid", Uid);
        Elem(sb, "session_id", SessionId);
        Elem(sb, "hostname", Hostname);
        Elem(sb, "v4address", V4Address);
        Elem(sb, "v4data_port", V4DataPort.ToString(CultureInfo.InvariantCulture));
        Elem(sb, "v4service_port", V4ServicePort.ToString(CultureInfo.InvariantCulture));
        Elem(sb, "v6address", V6Address);
        Elem(sb, "v6data_port", V6DataPort.ToString(CultureInfo.InvariantCulture));
        Elem(sb, "v6service_port", V6ServicePort.ToString(CultureInfo.InvariantCulture));
        if (includeDesc && Desc.HasElements)
        {
            var settings = new XmlWriterSettings { OmitXmlDeclaration = true, Indent = true, IndentChars = "\t", NewLineChars = "\n", CheckCharacters = false };
            var inner = new StringBuilder();
            using (var writer = XmlWriter.Create(inner, settings))
            {
                new XElement("desc", Desc.Nodes()).WriteTo(writer);
            }
            sb.Append('\t').Append(inner.ToString().Replace("\n", "\n\t", StringComparison.Ordinal)).Append('\n');
        }
        else
        {
            sb.Append("\t<desc />\n");
        }
        sb.Append("</info>\n");
        return sb.ToString();
    }

    /// <summary>Parses stream-info XML (liblsl's or ours). Numeric fields use the invariant culture.</summary>
    /// <exception cref="FormatException">The XML is malformed, <c>name</c> is empty, or a numeric element does not parse; the message names the element.</exception>
    public static LslStreamInfo FromXml(string xml)
    {
        XElement root;
        try
        {
            var settings = new XmlReaderSettings { CheckCharacters = false, DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = 16 * 1024 * 1024 };
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            root = XElement.Load(reader);
        }
        catch (XmlException ex)
        {
            throw new FormatException($"stream info is not well-formed XML: {ex.Message}", ex);
        }
        if (root.Name.LocalName != "info")
        {
            throw new FormatException($"stream info root element is <{root.Name.LocalName}>, expected <info>");
        }
        var info = new LslStreamInfo
        {
            Name = Text(root, "name"),
            Type = Text(root, "type"),
            ChannelCount = Int(root, "channel_count", required: true),
            NominalSrate = Double(root, "nominal_srate", required: true),
            SourceId = Text(root, "source_id"),
            CreatedAt = Double(root, "created_at", required: false),
            Uid = Text(root, "uid"),
            SessionId = Text(root, "session_id"),
            Hostname = Text(root, "hostname"),
            V4Address = Text(root, "v4address"),
            V4DataPort = Int(root, "v4data_port", required: false),
            V4ServicePort = Int(root, "v4service_port", required: false),
            V6Address = Text(root, "v6address"),
            V6DataPort = Int(root, "v6data_port", required: false),
            V6ServicePort = Int(root, "v6service_port", required: false),
        };
        if (info.Name.Length == 0)
        {
            throw new FormatException("stream info element <name> is missing or empty");
        }
        if (info.ChannelCount < 0)
        {
            throw new FormatException($"stream info element <channel_count> is negative ({info.ChannelCount})");
        }
        string format = Text(root, "channel_format");
        if (!ChannelFormats.TryParse(format, out ChannelFormat parsed))
        {
            throw new FormatException($"stream info element <channel_format> has unknown value '{format}'");
        }
        info.ChannelFormat = parsed;
        double version = Double(root, "version", required: false);
        info.ProtocolVersion = version > 0 ? (int)Math.Round(version * 100) : 100;
        XElement? desc = root.Element("desc");
        info.Desc = desc is null ? new XElement("desc") : new XElement(desc);
        return info;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name} ({Type}, {ChannelCount} ch {ChannelFormat.ToName()} @ {NominalSrate.ToString(CultureInfo.InvariantCulture)} Hz, host {Hostname}, source_id '{SourceId}')";

    private static void Elem(StringBuilder sb, string name, string value)
    {
        if (value.Length == 0)
        {
            sb.Append('\t').Append('<').Append(name).Append(" />\n");
            return;
        }
        sb.Append('\t').Append('<').Append(name).Append('>');
        foreach (char c in value)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                default: sb.Append(c); break;
            }
        }
        sb.Append("</").Append(name).Append(">\n");
    }

    /// <summary>liblsl prints doubles with 16 significant digits and a decimal point (e.g. <c>100.0000000000000</c>).</summary>
    internal static string FormatDouble(double value)
    {
        if (value == 0)
        {
            return "0.000000000000000";
        }
        int intDigits = Math.Max(1, (int)Math.Floor(Math.Log10(Math.Abs(value))) + 1);
        int decimals = Math.Clamp(16 - intDigits, 1, 15);
        return value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    private static string Text(XElement root, string name) => ((string?)root.Element(name) ?? "").Trim();

    private static int Int(XElement root, string name, bool required)
    {
        string text = Text(root, name);
        if (text.Length == 0 && !required)
        {
            return 0;
        }
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
        {
            throw new FormatException($"stream info element <{name}> is not an integer: '{text}'");
        }
        return value;
    }

    private static double Double(XElement root, string name, bool required)
    {
        string text = Text(root, name);
        if (text.Length == 0 && !required)
        {
            return 0;
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            throw new FormatException($"stream info element <{name}> is not a number: '{text}'");
        }
        return value;
    }
}
