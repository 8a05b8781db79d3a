namespace AcqService.Sources.Simulation;

/// <summary>
/// Channel weights of the simulated sources, derived from 10-20 labels: alpha strongest over
/// occipital/parietal sites (posterior alpha), the evoked response strongest over central/centro-parietal
/// sites (vertex potentials), mains interference slightly larger at the edges of the cap.
/// </summary>
public static class Topography
{
    /// <summary>Alpha weight (0..1) of a channel.</summary>
    public static double Alpha(string label) => Region(label) switch
    {
        "O" or "PO" => 1.0,
        "P" => 0.85,
        "CP" => 0.5,
        "C" => 0.35,
        "T" or "TP" or "FT" => 0.3,
        "F" or "FC" => 0.2,
        _ => 0.15,
    };

    /// <summary>Evoked-response weight (0..1) of a channel.</summary>
    public static double Evoked(string label)
    {
        double w = Region(label) switch
        {
            "C" or "CP" => 1.0,
            "P" or "FC" => 0.8,
            "F" => 0.6,
            "PO" or "O" => 0.45,
            "T" or "TP" or "FT" => 0.4,
            _ => 0.3,
        };
        return label.EndsWith('z') || label.EndsWith('Z') ? w : w * 0.85;
    }

    /// <summary>Mains weight of a channel.</summary>
    public static double Line(string label) => Region(label) is "T" or "Fp" or "O" ? 1.2 : 1.0;

    /// <summary>10-20 region prefix of a label (letters before the number or z).</summary>
    public static string Region(string label)
    {
        int end = 0;
        while (end < label.Length && char.IsLetter(label[end]) && !(label[end] is 'z' or 'Z' && end == label.Length - 1))
        {
            end++;
        }
        string prefix = label[..end];
        return prefix switch
        {
            "FP" or "Fp" => "Fp",
            _ => prefix.ToUpperInvariant() switch
            {
                "AF" => "AF",
                var p => p,
            },
        };
    }
}
