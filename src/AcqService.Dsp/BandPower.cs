namespace AcqService.Dsp;

/// <summary>Band power from a one-sided density PSD.</summary>
public static class BandPower
{
    /// <summary>
    /// Power in [<paramref name="lowHz"/>, <paramref name="highHz"/>] (both inclusive): the sum of the PSD bins whose
    /// centre frequency lies in the band times the bin width (rectangle rule, consistent with Parseval for density
    /// scaling). Units: (signal unit)².
    /// </summary>
    /// <remarks>Bin <c>k</c> is centred at <c>k · frequencyResolution</c>, the same value <see cref="WelchEstimator.Frequencies"/> holds.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="frequencyResolution"/> is not positive and finite,
    /// <paramref name="lowHz"/> is negative or not finite, or <paramref name="highHz"/> is below <paramref name="lowHz"/> or NaN.</exception>
    public static double Integrate(ReadOnlySpan<double> psd, double frequencyResolution, double lowHz, double highHz)
    {
        Guard.ThrowIfNotPositiveFinite(frequencyResolution);
        if (!double.IsFinite(lowHz) || lowHz < 0.0)
        {
            throw new ArgumentOutOfRangeException(nameof(lowHz), lowHz, "Must be a finite frequency ≥ 0.");
        }

        if (double.IsNaN(highHz) || highHz < lowHz)
        {
            throw new ArgumentOutOfRangeException(nameof(highHz), highHz, $"Must be ≥ lowHz ({lowHz}).");
        }

        // Compare each bin centre directly (rather than rounding lowHz / df to an index) so that a band edge that
        // equals a bin centre is included exactly as the bin frequencies are computed.
        double sum = 0.0;
        for (int k = 0; k < psd.Length; k++)
        {
            double f = k * frequencyResolution;
            if (f > highHz)
            {
                break;
            }

            if (f >= lowHz)
            {
                sum += psd[k];
            }
        }

        return sum * frequencyResolution;
    }
}
