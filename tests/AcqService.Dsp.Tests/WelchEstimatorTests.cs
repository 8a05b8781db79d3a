namespace AcqService.Dsp.Tests;

public class WelchEstimatorTests
{
    private static readonly Lazy<WelchFixture> Data = new(() => Fixtures.Load<WelchFixture>("welch.json"));

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (WelchCase c in Data.Value.Cases)
        {
            data.Add(c.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Estimate_ScipyFixture_PsdAndFrequenciesMatch(string name)
    {
        WelchFixture fixture = Data.Value;
        WelchCase c = fixture.Cases.Single(x => x.Name == name);
        var welch = new WelchEstimator(fixture.Fs, c.Nperseg, c.Noverlap, Fixtures.ParseWindow(c.Window), Fixtures.ParseDetrend(c.Detrend), c.Nfft);
        var psd = new double[welch.FrequencyCount];

        welch.Estimate(fixture.Signal, psd);

        Assert.Equal(c.Psd.Length, welch.FrequencyCount);
        Tolerance.AssertClose(c.Frequencies, welch.Frequencies, 1e-12, c.Call + " frequencies");
        // Floor 1e-10 of the peak: bins that vanish in exact arithmetic (DC after mean removal with a boxcar
        // window) hold FFT rounding noise ~1e-30 of the peak on both sides; all other bins sit far above the floor.
        Tolerance.AssertClose(c.Psd, psd, 1e-10 * Tolerance.MaxAbs(c.Psd), c.Call);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EstimateInterleaved_ScipyFixtureOnFiveChannels_EveryChannelMatches(string name)
    {
        // The fixture signal on five interleaved channels (scaled by 1…5, so that the lanes differ): the vector path
        // (one block of four lanes and a partial block) must meet the same tolerance as Estimate, scaled by c².
        WelchFixture fixture = Data.Value;
        WelchCase c = fixture.Cases.Single(x => x.Name == name);
        var welch = new WelchEstimator(fixture.Fs, c.Nperseg, c.Noverlap, Fixtures.ParseWindow(c.Window), Fixtures.ParseDetrend(c.Detrend), c.Nfft);
        const int channels = 5;
        double[] frames = new double[fixture.Signal.Length * channels];
        for (int i = 0; i < fixture.Signal.Length; i++)
        {
            for (int ch = 0; ch < channels; ch++)
            {
                frames[(i * channels) + ch] = fixture.Signal[i] * (ch + 1);
            }
        }

        int bins = welch.FrequencyCount;
        var psd = new double[channels * bins];
        welch.EstimateInterleaved(frames, channels, psd);

        for (int ch = 0; ch < channels; ch++)
        {
            double factor = (ch + 1) * (ch + 1);
            double[] expected = [.. c.Psd.Select(v => v * factor)];
            Tolerance.AssertClose(expected, psd.AsSpan(ch * bins, bins), 1e-10 * Tolerance.MaxAbs(expected), $"{c.Call} channel {ch}");
        }
    }

    [Theory]
    [InlineData(500, 500, WindowKind.Boxcar, 0)]
    [InlineData(500, 500, WindowKind.Hann, 250)]
    [InlineData(251, 251, WindowKind.Hann, 125)]
    [InlineData(255, 301, WindowKind.Hamming, 0)]
    [InlineData(256, 512, WindowKind.Blackman, 100)]
    public void Estimate_WhiteNoise_SatisfiesParseval(int segmentLength, int fftLength, WindowKind window, int overlap)
    {
        // Density scaling makes Σ PSD·Δf equal the average over segments of Σ(w·x)² / Σw², exactly (up to
        // rounding), for any window, zero padding and odd or even FFT length; without detrending this checks
        // the scale, the one-sided doubling and the Nyquist handling together.
        const double fs = 500.0;
        double[] x = GaussianNoise(5000, seed: 99, sigma: 10.0);
        var welch = new WelchEstimator(fs, segmentLength, overlap, window, DetrendKind.None, fftLength);
        var psd = new double[welch.FrequencyCount];
        welch.Estimate(x, psd);

        double[] w = Windows.Create(window, segmentLength);
        double w2 = w.Sum(v => v * v);
        int step = segmentLength - overlap;
        int segments = (x.Length - overlap) / step;
        double expected = 0.0;
        for (int s = 0; s < segments; s++)
        {
            double e = 0.0;
            for (int i = 0; i < segmentLength; i++)
            {
                double v = w[i] * x[s * step + i];
                e += v * v;
            }

            expected += e / w2 / segments;
        }

        double total = psd.Sum() * welch.FrequencyResolution;
        Assert.Equal(segments, welch.SegmentCount(x.Length));
        Assert.True(Math.Abs(total - expected) <= 1e-10 * expected, $"Σ PSD·Δf = {total:R}, expected {expected:R}");
        // And the noise variance itself (σ² = 100) within sampling error.
        Assert.InRange(total, 90.0, 110.0);
    }

    [Fact]
    public void Estimate_AfterWarmUp_AllocatesNothing()
    {
        // 500 = 4·5³ (mixed radix) and 251 (prime, Bluestein) through the real-FFT packing and the odd path.
        foreach ((int seg, int nfft, DetrendKind detrend) in new[] { (500, 0, DetrendKind.Linear), (251, 502, DetrendKind.Constant), (255, 301, DetrendKind.None) })
        {
            var welch = new WelchEstimator(500.0, seg, seg / 2, WindowKind.Hann, detrend, nfft);
            double[] x = GaussianNoise(3000, seed: 5, sigma: 1.0);
            var psd = new double[welch.FrequencyCount];
            welch.Estimate(x, psd);

            long before = GC.GetAllocatedBytesForCurrentThread();
            welch.Estimate(x, psd);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Equal(0, allocated);
        }
    }

    [Fact]
    public void Estimate_RepeatedCalls_GiveIdenticalResults()
    {
        var welch = new WelchEstimator(500.0, 256, 128);
        double[] x = GaussianNoise(2000, seed: 3, sigma: 1.0);
        var first = new double[welch.FrequencyCount];
        var second = new double[welch.FrequencyCount];

        welch.Estimate(x, first);
        welch.Estimate(x, second);

        Assert.Equal(first, second);
    }

    [Fact]
    public void Properties_ReflectConstruction()
    {
        var welch = new WelchEstimator(500.0, 500, 250, fftLength: 1001);

        Assert.Equal(501, welch.FrequencyCount);
        Assert.Equal(500.0 / 1001, welch.FrequencyResolution, 1e-15);
        Assert.Equal(500, welch.SegmentLength);
        Assert.Equal(250, welch.Overlap);
        Assert.Equal(1001, welch.FftLength);
        Assert.Equal(500 * 500.0 / 1001, welch.Frequencies[500], 1e-12);
        // Segments start at 0, 250, 500 and 750; the last one ends exactly at sample 1250.
        Assert.Equal(4, welch.SegmentCount(1250));
    }

    public static TheoryData<string, Func<object>> InvalidConstructions() => new()
    {
        { "sampleRateHz", () => new WelchEstimator(0.0, 256, 128) },
        { "sampleRateHz", () => new WelchEstimator(double.NaN, 256, 128) },
        { "segmentLength", () => new WelchEstimator(500.0, 0, 0) },
        { "overlap", () => new WelchEstimator(500.0, 256, 256) },
        { "overlap", () => new WelchEstimator(500.0, 256, -1) },
        { "fftLength", () => new WelchEstimator(500.0, 256, 128, fftLength: 255) },
        { "fftLength", () => new WelchEstimator(500.0, 256, 128, fftLength: -1) },
        { "window", () => new WelchEstimator(500.0, 256, 128, (WindowKind)99) },
        { "detrend", () => new WelchEstimator(500.0, 256, 128, WindowKind.Hann, (DetrendKind)99) },
    };

    [Theory]
    [MemberData(nameof(InvalidConstructions))]
    public void Constructor_InvalidArgument_ThrowsOutOfRangeNamingArgument(string parameter, Func<object> create)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(create);
        Assert.Equal(parameter, ex.ParamName);
    }

    [Fact]
    public void Estimate_ShortSignalOrPsd_Throws()
    {
        var welch = new WelchEstimator(500.0, 256, 128);

        Assert.Throws<ArgumentException>(() => welch.Estimate(new double[255], new double[welch.FrequencyCount]));
        Assert.Throws<ArgumentException>(() => welch.Estimate(new double[256], new double[welch.FrequencyCount - 1]));
    }

    internal static double[] GaussianNoise(int n, int seed, double sigma)
    {
        // Box–Muller on a seeded System.Random: deterministic across runs and platforms of the same runtime.
        var rng = new Random(seed);
        var x = new double[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1.0 - rng.NextDouble();
            double u2 = rng.NextDouble();
            x[i] = sigma * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
        }

        return x;
    }
}
