using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace AcqService.Core.Model;

/// <summary>One optode (light source or detector) of an fNIRS probe.</summary>
/// <param name="Label">Optode name, e.g. <c>S1</c> or <c>D3</c>.</param>
/// <param name="X">Position x in metres (head frame of the montage; NaN when unknown).</param>
/// <param name="Y">Position y in metres.</param>
/// <param name="Z">Position z in metres.</param>
public sealed record NirsOptode(string Label, double X, double Y, double Z)
{
    /// <summary>True when all three coordinates are known.</summary>
    public bool HasPosition => double.IsFinite(X) && double.IsFinite(Y) && double.IsFinite(Z);
}

/// <summary>One measurement channel of a continuous-wave fNIRS stream.</summary>
/// <param name="StreamChannel">Index of the channel in the stream's samples (0-based).</param>
/// <param name="Label">Channel label, e.g. <c>S1-D1 760</c>.</param>
/// <param name="Source">Source index, 1-based into <see cref="NirsMontage.Sources"/>.</param>
/// <param name="Detector">Detector index, 1-based into <see cref="NirsMontage.Detectors"/>.</param>
/// <param name="WavelengthNm">Source wavelength in nm.</param>
/// <param name="Type">Channel type as published, e.g. <c>nirs_raw</c>.</param>
/// <param name="Unit">Unit of the values, e.g. <c>V</c>.</param>
public sealed record NirsChannel(int StreamChannel, string Label, int Source, int Detector, int WavelengthNm, string Type, string Unit)
{
    /// <summary>Declared source–detector distance in metres (the channel's <c>distance</c> in the desc), NaN when not declared.</summary>
    public double DeclaredDistanceM { get; init; } = double.NaN;

    /// <summary>Declared short-separation channel (<c>short</c> in the desc), null when not declared (then judged by distance).</summary>
    public bool? DeclaredShort { get; init; }
}

/// <summary>
/// The probe of an fNIRS stream as carried in its LSL/XDF <c>desc</c>: per measurement channel its source, detector
/// and wavelength, the optode positions (metres) and the wavelength list. <see cref="ToDescription"/> writes it (the
/// simulated device does, so recordings carry it like a real device's), <see cref="Parse"/> reads it back (the SNIRF
/// exporter does). The layout is documented in <c>device-profiles/README.md</c> ("fNIRS channel metadata").
/// </summary>
public sealed partial class NirsMontage
{
    /// <summary>Channel type of raw continuous-wave intensities (the name NIRx Aurora uses in its stream).</summary>
    public const string RawIntensityType = "nirs_raw";

    /// <summary>Creates a montage; sources, detectors and wavelengths are referenced by the channels (1-based / by value).</summary>
    /// <exception cref="ArgumentException">No channels, or a channel refers to a missing source, detector or wavelength.</exception>
    public NirsMontage(IReadOnlyList<NirsChannel> channels, IReadOnlyList<NirsOptode> sources, IReadOnlyList<NirsOptode> detectors, IReadOnlyList<int> wavelengthsNm)
    {
        ArgumentNullException.ThrowIfNull(channels);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(detectors);
        ArgumentNullException.ThrowIfNull(wavelengthsNm);
        if (channels.Count == 0)
        {
            throw new ArgumentException("an fNIRS montage needs at least one channel", nameof(channels));
        }
        foreach (NirsChannel c in channels)
        {
            if (c.Source < 1 || c.Source > sources.Count || c.Detector < 1 || c.Detector > detectors.Count || !wavelengthsNm.Contains(c.WavelengthNm))
            {
                throw new ArgumentException($"fNIRS channel '{c.Label}': source {c.Source}, detector {c.Detector} or wavelength {c.WavelengthNm} nm is not in the montage "
                    + $"({sources.Count} sources, {detectors.Count} detectors, wavelengths {string.Join("/", wavelengthsNm)} nm)", nameof(channels));
            }
        }
        Channels = channels;
        Sources = sources;
        Detectors = detectors;
        WavelengthsNm = wavelengthsNm;
    }

    /// <summary>Measurement channels, in stream order (non-fNIRS channels such as counters or gyroscopes are not listed).</summary>
    public IReadOnlyList<NirsChannel> Channels { get; }

    /// <summary>Light sources; a channel's <see cref="NirsChannel.Source"/> is 1-based into this list.</summary>
    public IReadOnlyList<NirsOptode> Sources { get; }

    /// <summary>Detectors; a channel's <see cref="NirsChannel.Detector"/> is 1-based into this list.</summary>
    public IReadOnlyList<NirsOptode> Detectors { get; }

    /// <summary>Wavelengths in nm, ascending; SNIRF's <c>wavelengthIndex</c> is 1-based into this list.</summary>
    public IReadOnlyList<int> WavelengthsNm { get; }

    /// <summary>
    /// Pathlength factor per wavelength (nm → factor multiplying the source–detector distance in the Beer–Lambert law)
    /// when the stream's description (or its device profile) declares one; empty otherwise (then the session's
    /// <c>Haemoglobin:PathlengthFactor1/2</c> apply).
    /// </summary>
    public IReadOnlyDictionary<int, double> PathlengthFactors { get; init; } = new Dictionary<int, double>();

    /// <summary>
    /// What the fNIRS channels carry as declared by the stream's device profile (<c>desc/nirs_profile/carries</c>):
    /// <c>intensity</c> (default), <c>opticalDensity</c> or <c>haemoglobin</c>. Only intensities are converted live.
    /// </summary>
    public string Carries { get; init; } = "intensity";

    /// <summary>True when every optode has a 3D position.</summary>
    public bool HasPositions => Sources.All(o => o.HasPosition) && Detectors.All(o => o.HasPosition);

    /// <summary>Source–detector distance of channel <paramref name="channel"/> (index into <see cref="Channels"/>) in metres; NaN without positions.</summary>
    public double DistanceM(int channel)
    {
        NirsOptode s = Sources[Channels[channel].Source - 1], d = Detectors[Channels[channel].Detector - 1];
        double dx = s.X - d.X, dy = s.Y - d.Y, dz = s.Z - d.Z;
        return Math.Sqrt((dx * dx) + (dy * dy) + (dz * dz));
    }

    /// <summary>
    /// The layout the simulated device publishes: channels labelled <c>S&lt;n&gt;-D&lt;m&gt; &lt;nm&gt;</c>, sources in a
    /// row across the forehead 3 cm apart (x = left→right, y = front, z = up, metres, origin at the head centre) and
    /// each detector <paramref name="distanceM"/> below its source of the same number.
    /// </summary>
    /// <param name="channels">The stream's channels.</param>
    /// <param name="distanceM">Source–detector distance in metres.</param>
    /// <exception cref="ArgumentException">A label is not <c>S&lt;n&gt;-D&lt;m&gt; &lt;nm&gt;</c>.</exception>
    public static NirsMontage Simulated(IReadOnlyList<ChannelDescriptor> channels, double distanceM)
    {
        ArgumentNullException.ThrowIfNull(channels);
        NirsMontage fromLabels = FromLabels(channels.Select(c => c.Label).ToArray(), channels.Select(c => c.Unit).ToArray())
            ?? throw new ArgumentException("simulated fNIRS channels must be labelled like 'S1-D1 760'", nameof(channels));
        int count = Math.Max(fromLabels.Sources.Count, fromLabels.Detectors.Count);
        // A frontal row: 3 cm pitch centred on the midline, 9 cm in front of and 5 cm above the head centre.
        double X(int i) => (i - ((count + 1) / 2.0)) * 0.03;
        NirsOptode[] sources = [.. fromLabels.Sources.Select((o, i) => o with { X = X(i + 1), Y = 0.09, Z = 0.05 })];
        NirsOptode[] detectors = [.. fromLabels.Detectors.Select((o, i) => o with { X = X(i + 1), Y = 0.09, Z = 0.05 - distanceM })];
        return new NirsMontage(fromLabels.Channels, sources, detectors, fromLabels.WavelengthsNm);
    }

    /// <summary>
    /// Channels from labels alone (<c>S1-D1 760</c>, <c>S1_D1 760</c>, <c>S1-D1:760nm</c>, and OxySoft's
    /// <c>[1] Rx1 - Tx1 [760nm]</c>, transmitter = source, receiver = detector); optode positions unknown (NaN).
    /// Labels that do not parse are skipped (not fNIRS measurements). Null when no label parses.
    /// </summary>
    /// <param name="labels">Channel labels in stream order.</param>
    /// <param name="units">Channel units in stream order (same length), or null.</param>
    public static NirsMontage? FromLabels(IReadOnlyList<string> labels, IReadOnlyList<string>? units = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var parsed = new List<(int Channel, string Label, int Source, int Detector, int Nm)>();
        for (int c = 0; c < labels.Count; c++)
        {
            Match m = LabelPattern().Match(labels[c].Trim());
            if (m.Success)
            {
                parsed.Add((c, labels[c], Int(m.Groups[1].Value), Int(m.Groups[2].Value), Int(m.Groups[3].Value)));
                continue;
            }
            // Artinis OxySoft names a channel by receiver and transmitter: "[1] Rx1 - Tx1 [760nm]".
            m = ReceiverTransmitterPattern().Match(labels[c].Trim());
            if (m.Success)
            {
                parsed.Add((c, labels[c], Int(m.Groups[2].Value), Int(m.Groups[1].Value), Int(m.Groups[3].Value)));
            }
        }
        if (parsed.Count == 0)
        {
            return null;
        }
        int sources = parsed.Max(p => p.Source), detectors = parsed.Max(p => p.Detector);
        return new NirsMontage(
            [.. parsed.Select(p => new NirsChannel(p.Channel, p.Label, p.Source, p.Detector, p.Nm, RawIntensityType, units?[p.Channel] ?? ""))],
            [.. Enumerable.Range(1, sources).Select(i => new NirsOptode($"S{i}", double.NaN, double.NaN, double.NaN))],
            [.. Enumerable.Range(1, detectors).Select(i => new NirsOptode($"D{i}", double.NaN, double.NaN, double.NaN))],
            [.. parsed.Select(p => p.Nm).Distinct().Order()]);
    }

    /// <summary>
    /// Reads the montage from a stream's <c>desc</c> XML (the layout <see cref="ToDescription"/> writes; channels
    /// without source, detector and wavelength are skipped). Without such channels, falls back to
    /// <see cref="FromLabels"/> on <paramref name="labels"/> (positions unknown). Null when neither finds a channel.
    /// </summary>
    /// <param name="descXml">The stream's <c>desc</c> element (or null).</param>
    /// <param name="labels">The stream's channel labels, for the fallback.</param>
    /// <exception cref="FormatException">The desc has fNIRS channels but they are inconsistent (an index or wavelength that is not in the montage).</exception>
    public static NirsMontage? Parse(string? descXml, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        XElement? desc = null;
        if (!string.IsNullOrWhiteSpace(descXml))
        {
            try
            {
                desc = XElement.Parse(descXml);
            }
            catch (XmlException)
            {
                desc = null;
            }
        }
        NirsMontage? fromDesc = desc is null ? null : FromDescription(desc);
        return fromDesc ?? FromLabels(labels);
    }

    private static NirsMontage? FromDescription(XElement desc)
    {
        var channels = new List<NirsChannel>();
        int index = 0;
        XElement? montage = desc.Element("montage");
        XElement? optodes = montage?.Element("optodes");
        // Our layout names the unit in optodes/unit; NIRx's NIRStar/Aurora in montage/coordinate_units (mm).
        string unit = Text(optodes, "unit") is { Length: > 0 } u ? u : Text(montage, "coordinate_units");
        double scale = Scale(unit);
        foreach (XElement ch in desc.Element("channels")?.Elements("channel") ?? [])
        {
            int c = index++;
            string type = Text(ch, "type");
            // Haemoglobin (nirs_hbo/nirs_hbr, HbO/HbR), frame counters, accelerometers: not intensity measurements.
            if (!IsIntensityType(type))
            {
                continue;
            }
            string label = Text(ch, "label");
            int s, d;
            if (!(TryInt(ch.Element("source"), out s) && TryInt(ch.Element("detector"), out d)) && !TryPairFromLabel(label, out s, out d))
            {
                continue;
            }
            if (!TryInt(ch.Element("wavelength"), out int nm) && !TryWavelengthFromLabel(label, out nm))
            {
                continue;
            }
            channels.Add(new NirsChannel(c, label, s, d, nm, type, Text(ch, "unit"))
            {
                DeclaredDistanceM = Distance(Text(ch, "distance"), scale),
                DeclaredShort = Text(ch, "short") switch { "true" or "1" => true, "false" or "0" => false, _ => null },
            });
        }
        if (channels.Count == 0)
        {
            return null;
        }
        NirsOptode[] sources = Optodes(optodes?.Element("sources")?.Elements("source"), 'S', channels.Max(c => c.Source), scale);
        NirsOptode[] detectors = Optodes(optodes?.Element("detectors")?.Elements("detector"), 'D', channels.Max(c => c.Detector), scale);
        int[] listed = [.. (montage?.Element("wavelengths")?.Elements("wavelength") ?? []).Select(w => TryInt(w, out int v) ? v : 0).Where(v => v > 0)];
        int[] wavelengths = [.. listed.Concat(channels.Select(c => c.WavelengthNm)).Distinct().Order()];
        // A distance that only restates the optode positions (our own desc writes both) is not a separate declaration.
        for (int i = 0; i < channels.Count; i++)
        {
            NirsChannel c = channels[i];
            if (double.IsFinite(c.DeclaredDistanceM) && c.Source <= sources.Length && c.Detector <= detectors.Length
                && sources[c.Source - 1] is { HasPosition: true } so && detectors[c.Detector - 1] is { HasPosition: true } de
                && Math.Abs(Math.Sqrt(((so.X - de.X) * (so.X - de.X)) + ((so.Y - de.Y) * (so.Y - de.Y)) + ((so.Z - de.Z) * (so.Z - de.Z))) - c.DeclaredDistanceM) < 1e-6)
            {
                channels[i] = c with { DeclaredDistanceM = double.NaN };
            }
        }
        var factors = new Dictionary<int, double>();
        foreach (XElement f in montage?.Element("pathlength_factors")?.Elements("factor") ?? [])
        {
            if (TryInt(f.Element("wavelength"), out int nm)
                && double.TryParse(Text(f, "value"), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 && double.IsFinite(v))
            {
                factors[nm] = v;
            }
        }
        try
        {
            return new NirsMontage(channels, sources, detectors, wavelengths)
            {
                PathlengthFactors = factors,
                Carries = Text(desc.Element("nirs_profile"), "carries") is { Length: > 0 } carries ? carries : "intensity",
            };
        }
        catch (ArgumentException ex)
        {
            throw new FormatException("fNIRS montage in the stream description: " + ex.Message, ex);
        }
    }

    private static NirsOptode[] Optodes(IEnumerable<XElement>? elements, char prefix, int atLeast, double scale)
    {
        var list = new List<NirsOptode>();
        foreach (XElement e in elements ?? [])
        {
            XElement? location = e.Element("location");
            string label = Text(e, "label");
            // NIRStar/Aurora number their optodes ("1", "2"…): named S1/D1 like the channel labels.
            list.Add(new NirsOptode(label.Length == 0 ? $"{prefix}{list.Count + 1}" : label.All(char.IsAsciiDigit) ? $"{prefix}{label}" : label,
                Coordinate(location, "X") * scale, Coordinate(location, "Y") * scale, Coordinate(location, "Z") * scale));
        }
        // Channels may name optodes the montage does not position; they exist, without a position.
        while (list.Count < atLeast)
        {
            list.Add(new NirsOptode($"{prefix}{list.Count + 1}", double.NaN, double.NaN, double.NaN));
        }
        return [.. list];
    }

    /// <summary>
    /// The <c>desc</c> element for a stream with these channels: <c>channels/channel</c> (label, type, unit, source,
    /// detector, wavelength, distance) for every channel of the stream (non-fNIRS ones with label, type and unit only),
    /// and <c>montage</c> with the wavelength list and the optode positions in metres.
    /// </summary>
    /// <param name="streamChannels">All channels of the stream, in order.</param>
    /// <param name="manufacturer">Optional <c>manufacturer</c> text.</param>
    public XElement ToDescription(IReadOnlyList<ChannelDescriptor> streamChannels, string? manufacturer = null)
    {
        ArgumentNullException.ThrowIfNull(streamChannels);
        var channels = new XElement("channels");
        for (int c = 0; c < streamChannels.Count; c++)
        {
            int m = IndexOfStreamChannel(c);
            if (m < 0)
            {
                channels.Add(new XElement("channel", new XElement("label", streamChannels[c].Label), new XElement("type", streamChannels[c].Type), new XElement("unit", streamChannels[c].Unit)));
                continue;
            }
            NirsChannel n = Channels[m];
            double distance = double.IsFinite(DistanceM(m)) ? DistanceM(m) : n.DeclaredDistanceM;
            channels.Add(new XElement("channel",
                new XElement("label", n.Label),
                new XElement("type", n.Type),
                new XElement("unit", n.Unit),
                new XElement("source", n.Source.ToString(CultureInfo.InvariantCulture)),
                new XElement("detector", n.Detector.ToString(CultureInfo.InvariantCulture)),
                new XElement("wavelength", n.WavelengthNm.ToString(CultureInfo.InvariantCulture)),
                double.IsFinite(distance) ? new XElement("distance", Number(distance)) : null,
                n.DeclaredShort is bool isShort ? new XElement("short", isShort ? "true" : "false") : null));
        }
        var montage = new XElement("montage",
            new XElement("wavelengths", WavelengthsNm.Select(w => new XElement("wavelength", w.ToString(CultureInfo.InvariantCulture)))),
            PathlengthFactors.Count == 0 ? null : new XElement("pathlength_factors", PathlengthFactors.OrderBy(f => f.Key).Select(f =>
                new XElement("factor", new XElement("wavelength", f.Key.ToString(CultureInfo.InvariantCulture)), new XElement("value", Number(f.Value))))),
            new XElement("optodes",
                new XElement("unit", "m"),
                new XElement("sources", Sources.Select(o => Optode("source", o))),
                new XElement("detectors", Detectors.Select(o => Optode("detector", o)))));
        return new XElement("desc", manufacturer is null ? null : new XElement("manufacturer", manufacturer), channels, montage);
    }

    /// <summary>Index into <see cref="Channels"/> of stream channel <paramref name="streamChannel"/>, or -1.</summary>
    public int IndexOfStreamChannel(int streamChannel)
    {
        for (int i = 0; i < Channels.Count; i++)
        {
            if (Channels[i].StreamChannel == streamChannel)
            {
                return i;
            }
        }
        return -1;
    }

    private static XElement Optode(string name, NirsOptode o) => new(name,
        new XElement("label", o.Label),
        o.HasPosition ? new XElement("location", new XElement("X", Number(o.X)), new XElement("Y", Number(o.Y)), new XElement("Z", Number(o.Z))) : null);

    private static string Number(double v) => Math.Round(v, 9).ToString("R", CultureInfo.InvariantCulture);

    private static string Text(XElement? parent, string name) => parent?.Element(name)?.Value.Trim() ?? "";

    private static double Coordinate(XElement? location, string axis) =>
        double.TryParse(Text(location, axis) is { Length: > 0 } upper ? upper : Text(location, axis.ToLowerInvariant()), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;

    /// <summary>
    /// A channel's declared distance in metres. Written by us in metres; NIRStar/Aurora write millimetres ("30.000").
    /// With a declared coordinate unit that unit applies; otherwise a value above 0.5 is read as mm, because no
    /// source–detector distance is half a metre while every real one is above 0.5 mm.
    /// </summary>
    private static double Distance(string text, double scale)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v > 0) || !double.IsFinite(v))
        {
            return double.NaN;
        }
        return v > 0.5 ? v * (scale == 1 ? 0.001 : scale) : v;
    }

    /// <summary>
    /// ΔHbO/ΔHbR channels a device computed itself (NIRx Aurora "Hb states": types <c>nirs_hbo</c>/<c>nirs_hbr</c>;
    /// OxySoft: labels naming <c>Rx1 - Tx1</c> and <c>O2Hb</c>/<c>HHb</c>; MNE-style <c>S1_D1 hbo</c>): per source–detector
    /// pair, in order of first appearance, the stream channel of each chromophore and the factor to µM from its unit.
    /// Pairs without both chromophores are left out; empty when there are none.
    /// </summary>
    /// <param name="descXml">The stream's <c>desc</c> element (or null).</param>
    /// <param name="channels">The stream's channels (labels, units, types).</param>
    public static IReadOnlyList<(string Pair, int HbO, int HbR, double ToMicromolar)> HaemoglobinPairs(string? descXml, IReadOnlyList<ChannelDescriptor> channels)
    {
        ArgumentNullException.ThrowIfNull(channels);
        XElement[] described = [];
        try
        {
            described = string.IsNullOrWhiteSpace(descXml) ? [] : [.. XElement.Parse(descXml).Element("channels")?.Elements("channel") ?? []];
        }
        catch (XmlException)
        {
            described = [];
        }
        var order = new List<string>();
        var found = new Dictionary<string, (int HbO, int HbR, double Scale)>(StringComparer.Ordinal);
        for (int c = 0; c < channels.Count; c++)
        {
            string label = c < described.Length && Text(described[c], "label") is { Length: > 0 } l ? l : channels[c].Label;
            string type = (c < described.Length ? Text(described[c], "type") : "") is { Length: > 0 } t ? t : channels[c].Type;
            string unit = (c < described.Length ? Text(described[c], "unit") : "") is { Length: > 0 } u ? u : channels[c].Unit;
            int chromophore = Chromophore(type, label);
            if (chromophore < 0 || !TryPairFromLabel(label, out int s, out int d))
            {
                continue;
            }
            string pair = $"S{s}-D{d}";
            if (!found.TryGetValue(pair, out (int HbO, int HbR, double Scale) entry))
            {
                entry = (-1, -1, ToMicromolar(unit));
                order.Add(pair);
            }
            found[pair] = chromophore == 0 ? entry with { HbO = c } : entry with { HbR = c };
        }
        return [.. order.Where(p => found[p].HbO >= 0 && found[p].HbR >= 0).Select(p => (p, found[p].HbO, found[p].HbR, found[p].Scale))];
    }

    /// <summary>0 for HbO, 1 for HbR, −1 for neither, from the channel type or the label.</summary>
    private static int Chromophore(string type, string label)
    {
        string t = type.ToLowerInvariant();
        if (t is "nirs_hbo" or "hbo")
        {
            return 0;
        }
        if (t is "nirs_hbr" or "hbr")
        {
            return 1;
        }
        string l = label.ToLowerInvariant();
        return l.EndsWith(" hbo", StringComparison.Ordinal) || l.Contains("o2hb", StringComparison.Ordinal) ? 0
            : l.EndsWith(" hbr", StringComparison.Ordinal) || l.Contains("hhb", StringComparison.Ordinal) ? 1
            : -1;
    }

    /// <summary>Factor from a concentration unit to µM (µM when the unit is empty or unknown).</summary>
    private static double ToMicromolar(string unit) => unit.Trim().ToLowerInvariant() switch
    {
        "mm" or "mmol/l" or "millimolar" => 1000,
        "m" or "mol/l" or "molar" => 1e6,
        "nm" or "nmol/l" or "nanomolar" => 1e-3,
        _ => 1,
    };

    /// <summary>Channel types that carry light intensity (or are unspecified, so the label decides).</summary>
    private static bool IsIntensityType(string type) => type.Length == 0
        || type.Equals(RawIntensityType, StringComparison.OrdinalIgnoreCase)
        || type.Equals("fnirs_cw_amplitude", StringComparison.OrdinalIgnoreCase)
        || type.Equals("NIRS", StringComparison.OrdinalIgnoreCase)
        || type.Equals("fNIRS", StringComparison.OrdinalIgnoreCase);

    /// <summary>Source and detector from <c>S1-D1 …</c>, NIRStar/Aurora's <c>1-1:3</c> (source-detector:channel), or OxySoft's <c>Rx1 - Tx1</c>.</summary>
    private static bool TryPairFromLabel(string label, out int source, out int detector)
    {
        source = detector = 0;
        Match m = PairPattern().Match(label);
        if (m.Success)
        {
            (source, detector) = (Int(m.Groups[1].Value), Int(m.Groups[2].Value));
            return true;
        }
        m = ReceiverTransmitterPairPattern().Match(label);
        if (m.Success)
        {
            (source, detector) = (Int(m.Groups[2].Value), Int(m.Groups[1].Value));
            return true;
        }
        return false;
    }

    private static bool TryWavelengthFromLabel(string label, out int nm)
    {
        nm = 0;
        Match m = WavelengthPattern().Match(label);
        if (m.Success)
        {
            nm = Int(m.Groups[1].Value);
        }
        return nm > 0;
    }

    private static bool TryInt(XElement? e, out int value)
    {
        value = 0;
        if (e is null)
        {
            return false;
        }
        string text = e.Value.Trim();
        if (text.EndsWith("nm", StringComparison.OrdinalIgnoreCase))
        {
            text = text[..^2].Trim();
        }
        // Wavelengths are sometimes published as "760.0".
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d == Math.Round(d) && d is >= 1 and <= int.MaxValue)
        {
            value = (int)d;
            return true;
        }
        return false;
    }

    private static int Int(string digits) => int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>Factor from the given length unit to metres (XDF's EEG meta-data convention is millimetres, so that is the default).</summary>
    private static double Scale(string unit) => unit switch
    {
        "m" => 1,
        "cm" => 0.01,
        _ => 0.001,
    };

    [GeneratedRegex(@"^S(\d+)\s*[-_]\s*D(\d+)\s*[ :]\s*(\d+)\s*(?:nm)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LabelPattern();

    [GeneratedRegex(@"^(?:\[\d+\]\s*)?Rx\s*(\d+)\s*-\s*Tx\s*(\d+)\s*\[\s*(\d+)\s*nm\s*\]$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ReceiverTransmitterPattern();

    [GeneratedRegex(@"^S?(\d+)\s*[-_]\s*D?(\d+)(?:\s*:\s*\d+)?(?:\s|$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PairPattern();

    [GeneratedRegex(@"Rx\s*(\d+)\s*-\s*Tx\s*(\d+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ReceiverTransmitterPairPattern();

    [GeneratedRegex(@"(\d{3,4})\s*(?:nm)?\s*\]?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WavelengthPattern();
}
