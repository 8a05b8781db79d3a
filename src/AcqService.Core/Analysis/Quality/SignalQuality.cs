using System.Globalization;
using AcqService.Dsp;

namespace AcqService.Core.Analysis.Quality;

/// <summary>
/// The numerics of the pre-session signal check: per channel RMS, flatness, railed (clipped) samples, mains (line)
/// noise relative to the EEG band and high-frequency noise, each from one block of samples at a known rate, and
/// their verdicts against <see cref="CheckThresholds"/>. Pure functions; the spectrum is a Welch PSD
/// (<see cref="WelchEstimator"/>: Hann, 50 % overlap, mean removed per segment, density scaling, so band powers are in
/// signal unit² and a sine of amplitude A gives A²/2). Runs once per check, so it allocates freely.
/// </summary>
public static class SignalQuality
{
    /// <summary>Fewest samples for a spectrum: below this the frequency figures are not applicable.</summary>
    public const int MinSpectrumSamples = 16;

    /// <summary>Root mean square after removing the mean (the population standard deviation); 0 for an empty block.</summary>
    public static double Rms(ReadOnlySpan<double> samples)
    {
        if (samples.IsEmpty)
        {
            return 0;
        }
        double mean = Mean(samples);
        double sum = 0;
        foreach (double v in samples)
        {
            double d = v - mean;
            sum += d * d;
        }
        return Math.Sqrt(sum / samples.Length);
    }

    /// <summary>Maximum minus minimum; 0 for an empty block.</summary>
    public static double PeakToPeak(ReadOnlySpan<double> samples) =>
        samples.IsEmpty ? 0 : MaxOf(samples) - MinOf(samples);

    /// <summary>
    /// Fraction of samples that sit at the block's maximum or minimum (within <paramref name="epsilonFraction"/> of the
    /// peak-to-peak range) together with a neighbour at the same extreme, or at or beyond ± <paramref name="fullScale"/>
    /// when one is given. A clipped amplifier holds its rail for consecutive samples; a continuous signal touches its
    /// extreme with one sample at a time, even a periodic one that comes back to the same crest value every period.
    /// A constant block counts as railed only through <paramref name="fullScale"/> (it is flat, which is its own finding).
    /// </summary>
    public static double RailedFraction(ReadOnlySpan<double> samples, double epsilonFraction, double? fullScale = null)
    {
        if (samples.IsEmpty)
        {
            return 0;
        }
        double max = MaxOf(samples), min = MinOf(samples);
        double range = max - min;
        double epsilon = epsilonFraction * range;
        int railed = 0;
        for (int i = 0; i < samples.Length; i++)
        {
            bool high = range > 0 && IsHigh(samples, i, max - epsilon) && (IsHigh(samples, i - 1, max - epsilon) || IsHigh(samples, i + 1, max - epsilon));
            bool low = range > 0 && IsLow(samples, i, min + epsilon) && (IsLow(samples, i - 1, min + epsilon) || IsLow(samples, i + 1, min + epsilon));
            bool full = fullScale is double f && Math.Abs(samples[i]) >= f;
            railed += high || low || full ? 1 : 0;
        }
        return (double)railed / samples.Length;
    }

    private static bool IsHigh(ReadOnlySpan<double> samples, int i, double limit) => (uint)i < (uint)samples.Length && samples[i] >= limit;

    private static bool IsLow(ReadOnlySpan<double> samples, int i, double limit) => (uint)i < (uint)samples.Length && samples[i] <= limit;

    /// <summary>
    /// Welch PSD of the block with segments of <paramref name="segmentSeconds"/> (shortened to the block when it is
    /// shorter), or null when the block has fewer than <see cref="MinSpectrumSamples"/> samples.
    /// </summary>
    public static PowerSpectrum? Spectrum(ReadOnlySpan<double> samples, double sampleRateHz, double segmentSeconds = 1)
    {
        if (samples.Length < MinSpectrumSamples || !(sampleRateHz > 0))
        {
            return null;
        }
        int segment = Math.Clamp((int)Math.Round(segmentSeconds * sampleRateHz), MinSpectrumSamples, samples.Length);
        var welch = new WelchEstimator(sampleRateHz, segment, segment / 2, WindowKind.Hann, DetrendKind.Constant);
        double[] psd = new double[welch.FrequencyCount];
        welch.Estimate(samples, psd);
        return new PowerSpectrum(psd, welch.FrequencyResolution, sampleRateHz);
    }

    /// <summary>
    /// Power in the mains band [mains − w, mains + w] over the power in [<paramref name="broadLowHz"/>,
    /// <paramref name="broadHighHz"/>] (edges inclusive, as <see cref="Dsp.BandPower.Integrate"/>). Null when the mains
    /// band reaches Nyquist or the broad band holds no power. For on-bin sines the Hann main lobe (three bins) lies inside a
    /// ±1 Hz band at 1 Hz resolution, so a 50 Hz sine of amplitude A over a 10 Hz one of amplitude B gives exactly (A/B)².
    /// </summary>
    public static double? LineNoiseRatio(PowerSpectrum spectrum, double mainsHz, double halfWidthHz, double broadLowHz, double broadHighHz)
    {
        ArgumentNullException.ThrowIfNull(spectrum);
        double nyquist = spectrum.SampleRateHz / 2;
        if (mainsHz + halfWidthHz >= nyquist || mainsHz - halfWidthHz < 0)
        {
            return null;
        }
        double mains = spectrum.BandPower(mainsHz - halfWidthHz, mainsHz + halfWidthHz);
        double broad = spectrum.BandPower(broadLowHz, Math.Min(broadHighHz, nyquist));
        // Relative to the total, so that float rounding of an all-zero block cannot produce a ratio of noise over noise.
        return broad > 1e-12 * spectrum.TotalPower() && broad > 0 ? mains / broad : null;
    }

    /// <summary>
    /// RMS in [<paramref name="lowHz"/>, min(<paramref name="highHz"/>, 0.9 × Nyquist)] without the bins within
    /// <paramref name="mainsHalfWidthHz"/> of the mains frequency and its harmonics (mains has its own criterion). Null
    /// when the band is empty. White noise of variance σ² has density 2σ²/fs, so the expected power is
    /// 2σ²/fs × (included bins) × bin width.
    /// </summary>
    public static double? HighFrequencyRms(PowerSpectrum spectrum, double lowHz, double highHz, double mainsHz, double mainsHalfWidthHz)
    {
        ArgumentNullException.ThrowIfNull(spectrum);
        double high = Math.Min(highHz, 0.9 * spectrum.SampleRateHz / 2);
        if (!(high > lowHz))
        {
            return null;
        }
        double sum = 0;
        int bins = 0;
        for (int k = 0; k < spectrum.Density.Length; k++)
        {
            double f = k * spectrum.ResolutionHz;
            if (f < lowHz || f > high || IsNearHarmonic(f, mainsHz, mainsHalfWidthHz))
            {
                continue;
            }
            sum += spectrum.Density[k];
            bins++;
        }
        return bins == 0 ? null : Math.Sqrt(sum * spectrum.ResolutionHz);
    }

    /// <summary>True when <paramref name="frequencyHz"/> lies within <paramref name="halfWidthHz"/> of a harmonic k·mains, k ≥ 1.</summary>
    public static bool IsNearHarmonic(double frequencyHz, double mainsHz, double halfWidthHz)
    {
        if (!(mainsHz > 0))
        {
            return false;
        }
        double k = Math.Max(1, Math.Round(frequencyHz / mainsHz));
        return Math.Abs(frequencyHz - (k * mainsHz)) <= halfWidthHz;
    }

    /// <summary>
    /// For automatic mains detection: 50 or 60 Hz, whichever band (± <paramref name="halfWidthHz"/>) holds more power
    /// summed over the spectra (50 on a tie, and when neither band is below Nyquist).
    /// </summary>
    public static double ChooseMains(IEnumerable<PowerSpectrum> spectra, double halfWidthHz)
    {
        double p50 = 0, p60 = 0;
        foreach (PowerSpectrum s in spectra)
        {
            double nyquist = s.SampleRateHz / 2;
            p50 += 50 + halfWidthHz < nyquist ? s.BandPower(50 - halfWidthHz, 50 + halfWidthHz) : 0;
            p60 += 60 + halfWidthHz < nyquist ? s.BandPower(60 - halfWidthHz, 60 + halfWidthHz) : 0;
        }
        return p60 > p50 ? 60 : 50;
    }

    /// <summary>
    /// Every figure of one channel. <paramref name="spectrum"/> is the block's <see cref="Spectrum"/> (passed in so
    /// that automatic mains detection and the measurement share one), or null for none.
    /// </summary>
    public static ChannelQuality Measure(ReadOnlySpan<double> samples, PowerSpectrum? spectrum, double mainsHz, CheckThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        return new ChannelQuality(
            samples.Length,
            Rms(samples),
            PeakToPeak(samples),
            RailedFraction(samples, thresholds.RailEpsilonFraction, thresholds.FullScaleUv),
            spectrum is null ? null : LineNoiseRatio(spectrum, mainsHz, thresholds.MainsHalfWidthHz, thresholds.BroadLowHz, thresholds.BroadHighHz),
            spectrum is null ? null : HighFrequencyRms(spectrum, thresholds.HfLowHz, thresholds.HfHighHz, mainsHz, thresholds.MainsHalfWidthHz));
    }

    /// <summary>
    /// Judges a channel. With <paramref name="amplitudeCriteria"/> (electrophysiological channels in µV) every
    /// threshold applies; without (other units, e.g. fNIRS intensities) only a constant signal (fail) and railed
    /// samples are judged. Reasons name the figure, its value and the threshold it crossed.
    /// </summary>
    public static QualityJudgement Judge(ChannelQuality quality, CheckThresholds thresholds, double mainsHz, bool amplitudeCriteria = true)
    {
        ArgumentNullException.ThrowIfNull(quality);
        ArgumentNullException.ThrowIfNull(thresholds);
        var reasons = new List<string>();
        CheckVerdict verdict = CheckVerdict.Pass;
        void Add(CheckVerdict v, string reason)
        {
            verdict = v > verdict ? v : verdict;
            reasons.Add(reason);
        }

        bool flat;
        if (amplitudeCriteria)
        {
            flat = quality.Rms < thresholds.FlatFailUv;
            if (flat)
            {
                Add(CheckVerdict.Fail, $"flat: RMS {F(quality.Rms)} µV < {F(thresholds.FlatFailUv)} µV");
            }
            else if (quality.Rms < thresholds.FlatWarnUv)
            {
                Add(CheckVerdict.Warn, $"low amplitude: RMS {F(quality.Rms)} µV < {F(thresholds.FlatWarnUv)} µV");
            }
            else if (quality.Rms >= thresholds.RmsFailUv)
            {
                Add(CheckVerdict.Fail, $"high amplitude: RMS {F(quality.Rms)} µV ≥ {F(thresholds.RmsFailUv)} µV");
            }
            else if (quality.Rms >= thresholds.RmsWarnUv)
            {
                Add(CheckVerdict.Warn, $"high amplitude: RMS {F(quality.Rms)} µV ≥ {F(thresholds.RmsWarnUv)} µV");
            }
        }
        else
        {
            flat = quality.Samples > 1 && quality.PeakToPeak == 0;
            if (flat)
            {
                Add(CheckVerdict.Fail, "flat: every value is the same");
            }
        }

        double railedPercent = 100 * quality.RailedFraction;
        if (quality.RailedFraction >= thresholds.RailedFailFraction)
        {
            Add(CheckVerdict.Fail, $"railed: {F(railedPercent)} % of samples at the extremes ≥ {F(100 * thresholds.RailedFailFraction)} %");
        }
        else if (quality.RailedFraction >= thresholds.RailedWarnFraction)
        {
            Add(CheckVerdict.Warn, $"railed: {F(railedPercent)} % of samples at the extremes ≥ {F(100 * thresholds.RailedWarnFraction)} %");
        }

        if (amplitudeCriteria && quality.LineNoiseRatio is double ratio)
        {
            string band = $"{F(thresholds.BroadLowHz)}–{F(thresholds.BroadHighHz)} Hz";
            if (ratio >= thresholds.LineNoiseFailRatio)
            {
                Add(CheckVerdict.Fail, $"line noise: {F(mainsHz)} Hz power {F(ratio)} × the {band} power ≥ {F(thresholds.LineNoiseFailRatio)}");
            }
            else if (ratio >= thresholds.LineNoiseWarnRatio)
            {
                Add(CheckVerdict.Warn, $"line noise: {F(mainsHz)} Hz power {F(ratio)} × the {band} power ≥ {F(thresholds.LineNoiseWarnRatio)}");
            }
        }

        if (amplitudeCriteria && quality.HfNoise is double hf)
        {
            string band = $"{F(thresholds.HfLowHz)}–{F(thresholds.HfHighHz)} Hz";
            if (hf >= thresholds.HfFailUv)
            {
                Add(CheckVerdict.Fail, $"high-frequency noise: {F(hf)} µV RMS in {band} ≥ {F(thresholds.HfFailUv)} µV");
            }
            else if (hf >= thresholds.HfWarnUv)
            {
                Add(CheckVerdict.Warn, $"high-frequency noise: {F(hf)} µV RMS in {band} ≥ {F(thresholds.HfWarnUv)} µV");
            }
        }
        return new QualityJudgement(verdict, flat, reasons);
    }

    /// <summary>Three significant digits, invariant culture (reasons are read by people and stored in reports).</summary>
    internal static string F(double value) => value.ToString(Math.Abs(value) >= 100 ? "F0" : "G3", CultureInfo.InvariantCulture);

    private static double Mean(ReadOnlySpan<double> samples)
    {
        double sum = 0;
        foreach (double v in samples)
        {
            sum += v;
        }
        return sum / samples.Length;
    }

    private static double MaxOf(ReadOnlySpan<double> samples)
    {
        double max = double.NegativeInfinity;
        foreach (double v in samples)
        {
            max = Math.Max(max, v);
        }
        return max;
    }

    private static double MinOf(ReadOnlySpan<double> samples)
    {
        double min = double.PositiveInfinity;
        foreach (double v in samples)
        {
            min = Math.Min(min, v);
        }
        return min;
    }
}

/// <summary>A one-sided power spectral density (density scaling) with its bin width and the sampling rate it came from.</summary>
/// <param name="Density">PSD per bin (signal unit²/Hz); bin k is centred at k × <paramref name="ResolutionHz"/>.</param>
/// <param name="ResolutionHz">Bin width.</param>
/// <param name="SampleRateHz">Sampling rate of the analysed block.</param>
public sealed record PowerSpectrum(double[] Density, double ResolutionHz, double SampleRateHz)
{
    /// <summary>Power in [low, high], edges inclusive (<see cref="Dsp.BandPower.Integrate"/>).</summary>
    public double BandPower(double lowHz, double highHz) => Dsp.BandPower.Integrate(Density, ResolutionHz, lowHz, highHz);

    /// <summary>Power over every bin.</summary>
    public double TotalPower() => Dsp.BandPower.Integrate(Density, ResolutionHz, 0, double.MaxValue);
}
