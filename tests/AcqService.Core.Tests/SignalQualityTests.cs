using System.Text.Json;
using AcqService.Core.Analysis.Quality;

namespace AcqService.Core.Tests;

/// <summary>The pre-session check's numerics against analytic values.</summary>
public sealed class SignalQualityTests
{
    private static double[] Sine(double amplitude, double hz, double rate, double seconds, double offset = 0, double phase = 0.3) =>
        [.. Enumerable.Range(0, (int)Math.Round(rate * seconds)).Select(n => offset + (amplitude * Math.Sin((2 * Math.PI * hz * n / rate) + phase)))];

    private static double[] Gaussian(int count, double sigma, int seed)
    {
        var random = new Random(seed);
        double[] x = new double[count];
        for (int i = 0; i < count; i++)
        {
            // Box–Muller.
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            x[i] = sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
        return x;
    }

    private static double[] Add(params double[][] parts) => [.. Enumerable.Range(0, parts[0].Length).Select(i => parts.Sum(p => p[i]))];

    [Theory]
    [InlineData(10.0, 7.0, 500.0)]
    [InlineData(37.5, 10.0, 250.0)]
    [InlineData(1.0, 50.0, 1000.0)]
    public void Rms_SineOverWholePeriodsWithOffset_IsAmplitudeOverRootTwo(double amplitude, double hz, double rate)
    {
        // 2 s hold a whole number of periods of each frequency, so the mean is the offset exactly and RMS = A/√2.
        double[] x = Sine(amplitude, hz, rate, 2, offset: 1234.5);
        Assert.Equal(amplitude / Math.Sqrt(2), SignalQuality.Rms(x), 1e-6);
        // Sampling can miss the crest by up to half a sample period: the peak-to-peak is within [2A·cos(π f/fs), 2A].
        Assert.InRange(SignalQuality.PeakToPeak(x), 2 * amplitude * Math.Cos(Math.PI * hz / rate) - 1e-9, (2 * amplitude) + 1e-9);
    }

    [Fact]
    public void FlatChannel_ConstantOrTinyNoise_FailsFlat_WeakChannelWarns()
    {
        var t = new CheckThresholds();
        ChannelQuality constant = SignalQuality.Measure(Enumerable.Repeat(-42.0, 1000).ToArray(), null, 50, t);
        Assert.Equal(0, constant.Rms);
        Assert.Equal(0, constant.RailedFraction);
        QualityJudgement j = SignalQuality.Judge(constant, t, 50);
        Assert.True(j.Flat);
        Assert.Equal(CheckVerdict.Fail, j.Verdict);
        Assert.StartsWith("flat: RMS 0 µV < 0.5 µV", Assert.Single(j.Reasons));

        double[] tiny = Gaussian(5000, 0.2, 1);
        Assert.Equal(0.2, SignalQuality.Rms(tiny), 0.01);
        Assert.Equal(CheckVerdict.Fail, SignalQuality.Judge(SignalQuality.Measure(tiny, SignalQuality.Spectrum(tiny, 500), 50, t), t, 50).Verdict);

        double[] weak = Gaussian(5000, 0.7, 2);
        QualityJudgement w = SignalQuality.Judge(SignalQuality.Measure(weak, SignalQuality.Spectrum(weak, 500), 50, t), t, 50);
        Assert.False(w.Flat);
        Assert.Equal(CheckVerdict.Warn, w.Verdict);
        Assert.Contains(w.Reasons, r => r.StartsWith("low amplitude", StringComparison.Ordinal));
    }

    [Fact]
    public void RailedFraction_ClippedSine_IsTheTimeAboveTheClipLevel()
    {
        // A sine of amplitude A clipped at ±c spends 1 − (2/π)·asin(c/A) of its time at a rail. Each of the 2f·T clipped
        // intervals can be miscounted by less than one sample, so the error is below 2f/fs.
        const double A = 100, c = 80, hz = 1.3, rate = 1000;
        double[] x = [.. Sine(A, hz, rate, 20).Select(v => Math.Clamp(v, -c, c))];
        double expected = 1 - (2 / Math.PI * Math.Asin(c / A));
        double railed = SignalQuality.RailedFraction(x, new CheckThresholds().RailEpsilonFraction);
        Assert.InRange(railed, expected - (2 * hz / rate), expected + (2 * hz / rate));
        Assert.Equal(0.4097, expected, 1e-4);

        // Unclipped: a sine comes back to its crest every period but touches it with one sample at a time (here a sample
        // within ε lies within ±0.24 sample periods of the crest, so never two in a row). Even a sine at a whole fraction of
        // the rate, whose crest value repeats exactly every period, is not railed; noise never repeats its extreme.
        Assert.Equal(0, SignalQuality.RailedFraction(Sine(A, hz, rate, 20, phase: 0.1234), 1e-6));
        Assert.Equal(0, SignalQuality.RailedFraction(Sine(A, 10, 250, 20, phase: 0.1234), 1e-6));
        Assert.Equal(0, SignalQuality.RailedFraction(Gaussian(10000, 10, 3), 1e-6));

        var t = new CheckThresholds();
        QualityJudgement j = SignalQuality.Judge(SignalQuality.Measure(x, SignalQuality.Spectrum(x, rate), 50, t), t, 50);
        Assert.Equal(CheckVerdict.Fail, j.Verdict);
        Assert.Contains(j.Reasons, r => r.StartsWith("railed: 41", StringComparison.Ordinal));

        // A rail is held: one clipped sample between unclipped ones is not a rail (a square wave is nothing but rails).
        Assert.Equal(0, SignalQuality.RailedFraction([0, 5, 1, 2, 5, 0, 3], 1e-6));
        Assert.Equal(2.0 / 7, SignalQuality.RailedFraction([0, 5, 5, 1, 2, 3, 4], 1e-6), 1e-12);
        Assert.Equal(1, SignalQuality.RailedFraction([.. Enumerable.Range(0, 100).Select(i => i / 10 % 2 == 0 ? 1.0 : -1.0)], 1e-6));
    }

    [Fact]
    public void RailedFraction_FullScale_CountsSamplesBeyondIt()
    {
        // Gaussian σ = 10 beyond ±20 (2σ): 4.55 % of samples; 20000 samples give a standard error of 0.15 %.
        double[] x = Gaussian(20000, 10, 4);
        Assert.Equal(0.0455, SignalQuality.RailedFraction(x, 1e-6, fullScale: 20), 0.006);
        // A constant block is railed only if it sits at full scale.
        Assert.Equal(0, SignalQuality.RailedFraction(Enumerable.Repeat(5.0, 100).ToArray(), 1e-6, fullScale: 10));
        Assert.Equal(1, SignalQuality.RailedFraction(Enumerable.Repeat(-10.0, 100).ToArray(), 1e-6, fullScale: 10));
    }

    [Theory]
    [InlineData(50.0, 20.0, 10.0)]
    [InlineData(60.0, 5.0, 10.0)]
    [InlineData(50.0, 1.0, 8.0)]
    public void LineNoiseRatio_OnBinSines_IsTheSquaredAmplitudeRatio(double mains, double a, double b)
    {
        // 1 s Hann segments at 500 Hz: both sines sit on bins and their three-bin main lobes lie inside the ±1 Hz mains band
        // and inside 1–40 Hz; every segment holds whole periods, so the ratio is exact: (A²/2) / (B²/2).
        double[] x = Add(Sine(a, mains, 500, 10), Sine(b, 10, 500, 10, phase: 1.1));
        PowerSpectrum s = SignalQuality.Spectrum(x, 500)!;
        Assert.Equal(1.0, s.ResolutionHz, 12);
        Assert.Equal(a * a / 2, s.BandPower(mains - 1, mains + 1), 1e-9);
        Assert.Equal(a * a / (b * b), SignalQuality.LineNoiseRatio(s, mains, 1, 1, 40)!.Value, 1e-9);
        Assert.Equal(mains, SignalQuality.ChooseMains([s], 1));
        // The other mains frequency sees nothing.
        Assert.Equal(0, SignalQuality.LineNoiseRatio(s, mains == 50 ? 60 : 50, 1, 1, 40)!.Value, 1e-9);
    }

    [Fact]
    public void LineNoiseRatio_MainsOnNoisyEeg_WithinTheDerivedTolerance()
    {
        // x = 30 µV at 50 Hz + 10 µV at 10 Hz + white noise σ = 5 µV, 20 s at 500 Hz. White noise has density 2σ²/fs
        // = 0.1 µV²/Hz, so the ±1 Hz band (3 bins) holds 0.3 µV² of it and 1–40 Hz (40 bins) 4 µV²:
        // expected ratio = (450 + 0.3) / (50 + 4) = 8.339. Spread: the sine × noise cross terms dominate; for the
        // denominator their relative SD is √(2 · 0.3 / 50 / K) with K = 39 Welch segments ≈ 1.8 %, the numerator's
        // √(2 · 0.3 / 450 / 39) ≈ 0.6 %, the noise power itself ≈ 0.3 %: about 2 % in all, so 8 % is four SDs.
        double[] x = Add(Sine(30, 50, 500, 20), Sine(10, 10, 500, 20, phase: 0.7), Gaussian(10000, 5, 5));
        double expected = (450 + 0.3) / (50 + 4);
        double ratio = SignalQuality.LineNoiseRatio(SignalQuality.Spectrum(x, 500)!, 50, 1, 1, 40)!.Value;
        Assert.InRange(ratio, expected * 0.92, expected * 1.08);

        var t = new CheckThresholds();
        QualityJudgement j = SignalQuality.Judge(SignalQuality.Measure(x, SignalQuality.Spectrum(x, 500), 50, t), t, 50);
        Assert.Equal(CheckVerdict.Warn, j.Verdict);
        Assert.Contains(j.Reasons, r => r.StartsWith("line noise: 50 Hz power 8.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(500.0, 56)]  // 40..100 Hz = 61 bins, minus 49–51 and 99–100 (mains ± 1 Hz and its harmonic)
    [InlineData(250.0, 56)]  // 0.9 × Nyquist = 112.5 Hz, still above 100 Hz
    [InlineData(125.0, 14)]  // 40..56.25 Hz = 17 bins, minus 49–51
    public void HighFrequencyRms_WhiteNoise_IsAsPredictedFromItsDensity(double rate, int bins)
    {
        // White noise σ has one-sided density 2σ²/fs; the band keeps `bins` 1-Hz bins. 100 s give K = 199 Hann segments
        // (50 % overlap); neighbouring Hann bins correlate (|2/3|², |1/6|²), so the relative SD of the band power is
        // √(1.94 / bins / (K / 1.06)) ≈ 1.4 % for 56 bins, 2.8 % for 14: 4 SDs are 6 % and 11 % of the power.
        const double sigma = 8;
        double[] x = Gaussian((int)(rate * 100), sigma, 6);
        PowerSpectrum s = SignalQuality.Spectrum(x, rate)!;
        double expected = 2 * sigma * sigma / rate * bins;
        double hf = SignalQuality.HighFrequencyRms(s, 40, 100, 50, 1)!.Value;
        double tolerance = bins >= 50 ? 0.06 : 0.11;
        Assert.InRange(hf * hf, expected * (1 - tolerance), expected * (1 + tolerance));
    }

    [Fact]
    public void HighFrequencyRms_IgnoresMainsAndItsHarmonics_AndIsNullAboveNyquist()
    {
        double[] x = Add(Sine(30, 50, 500, 4), Sine(30, 100, 500, 4), Sine(2, 70, 500, 4));
        PowerSpectrum s = SignalQuality.Spectrum(x, 500)!;
        // Only the 70 Hz sine is counted: A/√2.
        Assert.Equal(2 / Math.Sqrt(2), SignalQuality.HighFrequencyRms(s, 40, 100, 50, 1)!.Value, 1e-9);
        Assert.Null(SignalQuality.HighFrequencyRms(SignalQuality.Spectrum(Gaussian(200, 1, 7), 50)!, 40, 100, 50, 1));
        Assert.Null(SignalQuality.LineNoiseRatio(SignalQuality.Spectrum(Gaussian(200, 1, 7), 50)!, 50, 1, 1, 40));
        Assert.Null(SignalQuality.Spectrum(new double[10], 500));
    }

    [Fact]
    public void CleanEegLikeSignal_Passes()
    {
        // 20 µV alpha + 5 µV white noise + 2 µV mains at 500 Hz: RMS ≈ 15 µV, ratio ≈ 0.04, HF ≈ 5·√(56/250) = 2.4 µV.
        double[] x = Add(Sine(20, 10, 500, 4), Gaussian(2000, 5, 8), Sine(2, 50, 500, 4));
        var t = new CheckThresholds();
        QualityJudgement j = SignalQuality.Judge(SignalQuality.Measure(x, SignalQuality.Spectrum(x, 500), 50, t), t, 50);
        Assert.Equal(CheckVerdict.Pass, j.Verdict);
        Assert.Empty(j.Reasons);
        Assert.False(j.Flat);
    }

    [Fact]
    public void NonElectricalChannel_OnlyConstantAndRailedAreJudged()
    {
        var t = new CheckThresholds();
        double[] intensity = Add(Enumerable.Repeat(1.0, 1000).ToArray(), Gaussian(1000, 0.001, 9));
        Assert.Equal(CheckVerdict.Pass, SignalQuality.Judge(SignalQuality.Measure(intensity, null, 50, t), t, 50, amplitudeCriteria: false).Verdict);
        Assert.Equal(CheckVerdict.Fail, SignalQuality.Judge(SignalQuality.Measure(Enumerable.Repeat(1.0, 1000).ToArray(), null, 50, t), t, 50, amplitudeCriteria: false).Verdict);
    }

    [Fact]
    public void Thresholds_Validate_NamesTheSetting_AndSerialiseStably()
    {
        Assert.Empty(new CheckThresholds().Validate());
        Assert.Contains(new CheckThresholds { FlatFailUv = 2 }.Validate(), p => p.Contains("Check:FlatFailUv (2) must be ≤ Check:FlatWarnUv (1)", StringComparison.Ordinal));
        Assert.Contains(new CheckThresholds { HfWarnUv = -1 }.Validate(), p => p.StartsWith("Check:HfWarnUv must be positive", StringComparison.Ordinal));
        Assert.Contains(new CheckThresholds { MainsHz = 0 }.Validate(), p => p.StartsWith("Check:MainsHz", StringComparison.Ordinal));

        // Property names and enum words do not depend on the serializer's options.
        string json = JsonSerializer.Serialize(new { t = new CheckThresholds(), v = CheckVerdict.Warn });
        Assert.Contains("\"flatFailUv\":0.5", json, StringComparison.Ordinal);
        Assert.Contains("\"mainsHz\":null", json, StringComparison.Ordinal);
        Assert.Contains("\"v\":\"warn\"", json, StringComparison.Ordinal);
        Assert.Equal(CheckVerdict.Fail, JsonSerializer.Deserialize<CheckVerdict>("\"fail\""));
    }
}
