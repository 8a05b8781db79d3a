using System.Numerics;

namespace AcqService.Dsp;

/// <summary>
/// Digital zeros/poles/gain to second-order sections with SciPy's <c>zpk2sos(..., pairing='nearest')</c> algorithm
/// (SciPy 1.10): pad to equal even counts, keep one member of each conjugate pair (<c>_cplxreal</c>), then build the
/// sections from the last to the first, each time taking the remaining pole closest to the unit circle and the zero
/// closest to it. Reproducing the algorithm, not just the response, is what makes the coefficients match.
/// </summary>
internal static class ZpkToSos
{
    // _cplxreal's default: 100 machine epsilons (C#'s double.Epsilon is the smallest subnormal, not this).
    private const double Tolerance = 100 * 2.220446049250313e-16;

    public static double[] Convert(List<Complex> zeros, List<Complex> poles, double gain)
    {
        var z = new List<Complex>(zeros);
        var p = new List<Complex>(poles);
        while (p.Count < z.Count)
        {
            p.Add(Complex.Zero);
        }

        while (z.Count < p.Count)
        {
            z.Add(Complex.Zero);
        }

        int sectionCount = (p.Count + 1) / 2;
        if (p.Count % 2 == 1)
        {
            p.Add(Complex.Zero);
            z.Add(Complex.Zero);
        }

        z = ComplexThenReal(z);
        p = ComplexThenReal(p);

        var sos = new double[sectionCount * 6];
        for (int si = sectionCount - 1; si >= 0; si--)
        {
            int p1Index = IndexClosestToUnitCircle(p, all: true);
            Complex p1 = p[p1Index];
            p.RemoveAt(p1Index);
            int realPolesLeft = p.Count(IsReal);

            if (IsReal(p1) && realPolesLeft == 0)
            {
                // Last remaining real pole: pair with the nearest real zero, first-order section.
                Complex z1 = Take(z, Nearest(z, p1, Which.Real));
                WriteSection(sos, si, [z1, Complex.Zero], [p1, Complex.Zero]);
            }
            else if (p.Count + 1 == z.Count && !IsReal(p1) && realPolesLeft == 1 && z.Count(IsReal) == 1)
            {
                // One real pole and one real zero are left for later: this complex pole must take a complex zero.
                Complex z1 = Take(z, Nearest(z, p1, Which.Complex));
                WriteSection(sos, si, [z1, Complex.Conjugate(z1)], [p1, Complex.Conjugate(p1)]);
            }
            else
            {
                Complex p2;
                if (IsReal(p1))
                {
                    p2 = Take(p, IndexClosestToUnitCircle(p, all: false));
                }
                else
                {
                    p2 = Complex.Conjugate(p1);
                }

                if (z.Count > 0)
                {
                    Complex z1 = Take(z, Nearest(z, p1, Which.Any));
                    if (!IsReal(z1))
                    {
                        WriteSection(sos, si, [z1, Complex.Conjugate(z1)], [p1, p2]);
                    }
                    else if (z.Count > 0)
                    {
                        Complex z2 = Take(z, Nearest(z, p1, Which.Real));
                        WriteSection(sos, si, [z1, z2], [p1, p2]);
                    }
                    else
                    {
                        WriteSection(sos, si, [z1], [p1, p2]);
                    }
                }
                else
                {
                    WriteSection(sos, si, [], [p1, p2]);
                }
            }
        }

        for (int i = 0; i < 3; i++)
        {
            sos[i] *= gain;
        }

        return sos;
    }

    private enum Which
    {
        Any,
        Real,
        Complex,
    }

    // NumPy's isreal: imaginary part exactly zero.
    private static bool IsReal(Complex c) => c.Imaginary == 0.0;

    private static Complex Take(List<Complex> list, int index)
    {
        Complex c = list[index];
        list.RemoveAt(index);
        return c;
    }

    // argmin |1 - |p||, first index on ties (np.argmin); optionally restricted to real poles.
    private static int IndexClosestToUnitCircle(List<Complex> p, bool all)
    {
        int best = -1;
        double bestDistance = double.PositiveInfinity;
        for (int i = 0; i < p.Count; i++)
        {
            if (!all && !IsReal(p[i]))
            {
                continue;
            }

            double d = Math.Abs(1.0 - Complex.Abs(p[i]));
            if (best < 0 || d < bestDistance)
            {
                best = i;
                bestDistance = d;
            }
        }

        return best;
    }

    // _nearest_real_complex_idx: the closest element of the requested kind (ties: lowest index).
    private static int Nearest(List<Complex> from, Complex to, Which which)
    {
        int best = -1;
        double bestDistance = double.PositiveInfinity;
        for (int i = 0; i < from.Count; i++)
        {
            bool real = IsReal(from[i]);
            if ((which == Which.Real && !real) || (which == Which.Complex && real))
            {
                continue;
            }

            double d = Complex.Abs(from[i] - to);
            if (best < 0 || d < bestDistance)
            {
                best = i;
                bestDistance = d;
            }
        }

        if (best < 0)
        {
            throw new InvalidOperationException("No zero of the required kind is left to pair with a pole.");
        }

        return best;
    }

    // _cplxreal: one representative (positive imaginary part, averaged with its partner) per conjugate pair,
    // sorted by real part, followed by the real values sorted ascending.
    private static List<Complex> ComplexThenReal(List<Complex> values)
    {
        var sorted = values.OrderBy(c => c.Real).ThenBy(c => Math.Abs(c.Imaginary)).ToList();
        var real = new List<Complex>();
        var positive = new List<Complex>();
        var negative = new List<Complex>();
        foreach (Complex c in sorted)
        {
            if (Math.Abs(c.Imaginary) <= Tolerance * Complex.Abs(c))
            {
                real.Add(new Complex(c.Real, 0.0));
            }
            else if (c.Imaginary > 0)
            {
                positive.Add(c);
            }
            else
            {
                negative.Add(c);
            }
        }

        if (positive.Count != negative.Count)
        {
            throw new InvalidOperationException("Complex value without a matching conjugate.");
        }

        // Within runs of (nearly) equal real part, order both halves by |imag| so that partners line up.
        int start = 0;
        while (start < positive.Count)
        {
            int stop = start + 1;
            while (stop < positive.Count && positive[stop].Real - positive[stop - 1].Real <= Tolerance * Complex.Abs(positive[stop - 1]))
            {
                stop++;
            }

            if (stop - start > 1)
            {
                positive.Sort(start, stop - start, Comparer<Complex>.Create((a, b) => Math.Abs(a.Imaginary).CompareTo(Math.Abs(b.Imaginary))));
                negative.Sort(start, stop - start, Comparer<Complex>.Create((a, b) => Math.Abs(a.Imaginary).CompareTo(Math.Abs(b.Imaginary))));
            }

            start = stop;
        }

        var result = new List<Complex>(positive.Count + real.Count);
        for (int i = 0; i < positive.Count; i++)
        {
            Complex partner = Complex.Conjugate(negative[i]);
            if (Complex.Abs(positive[i] - partner) > Tolerance * Complex.Abs(negative[i]))
            {
                throw new InvalidOperationException("Complex value without a matching conjugate.");
            }

            result.Add((positive[i] + partner) / 2.0);
        }

        result.AddRange(real);
        return result;
    }

    // _single_zpksos with k = 1: numpy.poly of the zeros and poles, right-aligned in the b and a halves.
    private static void WriteSection(double[] sos, int section, ReadOnlySpan<Complex> zeros, ReadOnlySpan<Complex> poles)
    {
        Span<double> b = stackalloc double[3];
        Span<double> a = stackalloc double[3];
        int nb = Poly(zeros, b);
        int na = Poly(poles, a);
        Span<double> row = sos.AsSpan(section * 6, 6);
        for (int i = 0; i < nb; i++)
        {
            row[3 - nb + i] = b[i];
        }

        for (int i = 0; i < na; i++)
        {
            row[6 - na + i] = a[i];
        }
    }

    // Monic polynomial with the given (at most two) roots; the roots are real or a conjugate pair, so the
    // coefficients are real. Returns the number of coefficients.
    private static int Poly(ReadOnlySpan<Complex> roots, Span<double> coefficients)
    {
        coefficients[0] = 1.0;
        switch (roots.Length)
        {
            case 0:
                return 1;
            case 1:
                coefficients[1] = (-roots[0]).Real;
                return 2;
            default:
                coefficients[1] = (-roots[0] + -roots[1]).Real;
                coefficients[2] = ComplexMath.Mul(roots[0], roots[1]).Real;
                return 3;
        }
    }
}
