namespace AcqService.Dsp;

/// <summary>
/// Modified Beer–Lambert law for continuous-wave fNIRS with two wavelengths (docs: formats.md §5.4).
/// Conventions: decadic logarithm throughout (ΔOD = −log₁₀(I/I₀)), molar extinction coefficients in cm⁻¹·M⁻¹,
/// source–detector distance in cm, dimensionless differential pathlength factor (DPF), and haemoglobin
/// concentration changes in mol/L (M; multiply by 1e6 for µM). Mixing natural and decadic logarithms gives a
/// 2.303× error, which is why no natural-log variant is offered here; <see cref="HaemoglobinMatrix"/> takes natural-log
/// OD (MNE's <c>optical_density</c>) explicitly, in this exact form or in MNE's (ε × 0.2303, d in m, ppf), which is
/// 1.8e−4 smaller because 0.2303 truncates ln10/10.
/// </summary>
public static class BeerLambert
{
    /// <summary>
    /// Name of the extinction table: Prahl's compilation (omlc.org "hemoglobin summary") of Gratzer and Kollias's data,
    /// decadic, cm⁻¹·M⁻¹; the same values as NIRSimple <c>gratzer.csv</c> and MNE's <c>extinction_coef.mat</c>.
    /// Recorded in metadata so a reader knows which of the (noticeably different) published tables was used.
    /// </summary>
    public const string ExtinctionTable = "Prahl (Gratzer/Kollias), decadic, cm-1/M";

    // Only the tabulated wavelengths are offered: interpolating between rows would invent coefficients the source does not give.
    private static readonly Dictionary<int, (double HbO, double HbR)> s_extinction = new()
    {
        [690] = (276, 2051.96),
        [750] = (518, 1405.24),
        [760] = (586, 1548.52),
        [780] = (710, 1075.44),
        [808] = (856, 723.52),
        [830] = (974, 693.04),
        [840] = (1022, 692.36),
        [850] = (1058, 691.32),
    };

    /// <summary>Wavelengths (nm) of the extinction table, ascending.</summary>
    public static IReadOnlyList<int> Wavelengths { get; } = [.. s_extinction.Keys.Order()];

    /// <summary>Decadic molar extinction coefficients (cm⁻¹·M⁻¹) of oxy- and deoxyhaemoglobin at <paramref name="wavelengthNm"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The wavelength is not in the table (the message names it and the known ones).</exception>
    public static (double HbO, double HbR) Extinction(int wavelengthNm)
    {
        if (!s_extinction.TryGetValue(wavelengthNm, out (double HbO, double HbR) e))
        {
            throw new ArgumentOutOfRangeException(nameof(wavelengthNm), wavelengthNm,
                $"No extinction coefficients for {wavelengthNm} nm (table: {string.Join(", ", Wavelengths)} nm).");
        }
        return e;
    }

    /// <summary>Optical density change −log₁₀(I/I₀) (dimensionless) of intensity <paramref name="intensity"/> relative to baseline <paramref name="baseline"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An intensity is not finite and positive.</exception>
    public static double OpticalDensity(double intensity, double baseline)
    {
        Guard.ThrowIfNotPositiveFinite(intensity);
        Guard.ThrowIfNotPositiveFinite(baseline);
        return -Math.Log10(intensity / baseline);
    }

    /// <summary>Forward model: ΔOD₁₀ = (ε_HbO·ΔHbO + ε_HbR·ΔHbR)·d·DPF.</summary>
    /// <param name="deltaHbO">Oxyhaemoglobin change in M.</param>
    /// <param name="deltaHbR">Deoxyhaemoglobin change in M.</param>
    /// <param name="wavelengthNm">Wavelength (one of <see cref="Wavelengths"/>).</param>
    /// <param name="distanceCm">Source–detector distance in cm.</param>
    /// <param name="dpf">Differential pathlength factor at this wavelength.</param>
    /// <returns>Decadic optical density change (dimensionless).</returns>
    /// <exception cref="ArgumentOutOfRangeException">Unknown wavelength, or a distance/DPF that is not finite and positive.</exception>
    public static double ToOpticalDensity(double deltaHbO, double deltaHbR, int wavelengthNm, double distanceCm, double dpf)
    {
        (double hbO, double hbR) = Extinction(wavelengthNm);
        Guard.ThrowIfNotPositiveFinite(distanceCm);
        Guard.ThrowIfNotPositiveFinite(dpf);
        return ((hbO * deltaHbO) + (hbR * deltaHbR)) * distanceCm * dpf;
    }

    /// <summary>
    /// Inverse model: solves the 2×2 system [ΔOD₁/(d·DPF₁), ΔOD₂/(d·DPF₂)] = E·[ΔHbO, ΔHbR] for one source–detector pair.
    /// </summary>
    /// <param name="deltaOd1">Decadic ΔOD at <paramref name="wavelength1Nm"/>.</param>
    /// <param name="deltaOd2">Decadic ΔOD at <paramref name="wavelength2Nm"/>.</param>
    /// <param name="wavelength1Nm">First wavelength.</param>
    /// <param name="wavelength2Nm">Second wavelength (must differ from the first).</param>
    /// <param name="distanceCm">Source–detector distance in cm.</param>
    /// <param name="dpf1">DPF at the first wavelength.</param>
    /// <param name="dpf2">DPF at the second wavelength.</param>
    /// <returns>ΔHbO and ΔHbR in M.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Unknown wavelength, or a distance/DPF that is not finite and positive.</exception>
    /// <exception cref="ArgumentException">The two wavelengths are equal (the system is singular).</exception>
    public static (double DeltaHbO, double DeltaHbR) ToConcentrations(double deltaOd1, double deltaOd2, int wavelength1Nm, int wavelength2Nm, double distanceCm, double dpf1, double dpf2)
    {
        (double a, double b) = Extinction(wavelength1Nm);
        (double c, double d) = Extinction(wavelength2Nm);
        Guard.ThrowIfNotPositiveFinite(distanceCm);
        Guard.ThrowIfNotPositiveFinite(dpf1);
        Guard.ThrowIfNotPositiveFinite(dpf2);
        if (wavelength1Nm == wavelength2Nm)
        {
            throw new ArgumentException($"the two wavelengths must differ (both {wavelength1Nm} nm)", nameof(wavelength2Nm));
        }
        double y1 = deltaOd1 / (distanceCm * dpf1);
        double y2 = deltaOd2 / (distanceCm * dpf2);
        // Cramer's rule on E = [[a, b], [c, d]]; tabulated pairs are well conditioned, so no pivoting is needed.
        double det = (a * d) - (b * c);
        return (((d * y1) - (b * y2)) / det, ((a * y2) - (c * y1)) / det);
    }
}
