namespace AcqService.Core.Analysis.Quality;

/// <summary>
/// Measured signal-quality figures of one channel over one block (before judging them against thresholds). Null means
/// "not applicable": the block is too short for a spectrum, the band lies above Nyquist, or the channel has no EEG-band
/// power to compare with.
/// </summary>
/// <param name="Samples">Samples in the block.</param>
/// <param name="Rms">Root mean square after removing the block's mean (µV for electrophysiological channels).</param>
/// <param name="PeakToPeak">Maximum minus minimum.</param>
/// <param name="RailedFraction">Fraction of samples at the block's extremes (or beyond full scale); see <see cref="SignalQuality.RailedFraction"/>.</param>
/// <param name="LineNoiseRatio">Mains-band power over EEG-band power; see <see cref="SignalQuality.LineNoiseRatio"/>.</param>
/// <param name="HfNoise">RMS in the high-frequency band, mains harmonics excluded; see <see cref="SignalQuality.HighFrequencyRms"/>.</param>
public sealed record ChannelQuality(int Samples, double Rms, double PeakToPeak, double RailedFraction, double? LineNoiseRatio, double? HfNoise);

/// <summary>A channel's verdict and the reasons for it (empty when it passes).</summary>
/// <param name="Verdict">Worst verdict over the criteria.</param>
/// <param name="Flat">True when the RMS is below <see cref="CheckThresholds.FlatFailUv"/> (or the values are constant).</param>
/// <param name="Reasons">One line per crossed threshold, naming the value and the threshold.</param>
public sealed record QualityJudgement(CheckVerdict Verdict, bool Flat, IReadOnlyList<string> Reasons);
