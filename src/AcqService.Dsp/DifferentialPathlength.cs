namespace AcqService.Dsp;

/// <summary>Differential pathlength factor (DPF) of the head as a function of wavelength and age.</summary>
public static class DifferentialPathlength
{
    /// <summary>
    /// The general DPF equation of Scholkmann &amp; Wolf (2013, J. Biomed. Opt. 18(10):105004), fitted to published
    /// frontal-head DPF measurements: DPF(λ, A) = 223.3 + 0.05624·A^0.8493 − 5.723·10⁻⁷·λ³ + 0.001245·λ² − 0.9025·λ,
    /// with λ in nm and A the age in years. Outside the range the fit was made on (red/near-infrared wavelengths, ages
    /// from infancy to old age) it extrapolates; the caller validates the inputs.
    /// </summary>
    /// <param name="wavelengthNm">Wavelength in nm.</param>
    /// <param name="ageYears">Age in years (≥ 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">A negative or non-finite age, or a wavelength outside 600–1000 nm.</exception>
    public static double ScholkmannWolf(double wavelengthNm, double ageYears)
    {
        if (!(ageYears >= 0) || !double.IsFinite(ageYears))
        {
            throw new ArgumentOutOfRangeException(nameof(ageYears), ageYears, "age must be a non-negative number of years");
        }
        if (!(wavelengthNm is >= 600 and <= 1000))
        {
            throw new ArgumentOutOfRangeException(nameof(wavelengthNm), wavelengthNm, "wavelength must lie in 600–1000 nm");
        }
        double l = wavelengthNm;
        return 223.3 + (0.05624 * Math.Pow(ageYears, 0.8493)) - (5.723e-7 * l * l * l) + (0.001245 * l * l) - (0.9025 * l);
    }
}
