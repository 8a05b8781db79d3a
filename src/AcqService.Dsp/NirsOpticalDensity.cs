namespace AcqService.Dsp;

/// <summary>
/// Offline conversion of continuous-wave fNIRS intensities to optical density, equal to MNE-Python's
/// <c>mne.preprocessing.nirs.optical_density</c> (checked against MNE 1.3.0, fixture <c>nirs_mne.json</c>).
/// <para>
/// Convention (MNE's, not <see cref="BeerLambert"/>'s): <b>natural</b> logarithm, OD = −ln(I / Ī), where the
/// baseline Ī is the mean of the channel over the <b>whole recording</b> — an offline rule; live code uses
/// <see cref="OpticalDensityTracker"/> with a fixed baseline period instead. Divide by ln 10 to get the decadic
/// ΔOD that <see cref="BeerLambert.ToConcentrations"/> expects.
/// </para>
/// <para>
/// Non-positive intensities (MNE's rule, reproduced including its quirk): if any value of any channel is ≤ 0,
/// every value is replaced by its absolute value, then a floor is chosen as the smallest per-channel minimum of |I|
/// among the channels whose minimum is not 0 (a channel containing a 0 does not contribute), and every value of
/// every channel is raised to at least that floor. So in a channel that contains a 0, small positive values below
/// the other channels' minima are raised too. If every channel contains a 0 the floor is +∞ and the result is NaN,
/// as in MNE. MNE only warns ("Negative intensities encountered. Setting to abs(x)"); here the number of
/// non-positive input values is returned so the caller can log the same condition.
/// </para>
/// </summary>
public static class NirsOpticalDensity
{
    /// <summary>Converts <paramref name="intensity"/> (one array per channel, all the same length) to optical density like MNE.</summary>
    /// <param name="intensity">Raw intensities, one row per channel; not modified.</param>
    /// <param name="nonPositiveCount">Number of input values ≤ 0 (MNE warns when this is above 0).</param>
    /// <returns>Natural-log optical density, one new row per channel.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="intensity"/> or a row is null.</exception>
    /// <exception cref="ArgumentException">No channels, an empty row, or rows of different lengths.</exception>
    public static double[][] FromIntensityLikeMne(IReadOnlyList<double[]> intensity, out int nonPositiveCount)
    {
        ArgumentNullException.ThrowIfNull(intensity);
        if (intensity.Count == 0)
        {
            throw new ArgumentException("At least one channel is needed.", nameof(intensity));
        }

        int n = -1;
        var od = new double[intensity.Count][];
        nonPositiveCount = 0;
        for (int c = 0; c < intensity.Count; c++)
        {
            double[] row = intensity[c] ?? throw new ArgumentNullException(nameof(intensity), $"Channel {c} is null.");
            if (row.Length == 0 || (n >= 0 && row.Length != n))
            {
                throw new ArgumentException($"Channel {c} has {row.Length} samples; every channel needs the same, non-zero number.", nameof(intensity));
            }

            n = row.Length;
            od[c] = (double[])row.Clone();
            foreach (double v in row)
            {
                if (v <= 0.0)
                {
                    nonPositiveCount++;
                }
            }
        }

        if (nonPositiveCount > 0)
        {
            double floor = double.PositiveInfinity;
            foreach (double[] row in od)
            {
                double min = double.PositiveInfinity;
                for (int i = 0; i < row.Length; i++)
                {
                    row[i] = Math.Abs(row[i]);
                    min = Math.Min(min, row[i]);
                }

                // A channel whose minimum is exactly 0 is skipped when choosing the floor (MNE's rule).
                if (min != 0.0)
                {
                    floor = Math.Min(floor, min);
                }
            }

            foreach (double[] row in od)
            {
                for (int i = 0; i < row.Length; i++)
                {
                    row[i] = Math.Max(row[i], floor);
                }
            }
        }

        foreach (double[] row in od)
        {
            double mean = Mean(row);
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = -Math.Log(row[i] / mean);
            }
        }

        return od;
    }

    /// <summary>Arithmetic mean with pairwise summation (NumPy's summation order for long rows, so rounding stays comparable).</summary>
    internal static double Mean(ReadOnlySpan<double> values) => PairwiseSum(values) / values.Length;

    /// <summary>Pairwise summation: error grows with log n instead of n, which keeps long-recording means close to NumPy's.</summary>
    internal static double PairwiseSum(ReadOnlySpan<double> values)
    {
        if (values.Length <= 128)
        {
            double s = 0.0;
            foreach (double v in values)
            {
                s += v;
            }

            return s;
        }

        int half = values.Length / 2;
        return PairwiseSum(values[..half]) + PairwiseSum(values[half..]);
    }
}
