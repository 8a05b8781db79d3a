using System.Globalization;
using System.Text.Json.Serialization;

namespace AcqService.Core.Analysis.Quality;

/// <summary>
/// Thresholds and analysis bands of the pre-session signal check (<c>acq check</c>; configuration section <c>Check</c>,
/// e.g. <c>--Check:FlatFailUv=0.3</c>). Amplitudes are in µV (channel values are converted from their unit), powers
/// in µV². The report repeats the values it used. Amplitude criteria apply to electrophysiological channels
/// (EEG, EOG, EMG, ECG, ExG); other signal channels (fNIRS intensities) are judged only on constant and railed values.
/// </summary>
public sealed class CheckThresholds
{
    /// <summary>
    /// Mains frequency in Hz (50 in Europe, Asia, Africa, Australia; 60 in the Americas), or null for automatic: per
    /// stream, whichever of 50 and 60 Hz carries more power summed over the channels.
    /// </summary>
    [JsonPropertyName("mainsHz")]
    public double? MainsHz { get; set; }

    /// <summary>Half width of the mains band: power in [mains − w, mains + w] (and the same around its harmonics for the high-frequency band).</summary>
    [JsonPropertyName("mainsHalfWidthHz")]
    public double MainsHalfWidthHz { get; set; } = 1;

    /// <summary>Lower edge of the EEG band the mains power is compared with.</summary>
    [JsonPropertyName("broadLowHz")]
    public double BroadLowHz { get; set; } = 1;

    /// <summary>Upper edge of the EEG band the mains power is compared with.</summary>
    [JsonPropertyName("broadHighHz")]
    public double BroadHighHz { get; set; } = 40;

    /// <summary>Lower edge of the high-frequency (muscle, electrode) noise band.</summary>
    [JsonPropertyName("hfLowHz")]
    public double HfLowHz { get; set; } = 40;

    /// <summary>
    /// Upper edge of the high-frequency band, capped at 0.9 × Nyquist. A fixed edge (rather than Nyquist) keeps the µV
    /// thresholds comparable between a 250 Hz and a 1 kHz amplifier, whose noise would otherwise be summed over different widths.
    /// </summary>
    [JsonPropertyName("hfHighHz")]
    public double HfHighHz { get; set; } = 100;

    /// <summary>Welch segment length (Hann, 50 % overlap, mean removed); 1 s gives 1 Hz bins, fine enough for a ±1 Hz mains band.</summary>
    [JsonPropertyName("segmentSeconds")]
    public double SegmentSeconds { get; set; } = 1;

    /// <summary>RMS (mean removed) below this is a warning (a weakly connected or shorted input).</summary>
    [JsonPropertyName("flatWarnUv")]
    public double FlatWarnUv { get; set; } = 1;

    /// <summary>RMS below this is a failure: the channel is flat (reported as <c>flat</c>). EEG is never this quiet.</summary>
    [JsonPropertyName("flatFailUv")]
    public double FlatFailUv { get; set; } = 0.5;

    /// <summary>RMS above this is a warning (drift, movement, a loose electrode).</summary>
    [JsonPropertyName("rmsWarnUv")]
    public double RmsWarnUv { get; set; } = 100;

    /// <summary>RMS above this is a failure.</summary>
    [JsonPropertyName("rmsFailUv")]
    public double RmsFailUv { get; set; } = 500;

    /// <summary>
    /// Samples within this fraction of the block's peak-to-peak range of its maximum or minimum count as "at the
    /// extreme" (railed when a neighbour is too). A clipped amplifier repeats its rail value exactly (float rounding needs
    /// a little room); kept small so that consecutive samples of a slow, smooth wave near its crest are not taken for a rail.
    /// </summary>
    [JsonPropertyName("railEpsilonFraction")]
    public double RailEpsilonFraction { get; set; } = 1e-6;

    /// <summary>Amplifier full scale in µV (e.g. 187500 for an OpenBCI Cyton at gain 24), or null: |value| ≥ it counts as railed too.</summary>
    [JsonPropertyName("fullScaleUv")]
    public double? FullScaleUv { get; set; }

    /// <summary>Fraction of railed samples from which the channel is a warning.</summary>
    [JsonPropertyName("railedWarnFraction")]
    public double RailedWarnFraction { get; set; } = 0.01;

    /// <summary>Fraction of railed samples from which the channel fails.</summary>
    [JsonPropertyName("railedFailFraction")]
    public double RailedFailFraction { get; set; } = 0.05;

    /// <summary>
    /// Mains-band power over EEG-band power from which the channel is a warning (5: mains RMS ≈ 2.2 × the EEG's). Mains
    /// itself is removed by the notch filter; much more of it on one channel than on the others means a poor contact.
    /// </summary>
    [JsonPropertyName("lineNoiseWarnRatio")]
    public double LineNoiseWarnRatio { get; set; } = 5;

    /// <summary>Mains-band power over EEG-band power from which the channel fails (20: mains RMS ≈ 4.5 × the EEG's).</summary>
    [JsonPropertyName("lineNoiseFailRatio")]
    public double LineNoiseFailRatio { get; set; } = 20;

    /// <summary>RMS in the high-frequency band (mains harmonics excluded) from which the channel is a warning.</summary>
    [JsonPropertyName("hfWarnUv")]
    public double HfWarnUv { get; set; } = 5;

    /// <summary>RMS in the high-frequency band from which the channel fails (muscle activity, bad contact).</summary>
    [JsonPropertyName("hfFailUv")]
    public double HfFailUv { get; set; } = 10;

    /// <summary>Relative deviation of the effective from the nominal rate from which the stream is a warning.</summary>
    [JsonPropertyName("rateWarnFraction")]
    public double RateWarnFraction { get; set; } = 0.01;

    /// <summary>Relative deviation of the effective from the nominal rate from which the stream fails.</summary>
    [JsonPropertyName("rateFailFraction")]
    public double RateFailFraction { get; set; } = 0.05;

    /// <summary>A copy (a request's thresholds may be adjusted, e.g. the mains frequency, without touching the settings).</summary>
    public CheckThresholds Clone() => (CheckThresholds)MemberwiseClone();

    /// <summary>Validates the values; returns problems naming the setting (<c>Check:…</c>).</summary>
    public IEnumerable<string> Validate()
    {
        if (MainsHz is double mains && !(mains > 0 && double.IsFinite(mains)))
        {
            yield return $"Check:MainsHz must be a positive frequency (50 or 60), or absent for automatic (was {Format(mains)})";
        }
        foreach ((string name, double value) in new[]
        {
            ("MainsHalfWidthHz", MainsHalfWidthHz), ("BroadHighHz", BroadHighHz), ("HfHighHz", HfHighHz), ("SegmentSeconds", SegmentSeconds),
            ("FlatWarnUv", FlatWarnUv), ("FlatFailUv", FlatFailUv), ("RmsWarnUv", RmsWarnUv), ("RmsFailUv", RmsFailUv),
            ("RailedWarnFraction", RailedWarnFraction), ("RailedFailFraction", RailedFailFraction), ("LineNoiseWarnRatio", LineNoiseWarnRatio),
            ("LineNoiseFailRatio", LineNoiseFailRatio), ("HfWarnUv", HfWarnUv), ("HfFailUv", HfFailUv), ("RateWarnFraction", RateWarnFraction),
            ("RateFailFraction", RateFailFraction),
        })
        {
            if (!(value > 0) || !double.IsFinite(value))
            {
                yield return $"Check:{name} must be positive (was {Format(value)})";
            }
        }
        if (!(BroadLowHz >= 0) || !(BroadHighHz > BroadLowHz))
        {
            yield return $"Check:BroadLowHz must be ≥ 0 and below Check:BroadHighHz (were {Format(BroadLowHz)}, {Format(BroadHighHz)})";
        }
        if (!(HfLowHz >= 0) || !(HfHighHz > HfLowHz))
        {
            yield return $"Check:HfLowHz must be ≥ 0 and below Check:HfHighHz (were {Format(HfLowHz)}, {Format(HfHighHz)})";
        }
        if (!(RailEpsilonFraction >= 0) || !(RailEpsilonFraction < 0.5))
        {
            yield return $"Check:RailEpsilonFraction must be in [0, 0.5) (was {Format(RailEpsilonFraction)})";
        }
        if (FullScaleUv is double full && !(full > 0 && double.IsFinite(full)))
        {
            yield return $"Check:FullScaleUv must be positive, or absent (was {Format(full)})";
        }
        foreach ((string warn, double w, string fail, double f, bool lowIsBad) in new[]
        {
            ("FlatWarnUv", FlatWarnUv, "FlatFailUv", FlatFailUv, true),
            ("RmsWarnUv", RmsWarnUv, "RmsFailUv", RmsFailUv, false),
            ("RailedWarnFraction", RailedWarnFraction, "RailedFailFraction", RailedFailFraction, false),
            ("LineNoiseWarnRatio", LineNoiseWarnRatio, "LineNoiseFailRatio", LineNoiseFailRatio, false),
            ("HfWarnUv", HfWarnUv, "HfFailUv", HfFailUv, false),
            ("RateWarnFraction", RateWarnFraction, "RateFailFraction", RateFailFraction, false),
        })
        {
            // A warning must come before the failure it announces.
            if (lowIsBad ? f > w : f < w)
            {
                yield return $"Check:{fail} ({Format(f)}) must be {(lowIsBad ? "≤" : "≥")} Check:{warn} ({Format(w)})";
            }
        }
        if (RailedFailFraction > 1)
        {
            yield return $"Check:RailedFailFraction is a fraction of the samples, at most 1 (was {Format(RailedFailFraction)})";
        }
    }

    private static string Format(double value) => value.ToString("G", CultureInfo.InvariantCulture);
}
