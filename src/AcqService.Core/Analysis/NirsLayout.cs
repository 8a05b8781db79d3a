using System.Globalization;

namespace AcqService.Core.Analysis;

/// <summary>
/// One source–detector pair of a continuous-wave fNIRS stream: its two intensity channels and what the
/// Beer–Lambert law needs about them.
/// </summary>
/// <param name="Name">Pair name as in the labels, e.g. <c>S1-D1</c>.</param>
/// <param name="Channel1">Index in the stream of the lower-wavelength channel.</param>
/// <param name="Channel2">Index of the higher-wavelength channel.</param>
/// <param name="Wavelength1Nm">Lower wavelength (nm).</param>
/// <param name="Wavelength2Nm">Higher wavelength (nm).</param>
/// <param name="DistanceM">Source–detector distance in metres.</param>
public sealed record NirsPair(string Name, int Channel1, int Channel2, int Wavelength1Nm, int Wavelength2Nm, double DistanceM)
{
    /// <summary>Optional midpoint of the pair (metres, any fixed head frame), used to find the nearest short pair.</summary>
    public (double X, double Y, double Z)? Midpoint { get; init; }

    /// <summary>Short-separation flag declared by the device or profile; null = judged by distance.</summary>
    public bool? DeclaredShort { get; init; }

    /// <summary>True when the pair is a short-separation channel: as declared, else below MNE's 1 cm threshold.</summary>
    public bool IsShort => DeclaredShort ?? DistanceM < Dsp.ShortChannelRegression.ShortThresholdM;
}

/// <summary>
/// The pairs of an fNIRS intensity stream, found from channel labels <c>S1-D1 760</c> (also <c>S1_D1 760</c>,
/// <c>S1-D1:760</c>, <c>S1-D1 760nm</c>): pair name, then wavelength in nm. Channel order in the stream does not
/// matter; pairs are kept in order of first appearance and each pair's wavelengths are sorted ascending (MNE's order).
/// </summary>
public sealed class NirsLayout
{
    /// <summary>Creates a layout from explicit pairs.</summary>
    /// <param name="inputChannels">Number of channels in the intensity stream.</param>
    /// <param name="pairs">The pairs (at least one); channel indices must be distinct and in range.</param>
    /// <exception cref="ArgumentException">No pairs, an index out of range or used twice, or equal wavelengths in a pair.</exception>
    public NirsLayout(int inputChannels, IReadOnlyList<NirsPair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputChannels, 1);
        if (pairs.Count == 0)
        {
            throw new ArgumentException("An fNIRS layout needs at least one source-detector pair.", nameof(pairs));
        }

        var used = new bool[inputChannels];
        foreach (NirsPair p in pairs)
        {
            foreach (int c in (int[])[p.Channel1, p.Channel2])
            {
                if (c < 0 || c >= inputChannels || used[c])
                {
                    throw new ArgumentException($"Pair {p.Name}: channel {c} is out of range (0..{inputChannels - 1}) or used twice.", nameof(pairs));
                }

                used[c] = true;
            }

            if (p.Wavelength1Nm == p.Wavelength2Nm)
            {
                throw new ArgumentException($"Pair {p.Name}: both channels are at {p.Wavelength1Nm} nm.", nameof(pairs));
            }
        }

        InputChannels = inputChannels;
        Pairs = pairs;
    }

    /// <summary>Number of channels in the intensity stream (channels not in a pair are ignored).</summary>
    public int InputChannels { get; }

    /// <summary>The pairs, in output order.</summary>
    public IReadOnlyList<NirsPair> Pairs { get; }

    /// <summary>Builds the layout from channel labels.</summary>
    /// <param name="labels">Channel labels of the stream; labels that do not parse (aux, accelerometer) are skipped.</param>
    /// <param name="distanceM">Distance (m) of a pair by name; null or a missing name gives <paramref name="defaultDistanceM"/>.</param>
    /// <param name="defaultDistanceM">Distance for pairs without a declared one (default 0.03 m, the usual long channel).</param>
    /// <exception cref="ArgumentException">A pair does not have exactly two different wavelengths, or no pair was found.</exception>
    public static NirsLayout FromLabels(IReadOnlyList<string> labels, IReadOnlyDictionary<string, double>? distanceM = null, double defaultDistanceM = 0.03)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var order = new List<string>();
        var channels = new Dictionary<string, List<(int Channel, int Wavelength)>>(StringComparer.Ordinal);
        for (int c = 0; c < labels.Count; c++)
        {
            if (!TryParseLabel(labels[c], out string pair, out int wavelength))
            {
                continue;
            }

            if (!channels.TryGetValue(pair, out List<(int, int)>? list))
            {
                channels[pair] = list = [];
                order.Add(pair);
            }

            list.Add((c, wavelength));
        }

        var pairs = new List<NirsPair>(order.Count);
        foreach (string name in order)
        {
            List<(int Channel, int Wavelength)> list = channels[name];
            if (list.Count != 2 || list[0].Wavelength == list[1].Wavelength)
            {
                throw new ArgumentException($"NIRS pair '{name}' must have exactly two different wavelengths (has {string.Join(", ", list.Select(x => x.Wavelength))}).", nameof(labels));
            }

            list.Sort((a, b) => a.Wavelength.CompareTo(b.Wavelength));
            double d = distanceM is not null && distanceM.TryGetValue(name, out double declared) ? declared : defaultDistanceM;
            pairs.Add(new NirsPair(name, list[0].Channel, list[1].Channel, list[0].Wavelength, list[1].Wavelength, d));
        }

        if (pairs.Count == 0)
        {
            throw new ArgumentException($"No fNIRS channel labels of the form 'S1-D1 760' among: {string.Join(", ", labels)}.", nameof(labels));
        }

        return new NirsLayout(labels.Count, pairs);
    }

    /// <summary>Parses <c>S1-D1 760</c> (also <c>S1_D1 760</c>, <c>S1-D1:760</c>, <c>S1-D1 760nm</c>) into the pair and the wavelength in nm.</summary>
    public static bool TryParseLabel(string label, out string pair, out int wavelengthNm)
    {
        pair = string.Empty;
        wavelengthNm = 0;
        if (string.IsNullOrWhiteSpace(label))
        {
            return false;
        }

        int split = label.LastIndexOfAny([' ', ':']);
        if (split <= 0)
        {
            return false;
        }

        string tail = label[(split + 1)..].Trim();
        if (tail.EndsWith("nm", StringComparison.OrdinalIgnoreCase))
        {
            tail = tail[..^2];
        }

        pair = label[..split].Trim();
        return pair.Length > 0 && int.TryParse(tail, NumberStyles.None, CultureInfo.InvariantCulture, out wavelengthNm) && wavelengthNm > 0;
    }
}
