namespace AcqService.Dsp;

/// <summary>Window functions identical to <c>scipy.signal.get_window</c>.</summary>
public static class Windows
{
    /// <summary>Creates a window; <paramref name="periodic"/> = true matches SciPy's default (<c>fftbins=True</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative or <paramref name="kind"/> is not defined.</exception>
    public static double[] Create(WindowKind kind, int length, bool periodic = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown window kind.");
        }

        return kind switch
        {
            // SciPy's coefficient lists, including hamming's 1 - 0.54 (= 0.45999999999999996, not 0.46).
            WindowKind.Hann => GeneralCosine(length, periodic, [0.5, 1.0 - 0.5]),
            WindowKind.Hamming => GeneralCosine(length, periodic, [0.54, 1.0 - 0.54]),
            WindowKind.Blackman => GeneralCosine(length, periodic, [0.42, 0.50, 0.08]),
            _ => Ones(length),
        };
    }

    private static double[] Ones(int length)
    {
        var w = new double[length];
        w.AsSpan().Fill(1.0);
        return w;
    }

    // Mirrors scipy.signal.windows.general_cosine operation by operation (linspace(-pi, pi, M), then
    // w += a[k] * cos(k * fac)) so that the values agree to the last bit or so, not just to a tolerance.
    private static double[] GeneralCosine(int length, bool periodic, ReadOnlySpan<double> coefficients)
    {
        if (length <= 1)
        {
            return Ones(length);
        }

        // Periodic windows are the symmetric window of length + 1 with the last point dropped.
        int m = periodic ? length + 1 : length;
        double step = (Math.PI - -Math.PI) / (m - 1);
        var w = new double[length];
        for (int i = 0; i < length; i++)
        {
            double fac = i == m - 1 ? Math.PI : i * step + -Math.PI;
            double sum = 0.0;
            for (int k = 0; k < coefficients.Length; k++)
            {
                sum += coefficients[k] * Math.Cos(k * fac);
            }

            w[i] = sum;
        }

        return w;
    }
}
