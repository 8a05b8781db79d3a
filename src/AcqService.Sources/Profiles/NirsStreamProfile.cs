using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using AcqService.Core.Model;

namespace AcqService.Sources.Profiles;

/// <summary>
/// The fNIRS part of a stream profile (<c>streams[].nirs</c>): what the channels carry, the wavelengths, the
/// source–detector pairs with their distances and short-channel flags, the pathlength factor (fixed or from the
/// subject's age), and — for a device whose stream <c>desc</c> does not name source, detector and wavelength per
/// channel — the order in which it publishes them. See <c>device-profiles/README.md</c>, "fNIRS stream model".
/// </summary>
public sealed class NirsStreamProfile
{
    /// <summary>What the fNIRS channels carry: <c>intensity</c> (raw CW light intensity; converted live), <c>opticalDensity</c> or <c>haemoglobin</c> (recorded, not converted).</summary>
    public string Carries { get; set; } = "intensity";

    /// <summary>Wavelengths in nm, ascending (e.g. 760, 850).</summary>
    public List<int>? WavelengthsNm { get; set; }

    /// <summary>
    /// <c>desc</c> (default): each channel's source, detector and wavelength come from the stream's description (the
    /// device says); <c>pairMajor</c>: the pairs in the order of <see cref="Pairs"/>, each pair's wavelengths adjacent;
    /// <c>wavelengthMajor</c>: all pairs at the first wavelength, then all at the second (NIRx's wl1/wl2 blocks).
    /// </summary>
    public string ChannelOrder { get; set; } = "desc";

    /// <summary>Non-fNIRS channels before the first measurement (NIRx's frame counter: 1); with an explicit order.</summary>
    public int LeadingChannels { get; set; }

    /// <summary>Source–detector pairs; with <c>desc</c> order they add distances and short flags to what the device says.</summary>
    public List<NirsPairProfile>? Pairs { get; set; }

    /// <summary>Pathlength factor; absent = the session's <c>Haemoglobin:PathlengthFactor1/2</c>.</summary>
    public NirsPathlengthProfile? Pathlength { get; set; }
}

/// <summary>One source–detector pair of an fNIRS profile.</summary>
public sealed class NirsPairProfile
{
    /// <summary>Source number (1-based, as in <c>S1</c>).</summary>
    public int Source { get; set; }

    /// <summary>Detector number (1-based, as in <c>D1</c>).</summary>
    public int Detector { get; set; }

    /// <summary>Source–detector distance in mm (absent: from optode positions, else 30 mm).</summary>
    public double? DistanceMm { get; set; }

    /// <summary>A short-separation channel (regressed out of long ones when <c>Haemoglobin:ShortChannelRegression</c>); absent: judged by distance (&lt; 10 mm).</summary>
    public bool? Short { get; set; }
}

/// <summary>
/// The factor multiplying the source–detector distance in the modified Beer–Lambert law: <c>kind</c> <c>dpf</c>
/// (differential pathlength factor) or <c>ppf</c> (partial pathlength factor = DPF × partial-volume correction, MNE's
/// <c>ppf</c> argument); <c>values</c> one per wavelength, or <c>ageYears</c> for the age-dependent DPF of Scholkmann
/// &amp; Wolf (2013).
/// </summary>
public sealed class NirsPathlengthProfile
{
    /// <summary><c>dpf</c> or <c>ppf</c>.</summary>
    public string Kind { get; set; } = "dpf";

    /// <summary>Fixed factors, one per wavelength in <see cref="NirsStreamProfile.WavelengthsNm"/> order.</summary>
    public List<double>? Values { get; set; }

    /// <summary>Subject age in years: DPF per wavelength from the Scholkmann &amp; Wolf equation (kind <c>dpf</c> only).</summary>
    public double? AgeYears { get; set; }
}

/// <summary>Validation of <see cref="NirsStreamProfile"/> and what it adds to a stream's description.</summary>
public static class NirsProfiles
{
    /// <summary>Problems of a stream's <c>nirs</c> object, each with its JSON path.</summary>
    public static IEnumerable<string> Validate(StreamProfile stream, string at)
    {
        NirsStreamProfile? n = stream.Nirs;
        if (n is null)
        {
            yield break;
        }
        at += ".nirs";
        if (stream.Kind != "signal")
        {
            yield return $"{at}: only a signal stream carries fNIRS";
        }
        if (n.Carries is not ("intensity" or "opticalDensity" or "haemoglobin"))
        {
            yield return $"{at}.carries: '{n.Carries}' must be intensity, opticalDensity or haemoglobin";
        }
        if (n.ChannelOrder is not ("desc" or "pairMajor" or "wavelengthMajor"))
        {
            yield return $"{at}.channelOrder: '{n.ChannelOrder}' must be desc, pairMajor or wavelengthMajor";
        }
        if (n.WavelengthsNm is { } w && (w.Count < 2 || w.Any(x => x is < 600 or > 1000) || w.Distinct().Count() != w.Count))
        {
            yield return $"{at}.wavelengthsNm: needs at least two different wavelengths in 600–1000 nm (got {string.Join(", ", w)})";
        }
        if (n.LeadingChannels < 0)
        {
            yield return $"{at}.leadingChannels: must not be negative";
        }
        if (n.ChannelOrder != "desc")
        {
            if (n.WavelengthsNm is null || n.Pairs is not { Count: > 0 })
            {
                yield return $"{at}: channelOrder '{n.ChannelOrder}' needs wavelengthsNm and pairs";
            }
            else if ((stream.ChannelCount ?? stream.Channels?.Count) is int count && count < n.LeadingChannels + (n.Pairs.Count * n.WavelengthsNm.Count))
            {
                yield return $"{at}: {n.Pairs.Count} pairs × {n.WavelengthsNm.Count} wavelengths after {n.LeadingChannels} leading channel(s) need {n.LeadingChannels + (n.Pairs.Count * n.WavelengthsNm.Count)} channels, the stream has {count}";
            }
        }
        for (int i = 0; i < (n.Pairs?.Count ?? 0); i++)
        {
            NirsPairProfile p = n.Pairs![i];
            if (p.Source < 1 || p.Detector < 1)
            {
                yield return $"{at}.pairs[{i}]: source and detector are numbered from 1";
            }
            if (p.DistanceMm is double d && !(d > 0 && d < 100))
            {
                yield return $"{at}.pairs[{i}].distanceMm: {d} must lie in (0, 100) mm";
            }
            if (n.Pairs.Take(i).Any(q => q.Source == p.Source && q.Detector == p.Detector))
            {
                yield return $"{at}.pairs[{i}]: S{p.Source}-D{p.Detector} is listed twice";
            }
        }
        if (n.Pathlength is { } pl)
        {
            if (pl.Kind is not ("dpf" or "ppf"))
            {
                yield return $"{at}.pathlength.kind: '{pl.Kind}' must be dpf or ppf";
            }
            if ((pl.Values is null) == (pl.AgeYears is null))
            {
                yield return $"{at}.pathlength: give either values (one per wavelength) or ageYears";
            }
            if (pl.Values is { } v && (n.WavelengthsNm is null || v.Count != n.WavelengthsNm.Count || v.Any(x => !(x > 0) || !double.IsFinite(x))))
            {
                yield return $"{at}.pathlength.values: one positive factor per wavelength of wavelengthsNm";
            }
            if (pl.AgeYears is double age && (!(age is >= 0 and <= 100) || pl.Kind != "dpf" || n.WavelengthsNm is null))
            {
                yield return $"{at}.pathlength.ageYears: an age in 0–100 years, with kind dpf and wavelengthsNm";
            }
        }
    }

    /// <summary>Pathlength factor per wavelength as declared (fixed, or from the age), empty when not declared.</summary>
    public static IReadOnlyDictionary<int, double> PathlengthFactors(NirsStreamProfile n)
    {
        var factors = new Dictionary<int, double>();
        if (n.Pathlength is not { } pl || n.WavelengthsNm is not { } w)
        {
            return factors;
        }
        for (int i = 0; i < w.Count; i++)
        {
            factors[w[i]] = pl.Values is { } v ? v[i] : Dsp.DifferentialPathlength.ScholkmannWolf(w[i], pl.AgeYears!.Value);
        }
        return factors;
    }

    /// <summary>
    /// The stream's probe: the device's (from <paramref name="deviceDescXml"/>) with the profile's distances, short
    /// flags and pathlength factors on top, or — with an explicit channel order — the one the profile lays out.
    /// Null when neither the device nor the profile names fNIRS channels.
    /// </summary>
    /// <param name="n">The profile's fNIRS object.</param>
    /// <param name="channels">The stream's channels (labels and units).</param>
    /// <param name="deviceDescXml">The device's desc, or null.</param>
    /// <exception cref="FormatException">The device's desc is inconsistent, or the profile's layout does not fit the channels.</exception>
    public static NirsMontage? Montage(NirsStreamProfile n, IReadOnlyList<ChannelDescriptor> channels, string? deviceDescXml)
    {
        ArgumentNullException.ThrowIfNull(n);
        ArgumentNullException.ThrowIfNull(channels);
        NirsMontage? montage;
        if (n.ChannelOrder == "desc")
        {
            montage = NirsMontage.Parse(deviceDescXml, [.. channels.Select(c => c.Label)]);
        }
        else
        {
            List<int> w = n.WavelengthsNm!;
            List<NirsPairProfile> pairs = n.Pairs!;
            var list = new List<NirsChannel>();
            for (int k = 0; k < pairs.Count * w.Count; k++)
            {
                (int pair, int wave) = n.ChannelOrder == "pairMajor" ? (k / w.Count, k % w.Count) : (k % pairs.Count, k / pairs.Count);
                int c = n.LeadingChannels + k;
                if (c >= channels.Count)
                {
                    throw new FormatException($"the profile's fNIRS layout needs {n.LeadingChannels + (pairs.Count * w.Count)} channels, the stream has {channels.Count}");
                }
                NirsPairProfile p = pairs[pair];
                list.Add(new NirsChannel(c, channels[c].Label, p.Source, p.Detector, w[wave], NirsMontage.RawIntensityType, channels[c].Unit));
            }
            montage = new NirsMontage(list,
                [.. Enumerable.Range(1, pairs.Max(p => p.Source)).Select(i => new NirsOptode($"S{i}", double.NaN, double.NaN, double.NaN))],
                [.. Enumerable.Range(1, pairs.Max(p => p.Detector)).Select(i => new NirsOptode($"D{i}", double.NaN, double.NaN, double.NaN))],
                [.. w.Order()]);
        }
        if (montage is null)
        {
            return null;
        }
        NirsChannel[] merged = [.. montage.Channels.Select(c => n.Pairs?.FirstOrDefault(p => p.Source == c.Source && p.Detector == c.Detector) is { } p
            ? c with { DeclaredDistanceM = p.DistanceMm is double mm ? mm / 1000 : c.DeclaredDistanceM, DeclaredShort = p.Short ?? c.DeclaredShort }
            : c)];
        IReadOnlyDictionary<int, double> factors = PathlengthFactors(n);
        return new NirsMontage(merged, montage.Sources, montage.Detectors, montage.WavelengthsNm)
        {
            PathlengthFactors = factors.Count > 0 ? factors : montage.PathlengthFactors,
        };
    }

    /// <summary>
    /// The descriptor with the profile's fNIRS model written into its <c>desc</c> (the layout <see cref="NirsMontage.ToDescription"/>
    /// writes), so the live stage, the recording and a later <c>analyze</c> all read one probe. The device's own
    /// <c>channels</c> and <c>montage</c> elements are kept under <c>device</c>; everything else in its desc stays.
    /// Unchanged when the profile has no <c>nirs</c> object or it does not yield fNIRS channels.
    /// </summary>
    /// <exception cref="FormatException">The device's desc is inconsistent, or the profile's layout does not fit the channels.</exception>
    public static StreamDescriptor Apply(StreamProfile profile, StreamDescriptor stream)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(stream);
        if (profile.Nirs is not { } n || Montage(n, stream.Channels, stream.DescriptionXml) is not { } montage)
        {
            return stream;
        }
        XElement desc = montage.ToDescription(stream.Channels);
        XElement? original = null;
        try
        {
            original = string.IsNullOrWhiteSpace(stream.DescriptionXml) ? null : XElement.Parse(stream.DescriptionXml);
        }
        catch (XmlException)
        {
            original = null;
        }
        if (original is not null)
        {
            var device = new XElement("device");
            foreach (XElement e in original.Elements())
            {
                if (e.Name.LocalName is "channels" or "montage")
                {
                    device.Add(new XElement(e));
                }
                else
                {
                    desc.Add(new XElement(e));
                }
            }
            if (device.HasElements)
            {
                desc.Add(device);
            }
        }
        desc.Add(new XElement("nirs_profile", new XElement("carries", n.Carries),
            n.Pathlength is { } pl ? new XElement("pathlength_kind", pl.Kind) : null,
            n.Pathlength?.AgeYears is double age ? new XElement("age_years", age.ToString(CultureInfo.InvariantCulture)) : null));
        return new StreamDescriptor(stream.Key, stream.Kind, stream.Name, stream.Type, stream.Channels, stream.NominalRateHz, stream.Format, stream.SourceId)
        {
            DescriptionXml = desc.ToString(SaveOptions.DisableFormatting),
            Hostname = stream.Hostname,
        };
    }
}
