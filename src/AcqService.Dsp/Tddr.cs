namespace AcqService.Dsp;

/// <summary>
/// Temporal derivative distribution repair (TDDR; Fishburn, Ludlum, Vaidya &amp; Medvedev 2019, NeuroImage 184:171–179),
/// offline, equal to MNE-Python's <c>mne.preprocessing.nirs.temporal_derivative_distribution_repair</c> on one channel
/// (checked against MNE 1.3.0 on optical density, fixture <c>nirs_mne.json</c>).
/// <para>
/// Steps (MNE's parameters): subtract the channel mean; split into a low part — 3rd-order Butterworth low-pass at
/// 0.5 Hz run forwards and backwards (zero phase, SciPy <c>filtfilt</c> with <c>padlen=0</c>, i.e. steady-state initial
/// conditions scaled by the first sample, no edge padding; skipped when the sample rate is ≤ 1 Hz) — and the high
/// remainder. On the first difference d of the low part, iterate up to 50 times: μ = Σw·d / Σw;
/// σ = 1.4826·median|d − μ|; r = |d − μ| / (4.685·σ); Tukey biweight w = (1 − r²)² for r &lt; 1 else 0; stop when σ = 0
/// or μ changes by less than √ε·max(|μ|, |μ₀|). Then integrate w·(d − μ) from 0, remove its mean, and add back the
/// high part and the channel mean.
/// </para>
/// A derivative with weight 0 (|d − μ| ≥ 4.685·σ) is discarded entirely; <see cref="Repair"/> returns how many,
/// which is the artefact count that the causal <see cref="DerivativeArtifactDetector"/> approximates live.
/// </summary>
public static class Tddr
{
    /// <summary>Tukey biweight tuning constant (95 % efficiency under Gaussian derivatives).</summary>
    public const double Tune = 4.685;

    /// <summary>Scale of the median absolute deviation that estimates a Gaussian standard deviation.</summary>
    public const double MadToSigma = 1.4826;

    /// <summary>Low-pass cut-off (Hz) that separates the corrected slow part from the untouched fast part.</summary>
    public const double LowPassHz = 0.5;

    /// <summary>Order of that low-pass.</summary>
    public const int LowPassOrder = 3;

    private const int MaxIterations = 50;

    /// <summary>Repairs one channel (optical density or haemoglobin) like MNE's TDDR.</summary>
    /// <param name="signal">The whole recording of one channel (at least 2 samples).</param>
    /// <param name="sampleRateHz">Sample rate in Hz.</param>
    /// <param name="output">Corrected signal, same length (may be the same span as <paramref name="signal"/>).</param>
    /// <returns>Number of derivative samples that received weight 0 (fully removed jumps).</returns>
    /// <exception cref="ArgumentException">Fewer than 2 samples, or lengths differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The sample rate is not finite and positive.</exception>
    public static int Repair(ReadOnlySpan<double> signal, double sampleRateHz, Span<double> output)
    {
        Guard.ThrowIfNotPositiveFinite(sampleRateHz);
        if (signal.Length < 2 || output.Length != signal.Length)
        {
            throw new ArgumentException($"Need at least 2 samples and an output of the same length (got {signal.Length} and {output.Length}).", nameof(output));
        }

        int n = signal.Length;
        double[] centred = signal.ToArray();
        double mean = NirsOpticalDensity.Mean(centred);
        for (int i = 0; i < n; i++)
        {
            centred[i] -= mean;
        }

        double[] low = LowPassHz * 2.0 / sampleRateHz < 1.0
            ? FiltFiltNoPad(FilterDesign.ButterworthLowPass(LowPassOrder, LowPassHz, sampleRateHz), centred)
            : (double[])centred.Clone();

        var deriv = new double[n - 1];
        for (int i = 0; i < deriv.Length; i++)
        {
            deriv[i] = low[i + 1] - low[i];
        }

        var w = new double[deriv.Length];
        Array.Fill(w, 1.0);
        var dev = new double[deriv.Length];
        var scratch = new double[deriv.Length];
        // NumPy's sqrt(finfo(float64).eps): the machine epsilon is the gap between 1 and the next double.
        double tolerance = Math.Sqrt(Math.BitIncrement(1.0) - 1.0);
        double mu = double.PositiveInfinity;
        for (int iteration = 0; iteration < MaxIterations; iteration++)
        {
            double mu0 = mu;
            double sw = 0.0, swd = 0.0;
            for (int i = 0; i < deriv.Length; i++)
            {
                sw += w[i];
                swd += w[i] * deriv[i];
            }

            mu = swd / sw;
            for (int i = 0; i < deriv.Length; i++)
            {
                dev[i] = Math.Abs(deriv[i] - mu);
            }

            double sigma = MadToSigma * Median(dev, scratch);
            if (sigma == 0.0)
            {
                break;
            }

            for (int i = 0; i < deriv.Length; i++)
            {
                double r = dev[i] / (sigma * Tune);
                double t = r < 1.0 ? 1.0 - (r * r) : 0.0;
                w[i] = t * t;
            }

            if (Math.Abs(mu - mu0) < tolerance * Math.Max(Math.Abs(mu), Math.Abs(mu0)))
            {
                break;
            }
        }

        // Integrate the re-weighted, centred derivative from 0 and re-centre it.
        int rejected = 0;
        double[] corrected = new double[n];
        double running = 0.0;
        for (int i = 0; i < deriv.Length; i++)
        {
            if (w[i] == 0.0)
            {
                rejected++;
            }

            running += w[i] * (deriv[i] - mu);
            corrected[i + 1] = running;
        }

        double correctedMean = NirsOpticalDensity.Mean(corrected);
        for (int i = 0; i < n; i++)
        {
            output[i] = (corrected[i] - correctedMean) + (centred[i] - low[i]) + mean;
        }

        return rejected;
    }

    /// <summary>
    /// Zero-phase filtering as SciPy's <c>filtfilt(b, a, x, padlen=0)</c>: transfer-function (direct form II transposed)
    /// pass forwards from the steady-state state × x[0], then backwards from the steady-state state × the last output.
    /// The SOS design is multiplied out to (b, a) because filtfilt's initial conditions are defined on the single
    /// transfer function, not per section.
    /// </summary>
    internal static double[] FiltFiltNoPad(double[] sos, ReadOnlySpan<double> x)
    {
        (double[] b, double[] a) = SosToTransferFunction(sos);
        double[] zi = SteadyStateState(b, a);
        double[] forward = LFilter(b, a, x, zi, x[0]);
        Array.Reverse(forward);
        double[] backward = LFilter(b, a, forward, zi, forward[0]);
        Array.Reverse(backward);
        return backward;
    }

    internal static (double[] B, double[] A) SosToTransferFunction(double[] sos)
    {
        double[] b = [1.0];
        double[] a = [1.0];
        for (int s = 0; s < sos.Length; s += 6)
        {
            b = PolyMul(b, [sos[s], sos[s + 1], sos[s + 2]]);
            a = PolyMul(a, [sos[s + 3], sos[s + 4], sos[s + 5]]);
        }

        // Drop trailing zero coefficients (an odd order leaves one first-order section padded with zeros) so that the
        // filter order, and with it the initial-condition vector, is the true one.
        int order = Math.Max(b.Length, a.Length) - 1;
        while (order > 0 && b[order] == 0.0 && a[order] == 0.0)
        {
            order--;
        }

        return (b[..(order + 1)], a[..(order + 1)]);
    }

    private static double[] PolyMul(double[] p, double[] q)
    {
        var r = new double[p.Length + q.Length - 1];
        for (int i = 0; i < p.Length; i++)
        {
            for (int j = 0; j < q.Length; j++)
            {
                r[i + j] += p[i] * q[j];
            }
        }

        return r;
    }

    // State of the direct-form-II-transposed filter after an infinitely long unit step (SciPy lfilter_zi), from the
    // state recursion with input 1 and output H(1) = Σb / Σa: z[k] = Σ_{j>k} (b[j] − a[j]·H(1)).
    private static double[] SteadyStateState(double[] b, double[] a)
    {
        int order = a.Length - 1;
        double gain = b.Sum() / a.Sum();
        var zi = new double[order];
        double acc = 0.0;
        for (int k = order - 1; k >= 0; k--)
        {
            acc += b[k + 1] - (a[k + 1] * gain);
            zi[k] = acc;
        }

        return zi;
    }

    private static double[] LFilter(double[] b, double[] a, ReadOnlySpan<double> x, double[] zi, double scale)
    {
        int order = a.Length - 1;
        var z = new double[order];
        for (int k = 0; k < order; k++)
        {
            z[k] = zi[k] * scale;
        }

        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double xi = x[i];
            double yi = (b[0] * xi) + (order > 0 ? z[0] : 0.0);
            for (int k = 0; k < order - 1; k++)
            {
                z[k] = (b[k + 1] * xi) - (a[k + 1] * yi) + z[k + 1];
            }

            if (order > 0)
            {
                z[order - 1] = (b[order] * xi) - (a[order] * yi);
            }

            y[i] = yi;
        }

        return y;
    }

    // NumPy's median: mean of the two middle values for an even count.
    private static double Median(double[] values, double[] scratch)
    {
        values.CopyTo(scratch, 0);
        Array.Sort(scratch);
        int m = scratch.Length / 2;
        return scratch.Length % 2 == 1 ? scratch[m] : (scratch[m - 1] + scratch[m]) / 2.0;
    }
}
