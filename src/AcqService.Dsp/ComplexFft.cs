using System.Numerics;

namespace AcqService.Dsp;

/// <summary>
/// Forward complex DFT, <c>X[k] = Σ x[n]·e^(−2πi·nk/N)</c>, for any length N ≥ 1. Lengths whose prime factors are
/// all at most <see cref="MaxDirectRadix"/> use a mixed-radix Stockham (self-sorting) decimation-in-frequency FFT
/// with dedicated radix 2/3/4/5 butterflies and a generic odd-prime butterfly; other lengths use Bluestein's
/// chirp-z algorithm on a power-of-two FFT. All twiddles and buffers are made in the constructor, so
/// <see cref="Forward"/> allocates nothing. Not thread-safe (it owns its work buffers).
/// </summary>
internal sealed partial class ComplexFft
{
    /// <summary>Largest prime factor handled by a direct (O(p²)) butterfly before switching to Bluestein.</summary>
    public const int MaxDirectRadix = 13;

    private readonly int _length;
    private readonly int[] _radices = [];
    private readonly Complex[][] _stageTwiddles = [];
    private readonly Complex[] _work;
    private readonly Complex[] _genericScratch = [];
    private readonly Complex[][] _genericRoots = [];

    // Bluestein: chirp w[n] = e^(−πi·n²/N), the FFT of the conjugate chirp filter, and the inner FFT.
    private readonly ComplexFft? _inner;
    private readonly Complex[] _chirp = [];
    private readonly Complex[] _filterSpectrum = [];
    private readonly Complex[] _convolution = [];

    public ComplexFft(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        _length = length;

        List<int>? radices = Factor(length);
        if (radices is null)
        {
            _work = [];
            int m = (int)BitOperations.RoundUpToPowerOf2((uint)(2 * length - 1));
            _inner = new ComplexFft(m);
            _chirp = new Complex[length];
            long twoN = 2L * length;
            for (int n = 0; n < length; n++)
            {
                // n² mod 2N keeps the angle argument small, so the chirp is accurate for large n.
                long q = (long)n * n % twoN;
                double angle = -Math.PI * q / length;
                _chirp[n] = new Complex(Math.Cos(angle), Math.Sin(angle));
            }

            _filterSpectrum = new Complex[m];
            _filterSpectrum[0] = Complex.Conjugate(_chirp[0]);
            for (int n = 1; n < length; n++)
            {
                _filterSpectrum[n] = Complex.Conjugate(_chirp[n]);
                _filterSpectrum[m - n] = Complex.Conjugate(_chirp[n]);
            }

            _inner.Forward(_filterSpectrum);
            _convolution = new Complex[m];
            return;
        }

        _radices = radices.ToArray();
        _work = new Complex[length];

        // Twiddles of a stage with sub-length n and radix r: W_n^(p·k) for p < n/r, 1 ≤ k < r, taken from one
        // table of W_N^t so every value comes from a single cos/sin call with an exact integer argument.
        var table = new Complex[length];
        for (int t = 0; t < length; t++)
        {
            double angle = -2.0 * Math.PI * t / length;
            table[t] = new Complex(Math.Cos(angle), Math.Sin(angle));
        }

        _stageTwiddles = new Complex[_radices.Length][];
        int sub = length;
        int maxGeneric = 0;
        var genericRoots = new Complex[_radices.Length][];
        for (int stage = 0; stage < _radices.Length; stage++)
        {
            int r = _radices[stage];
            int m = sub / r;
            int scale = length / sub;
            var tw = new Complex[m * (r - 1)];
            for (int p = 0; p < m; p++)
            {
                for (int k = 1; k < r; k++)
                {
                    tw[p * (r - 1) + k - 1] = table[p * k * scale];
                }
            }

            _stageTwiddles[stage] = tw;
            genericRoots[stage] = [];
            if (r > 5)
            {
                maxGeneric = Math.Max(maxGeneric, r);
                var roots = new Complex[r];
                for (int t = 0; t < r; t++)
                {
                    roots[t] = table[t * (length / r)];
                }

                genericRoots[stage] = roots;
            }

            sub = m;
        }

        _genericRoots = genericRoots;
        _genericScratch = new Complex[maxGeneric];
    }

    public int Length => _length;

    /// <summary>Transforms <paramref name="data"/> (length <see cref="Length"/>) in place.</summary>
    public void Forward(Span<Complex> data)
    {
        if (data.Length != _length)
        {
            throw new ArgumentException($"Expected {_length} values, got {data.Length}.", nameof(data));
        }

        if (_inner is not null)
        {
            Bluestein(data);
            return;
        }

        Span<Complex> x = data;
        Span<Complex> y = _work;
        int sub = _length;
        int stride = 1;
        bool resultInData = true;
        for (int stage = 0; stage < _radices.Length; stage++)
        {
            int r = _radices[stage];
            int m = sub / r;
            ReadOnlySpan<Complex> tw = _stageTwiddles[stage];
            switch (r)
            {
                case 2: Radix2(x, y, m, stride, tw); break;
                case 3: Radix3(x, y, m, stride, tw); break;
                case 4: Radix4(x, y, m, stride, tw); break;
                case 5: Radix5(x, y, m, stride, tw); break;
                default: RadixGeneric(x, y, r, m, stride, tw, _genericRoots[stage]); break;
            }

            // Stockham ping-pong: the output of this stage is the input of the next.
            Span<Complex> t = x;
            x = y;
            y = t;
            resultInData = !resultInData;
            sub = m;
            stride *= r;
        }

        if (!resultInData)
        {
            x.CopyTo(data);
        }
    }

    // Stage layout: inputs a_j = x[q + s·(p + j·m)], outputs y[q + s·(r·p + k)] = (Σ_j a_j·W_r^(jk))·W_n^(pk),
    // for p < m (= n/r) and q < s (the stride, product of the earlier radices).
    private static void Radix2(Span<Complex> x, Span<Complex> y, int m, int s, ReadOnlySpan<Complex> tw)
    {
        for (int p = 0; p < m; p++)
        {
            Complex w1 = tw[p];
            for (int q = 0; q < s; q++)
            {
                Complex a0 = x[q + s * p];
                Complex a1 = x[q + s * (p + m)];
                y[q + s * (2 * p)] = a0 + a1;
                y[q + s * (2 * p + 1)] = Mul(a0 - a1, w1);
            }
        }
    }

    private static void Radix3(Span<Complex> x, Span<Complex> y, int m, int s, ReadOnlySpan<Complex> tw)
    {
        const double sin60 = 0.86602540378443864676; // sin(2π/3)
        for (int p = 0; p < m; p++)
        {
            Complex w1 = tw[2 * p], w2 = tw[2 * p + 1];
            for (int q = 0; q < s; q++)
            {
                Complex a0 = x[q + s * p];
                Complex a1 = x[q + s * (p + m)];
                Complex a2 = x[q + s * (p + 2 * m)];
                Complex t = a1 + a2;
                Complex d = a1 - a2;
                Complex c = a0 - t * 0.5;
                // −i·sin60·d
                var rot = new Complex(sin60 * d.Imaginary, -sin60 * d.Real);
                int o = q + s * (3 * p);
                y[o] = a0 + t;
                y[o + s] = Mul(c + rot, w1);
                y[o + 2 * s] = Mul(c - rot, w2);
            }
        }
    }

    private static void Radix4(Span<Complex> x, Span<Complex> y, int m, int s, ReadOnlySpan<Complex> tw)
    {
        for (int p = 0; p < m; p++)
        {
            Complex w1 = tw[3 * p], w2 = tw[3 * p + 1], w3 = tw[3 * p + 2];
            for (int q = 0; q < s; q++)
            {
                Complex a0 = x[q + s * p];
                Complex a1 = x[q + s * (p + m)];
                Complex a2 = x[q + s * (p + 2 * m)];
                Complex a3 = x[q + s * (p + 3 * m)];
                Complex t0 = a0 + a2, t1 = a0 - a2, t2 = a1 + a3, t3 = a1 - a3;
                // −i·t3
                var t3r = new Complex(t3.Imaginary, -t3.Real);
                int o = q + s * (4 * p);
                y[o] = t0 + t2;
                y[o + s] = Mul(t1 + t3r, w1);
                y[o + 2 * s] = Mul(t0 - t2, w2);
                y[o + 3 * s] = Mul(t1 - t3r, w3);
            }
        }
    }

    private static void Radix5(Span<Complex> x, Span<Complex> y, int m, int s, ReadOnlySpan<Complex> tw)
    {
        const double c1 = 0.30901699437494742410; // cos(2π/5)
        const double c2 = -0.80901699437494742410; // cos(4π/5)
        const double s1 = 0.95105651629515357212; // sin(2π/5)
        const double s2 = 0.58778525229247312917; // sin(4π/5)
        for (int p = 0; p < m; p++)
        {
            Complex w1 = tw[4 * p], w2 = tw[4 * p + 1], w3 = tw[4 * p + 2], w4 = tw[4 * p + 3];
            for (int q = 0; q < s; q++)
            {
                Complex a0 = x[q + s * p];
                Complex a1 = x[q + s * (p + m)];
                Complex a2 = x[q + s * (p + 2 * m)];
                Complex a3 = x[q + s * (p + 3 * m)];
                Complex a4 = x[q + s * (p + 4 * m)];
                Complex t1 = a1 + a4, t2 = a2 + a3, d1 = a1 - a4, d2 = a2 - a3;
                Complex e1 = a0 + t1 * c1 + t2 * c2;
                Complex e2 = a0 + t1 * c2 + t2 * c1;
                Complex f1 = d1 * s1 + d2 * s2;
                Complex f2 = d1 * s2 - d2 * s1;
                // −i·f
                var g1 = new Complex(f1.Imaginary, -f1.Real);
                var g2 = new Complex(f2.Imaginary, -f2.Real);
                int o = q + s * (5 * p);
                y[o] = a0 + t1 + t2;
                y[o + s] = Mul(e1 + g1, w1);
                y[o + 2 * s] = Mul(e2 + g2, w2);
                y[o + 3 * s] = Mul(e2 - g2, w3);
                y[o + 4 * s] = Mul(e1 - g1, w4);
            }
        }
    }

    private void RadixGeneric(Span<Complex> x, Span<Complex> y, int r, int m, int s, ReadOnlySpan<Complex> tw, ReadOnlySpan<Complex> roots)
    {
        Span<Complex> a = _genericScratch.AsSpan(0, r);
        for (int p = 0; p < m; p++)
        {
            for (int q = 0; q < s; q++)
            {
                for (int j = 0; j < r; j++)
                {
                    a[j] = x[q + s * (p + j * m)];
                }

                int o = q + s * (r * p);
                for (int k = 0; k < r; k++)
                {
                    Complex sum = a[0];
                    int t = 0;
                    for (int j = 1; j < r; j++)
                    {
                        t += k;
                        if (t >= r)
                        {
                            t -= r;
                        }

                        sum += Mul(a[j], roots[t]);
                    }

                    y[o + k * s] = k == 0 ? sum : Mul(sum, tw[p * (r - 1) + k - 1]);
                }
            }
        }
    }

    // X[k] = w[k] · Σ_n (x[n]·w[n]) · conj(w[k−n]), the convolution done with the inner power-of-two FFT.
    private void Bluestein(Span<Complex> data)
    {
        Span<Complex> buffer = _convolution;
        int m = buffer.Length;
        for (int n = 0; n < _length; n++)
        {
            buffer[n] = Mul(data[n], _chirp[n]);
        }

        buffer[_length..].Clear();
        _inner!.Forward(buffer);
        for (int i = 0; i < m; i++)
        {
            // Conjugating before and after a forward FFT gives the inverse FFT (up to the 1/m below).
            buffer[i] = Complex.Conjugate(Mul(buffer[i], _filterSpectrum[i]));
        }

        _inner.Forward(buffer);
        double inv = 1.0 / m;
        for (int k = 0; k < _length; k++)
        {
            data[k] = Mul(Complex.Conjugate(buffer[k]) * inv, _chirp[k]);
        }
    }

    // Plain (ac − bd, ad + bc): System.Numerics' operator is the same, spelled out to keep the hot loops obvious.
    private static Complex Mul(Complex a, Complex b) =>
        new(a.Real * b.Real - a.Imaginary * b.Imaginary, a.Real * b.Imaginary + a.Imaginary * b.Real);

    // Radices in stage order (4s first, then 2, 3, 5 and larger primes), or null if a prime factor is too large.
    private static List<int>? Factor(int length)
    {
        var radices = new List<int>();
        int n = length;
        while (n % 4 == 0)
        {
            radices.Add(4);
            n /= 4;
        }

        foreach (int f in (ReadOnlySpan<int>)[2, 3, 5])
        {
            while (n % f == 0)
            {
                radices.Add(f);
                n /= f;
            }
        }

        for (int f = 7; n > 1 && f <= MaxDirectRadix; f += 2)
        {
            while (n % f == 0)
            {
                radices.Add(f);
                n /= f;
            }
        }

        return n == 1 ? radices : null;
    }
}
