using System.Numerics;

namespace AcqService.Dsp.Tests;

public class FftTests
{
    // Radix 2/3/4/5 and generic 7/11/13 stages, mixed factorizations, and primes > 13 that go through Bluestein.
    public static TheoryData<int> Lengths() =>
    [
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 25, 27, 32, 49, 60, 64, 77, 97, 121, 125, 143,
        169, 250, 251, 255, 256, 301, 500, 502, 1000, 1009, 1024,
    ];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ComplexForward_RandomInput_MatchesNaiveDft(int n)
    {
        var rng = new Random(n);
        Complex[] x = Enumerable.Range(0, n).Select(_ => new Complex(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5)).ToArray();
        Complex[] expected = NaiveDft(x);
        var actual = (Complex[])x.Clone();

        new ComplexFft(n).Forward(actual);

        AssertSpectraClose(expected, actual, n);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void RealForward_RandomInput_MatchesNaiveDft(int n)
    {
        var rng = new Random(1000 + n);
        double[] x = Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        Complex[] full = NaiveDft(x.Select(v => new Complex(v, 0.0)).ToArray());
        var fft = new RealFft(n);
        var actual = new Complex[fft.SpectrumLength];

        fft.Forward(x, actual);

        Assert.Equal(n / 2 + 1, actual.Length);
        AssertSpectraClose(full[..actual.Length], actual, n);
    }

    [Fact]
    public void ComplexForward_Twice_GivesSameResult()
    {
        // The Stockham work buffer and the Bluestein buffers are reused; a second call must not see stale data.
        foreach (int n in new[] { 12, 17, 1009 })
        {
            var fft = new ComplexFft(n);
            Complex[] a = Enumerable.Range(0, n).Select(i => new Complex(Math.Sin(i), Math.Cos(3 * i))).ToArray();
            var b = (Complex[])a.Clone();
            fft.Forward(a);
            fft.Forward(b);
            Assert.Equal(a, b);
        }
    }

    private static void AssertSpectraClose(ReadOnlySpan<Complex> expected, ReadOnlySpan<Complex> actual, int n)
    {
        // Absolute bound relative to the largest bin: a correct O(n log n) FFT is within ~1e-15·√(log n) of it,
        // an indexing or twiddle mistake is off by O(1).
        double scale = 0.0;
        foreach (Complex c in expected)
        {
            scale = Math.Max(scale, c.Magnitude);
        }

        for (int k = 0; k < expected.Length; k++)
        {
            double error = (actual[k] - expected[k]).Magnitude;
            Assert.True(error <= 1e-12 * Math.Max(scale, 1.0), $"n={n} bin {k}: got {actual[k]}, expected {expected[k]}");
        }
    }

    private static Complex[] NaiveDft(Complex[] x)
    {
        int n = x.Length;
        var result = new Complex[n];
        for (int k = 0; k < n; k++)
        {
            Complex sum = 0.0;
            for (int j = 0; j < n; j++)
            {
                // Reduce j·k mod n first so the angle, and hence the reference, stays accurate.
                long t = (long)j * k % n;
                double angle = -2.0 * Math.PI * t / n;
                sum += x[j] * new Complex(Math.Cos(angle), Math.Sin(angle));
            }

            result[k] = sum;
        }

        return result;
    }
}
