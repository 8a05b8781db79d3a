using AcqService.Core.Model;

namespace AcqService.Core.Analysis;

/// <summary>Builds the live haemoglobin stage's <see cref="NirsLayout"/> from a stream's described probe.</summary>
public static class NirsMontageLayout
{
    /// <summary>
    /// One <see cref="NirsPair"/> per source–detector pair of <paramref name="montage"/> (in order of first channel),
    /// with the declared distance (else from the optode positions, else <paramref name="defaultDistanceM"/>), the
    /// declared short flag, and the midpoint when the optodes have positions.
    /// </summary>
    /// <param name="montage">The stream's probe (<see cref="NirsMontage.Parse"/>).</param>
    /// <param name="inputChannels">Channels in the stream (including non-fNIRS ones).</param>
    /// <param name="defaultDistanceM">Distance used without positions.</param>
    /// <exception cref="ArgumentException">A pair does not have exactly two different wavelengths.</exception>
    public static NirsLayout ToLayout(NirsMontage montage, int inputChannels, double defaultDistanceM = 0.03)
    {
        ArgumentNullException.ThrowIfNull(montage);
        var pairs = new List<NirsPair>();
        foreach (IGrouping<(int Source, int Detector), int> g in Enumerable.Range(0, montage.Channels.Count).GroupBy(i => (montage.Channels[i].Source, montage.Channels[i].Detector)))
        {
            int[] members = [.. g.OrderBy(i => montage.Channels[i].WavelengthNm)];
            if (members.Length != 2)
            {
                throw new ArgumentException($"pair S{g.Key.Source}-D{g.Key.Detector} has {members.Length} channels; the haemoglobin stage needs exactly two wavelengths per pair");
            }
            NirsChannel a = montage.Channels[members[0]], b = montage.Channels[members[1]];
            NirsOptode s = montage.Sources[a.Source - 1], d = montage.Detectors[a.Detector - 1];
            bool positioned = s.HasPosition && d.HasPosition;
            // Distance: as declared per channel (the device's desc, or the profile on top of it), else from the optode
            // positions, else the default. A declaration wins because probes are often digitised approximately.
            double distance = double.IsFinite(a.DeclaredDistanceM) ? a.DeclaredDistanceM : positioned ? montage.DistanceM(members[0]) : defaultDistanceM;
            pairs.Add(new NirsPair($"S{a.Source}-D{a.Detector}", a.StreamChannel, b.StreamChannel, a.WavelengthNm, b.WavelengthNm, distance)
            {
                Midpoint = positioned ? ((s.X + d.X) / 2, (s.Y + d.Y) / 2, (s.Z + d.Z) / 2) : null,
                DeclaredShort = a.DeclaredShort ?? b.DeclaredShort,
            });
        }
        return new NirsLayout(inputChannels, pairs);
    }
}
