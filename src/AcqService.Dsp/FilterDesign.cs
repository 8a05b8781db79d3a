using System.Numerics;

namespace AcqService.Dsp;

/// <summary>
/// Designs IIR filters as second-order sections (SOS) in SciPy's layout: one row of six coefficients
/// <c>b0 b1 b2 a0 a1 a2</c> per section, <c>a0 = 1</c>. Results match <c>scipy.signal.butter(..., output='sos')</c>
/// and <c>scipy.signal.iirnotch</c> converted with <c>tf2sos</c>.
/// </summary>
public static class FilterDesign
{
    // SciPy designs digital filters on an analog prototype with fs = 2 (so 2*fs = 4), after prewarping.
    private const double BilinearFs2 = 4.0;

    /// <summary>Butterworth low-pass of the given order (SciPy: <c>butter(order, cutoffHz, 'lowpass', fs=sampleRateHz, output='sos')</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Order below 1, sample rate not positive, or cutoff not inside (0, fs/2).</exception>
    public static double[] ButterworthLowPass(int order, double cutoffHz, double sampleRateHz)
    {
        ValidateOrderAndRate(order, sampleRateHz);
        Guard.ThrowIfNotInOpenInterval(cutoffHz, 0.0, sampleRateHz / 2.0);
        double wo = Prewarp(cutoffHz, sampleRateHz);
        List<Complex> p = ButterworthPoles(order);

        // lp2lp_zpk: scale the prototype radially; the gain compensates the shifted poles.
        for (int i = 0; i < p.Count; i++)
        {
            p[i] = ComplexMath.Mul(new Complex(wo, 0.0), p[i]);
        }

        double k = Math.Pow(wo, order);
        return Bilinear([], p, k);
    }

    /// <summary>Butterworth high-pass of the given order (SciPy: <c>butter(order, cutoffHz, 'highpass', fs=sampleRateHz, output='sos')</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Order below 1, sample rate not positive, or cutoff not inside (0, fs/2).</exception>
    public static double[] ButterworthHighPass(int order, double cutoffHz, double sampleRateHz)
    {
        ValidateOrderAndRate(order, sampleRateHz);
        Guard.ThrowIfNotInOpenInterval(cutoffHz, 0.0, sampleRateHz / 2.0);
        double wo = Prewarp(cutoffHz, sampleRateHz);
        List<Complex> p = ButterworthPoles(order);

        // lp2hp_zpk: invert about the unit circle; the zeros at infinity move to the origin.
        var z = new List<Complex>();
        Complex prodMinusP = Complex.One;
        for (int i = 0; i < p.Count; i++)
        {
            prodMinusP = ComplexMath.Mul(prodMinusP, -p[i]);
            p[i] = ComplexMath.Div(new Complex(wo, 0.0), p[i]);
            z.Add(Complex.Zero);
        }

        double k = ComplexMath.Div(Complex.One, prodMinusP).Real;
        return Bilinear(z, p, k);
    }

    /// <summary>Butterworth band-pass; <paramref name="order"/> is SciPy's N, giving N sections (SciPy: <c>butter(order, [lowHz, highHz], 'bandpass', fs=sampleRateHz, output='sos')</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Order below 1, sample rate not positive, an edge not inside (0, fs/2), or <paramref name="lowHz"/> ≥ <paramref name="highHz"/>.</exception>
    public static double[] ButterworthBandPass(int order, double lowHz, double highHz, double sampleRateHz)
    {
        ValidateBand(order, lowHz, highHz, sampleRateHz);
        (double wo, double bw) = PrewarpBand(lowHz, highHz, sampleRateHz);
        List<Complex> proto = ButterworthPoles(order);

        // lp2bp_zpk: each prototype pole becomes two, shifted to +wo and -wo; N zeros land at the origin.
        var p = new List<Complex>(2 * order);
        var shifted = new List<Complex>(order);
        for (int i = 0; i < order; i++)
        {
            Complex pl = ComplexMath.Mul(proto[i], new Complex(bw, 0.0)) / 2.0;
            Complex root = ComplexMath.Sqrt(ComplexMath.Mul(pl, pl) - new Complex(wo * wo, 0.0));
            p.Add(pl + root);
            shifted.Add(pl - root);
        }

        p.AddRange(shifted);
        var z = new List<Complex>(Enumerable.Repeat(Complex.Zero, order));
        double k = Math.Pow(bw, order);
        return Bilinear(z, p, k);
    }

    /// <summary>Butterworth band-stop (SciPy: <c>butter(order, [lowHz, highHz], 'bandstop', fs=sampleRateHz, output='sos')</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Order below 1, sample rate not positive, an edge not inside (0, fs/2), or <paramref name="lowHz"/> ≥ <paramref name="highHz"/>.</exception>
    public static double[] ButterworthBandStop(int order, double lowHz, double highHz, double sampleRateHz)
    {
        ValidateBand(order, lowHz, highHz, sampleRateHz);
        (double wo, double bw) = PrewarpBand(lowHz, highHz, sampleRateHz);
        List<Complex> proto = ButterworthPoles(order);

        // lp2bs_zpk: invert to a high-pass of the band width, then shift to +wo and -wo; the zeros at infinity
        // move to ±j·wo, the centre of the stop band.
        var p = new List<Complex>(2 * order);
        var shifted = new List<Complex>(order);
        Complex prodMinusP = Complex.One;
        for (int i = 0; i < order; i++)
        {
            prodMinusP = ComplexMath.Mul(prodMinusP, -proto[i]);
            Complex ph = ComplexMath.Div(new Complex(bw / 2.0, 0.0), proto[i]);
            Complex root = ComplexMath.Sqrt(ComplexMath.Mul(ph, ph) - new Complex(wo * wo, 0.0));
            p.Add(ph + root);
            shifted.Add(ph - root);
        }

        p.AddRange(shifted);
        var z = new List<Complex>(2 * order);
        z.AddRange(Enumerable.Repeat(new Complex(0.0, wo), order));
        z.AddRange(Enumerable.Repeat(new Complex(0.0, -wo), order));
        double k = ComplexMath.Div(Complex.One, prodMinusP).Real;
        return Bilinear(z, p, k);
    }

    /// <summary>Second-order IIR notch (SciPy: <c>tf2sos(*iirnotch(frequencyHz, qualityFactor, fs=sampleRateHz))</c>), one section.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Sample rate or quality factor not positive, or frequency not inside (0, fs/2).</exception>
    public static double[] Notch(double frequencyHz, double qualityFactor, double sampleRateHz)
    {
        Guard.ThrowIfNotPositiveFinite(sampleRateHz);
        Guard.ThrowIfNotPositiveFinite(qualityFactor);
        Guard.ThrowIfNotInOpenInterval(frequencyHz, 0.0, sampleRateHz / 2.0);

        // iirnotch (Orfanidis 11.3): -3 dB band width w0/Q, gb = 1/sqrt(2).
        double w0 = 2.0 * frequencyHz / sampleRateHz;
        double bw = w0 / qualityFactor * Math.PI;
        w0 *= Math.PI;
        double gb = 1.0 / Math.Sqrt(2.0);
        double beta = Math.Sqrt(1.0 - gb * gb) / gb * Math.Tan(bw / 2.0);
        double gain = 1.0 / (1.0 + beta);
        double cos = Math.Cos(w0);

        // tf2sos of a single biquad with a0 = 1 reproduces b and a (up to root-finding rounding), so write them directly.
        return [gain, gain * (-2.0 * cos), gain, 1.0, -2.0 * gain * cos, 2.0 * gain - 1.0];
    }

    /// <summary>Concatenates several SOS arrays into one cascade, applied in argument order.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="sections"/> or one of its elements is null.</exception>
    /// <exception cref="ArgumentException">No sections at all, or an array whose length is not a multiple of 6.</exception>
    public static double[] Cascade(params double[][] sections)
    {
        ArgumentNullException.ThrowIfNull(sections);
        int total = 0;
        foreach (double[] s in sections)
        {
            ArgumentNullException.ThrowIfNull(s, nameof(sections));
            if (s.Length % 6 != 0)
            {
                throw new ArgumentException($"Each SOS array needs 6 values per section; got length {s.Length}.", nameof(sections));
            }

            total += s.Length;
        }

        if (total == 0)
        {
            throw new ArgumentException("A cascade needs at least one section.", nameof(sections));
        }

        var result = new double[total];
        int offset = 0;
        foreach (double[] s in sections)
        {
            s.CopyTo(result, offset);
            offset += s.Length;
        }

        return result;
    }

    private static void ValidateOrderAndRate(int order, double sampleRateHz)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(order, 1);
        Guard.ThrowIfNotPositiveFinite(sampleRateHz);
    }

    private static void ValidateBand(int order, double lowHz, double highHz, double sampleRateHz)
    {
        ValidateOrderAndRate(order, sampleRateHz);
        Guard.ThrowIfNotInOpenInterval(lowHz, 0.0, sampleRateHz / 2.0);
        Guard.ThrowIfNotInOpenInterval(highHz, 0.0, sampleRateHz / 2.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(lowHz, highHz);
    }

    // Analog frequency that the bilinear transform (fs = 2) maps onto the requested digital one.
    private static double Prewarp(double hz, double sampleRateHz)
    {
        double wn = 2.0 * hz / sampleRateHz;
        return 2.0 * 2.0 * Math.Tan(Math.PI * wn / 2.0);
    }

    private static (double Wo, double Bw) PrewarpBand(double lowHz, double highHz, double sampleRateHz)
    {
        double low = Prewarp(lowHz, sampleRateHz);
        double high = Prewarp(highHz, sampleRateHz);
        return (Math.Sqrt(low * high), high - low);
    }

    // buttap: poles -exp(j·pi·m/(2N)), m = -N+1, -N+3, ..., N-1; the middle one (odd N) is exactly -1.
    private static List<Complex> ButterworthPoles(int order)
    {
        var p = new List<Complex>(order);
        for (int m = -order + 1; m < order; m += 2)
        {
            double theta = Math.PI * m / (2.0 * order);
            p.Add(new Complex(-Math.Cos(theta), -Math.Sin(theta)));
        }

        return p;
    }

    // bilinear_zpk followed by zpk2sos; zeros at infinity go to z = -1 (Nyquist).
    private static double[] Bilinear(List<Complex> z, List<Complex> p, double k)
    {
        var fs2 = new Complex(BilinearFs2, 0.0);
        Complex num = Complex.One;
        Complex den = Complex.One;
        var zd = new List<Complex>(p.Count);
        var pd = new List<Complex>(p.Count);
        foreach (Complex zi in z)
        {
            num = ComplexMath.Mul(num, fs2 - zi);
            zd.Add(ComplexMath.Div(fs2 + zi, fs2 - zi));
        }

        foreach (Complex pi in p)
        {
            den = ComplexMath.Mul(den, fs2 - pi);
            pd.Add(ComplexMath.Div(fs2 + pi, fs2 - pi));
        }

        while (zd.Count < pd.Count)
        {
            zd.Add(new Complex(-1.0, 0.0));
        }

        double kd = k * ComplexMath.Div(num, den).Real;
        return ZpkToSos.Convert(zd, pd, kd);
    }
}
