namespace AcqService.Dsp;

/// <summary>
/// Causal motion-artefact detector for interleaved fNIRS channels (optical density or haemoglobin), the live
/// counterpart of the rejection rule inside <see cref="Tddr"/>.
/// <para>
/// Rule, per channel: (1) subtract the channel's first sample (only derivatives matter, and it lets the filter start
/// from rest without a start-up step); (2) optionally low-pass causally at <see cref="Tddr.LowPassHz"/> with a
/// Butterworth of order <see cref="Tddr.LowPassOrder"/> (TDDR's split; removes the cardiac pulse so that it is not
/// counted); (3) take the first difference d; (4) over the first <see cref="CalibrationFrames"/> differences, estimate
/// the centre c = median(d) and the robust spread σ = 1.4826·median|d − c| once, then freeze them; (5) afterwards
/// every difference with |d − c| ≥ <see cref="Threshold"/>·σ is a hit — with the default threshold 4.685 exactly the
/// derivatives that TDDR's Tukey weights would drop to 0. If σ is 0 (a flat calibration period), any change is a hit.
/// </para>
/// <para>
/// Differences from offline TDDR, on purpose: the centre/σ come from a fixed calibration period instead of the whole
/// recording; the centre is the median rather than the iterated biweight mean; the low-pass is causal (its group delay,
/// about 0.5 s at 0.5 Hz, delays and spreads each jump over a few frames). Hits are counted per sample
/// (<see cref="HitCount"/>) and per event (<see cref="EventCount"/>): hits closer than <see cref="EventGapFrames"/> frames to the
/// previous hit of the channel belong to the same event, because the low-pass rings after a jump and its derivative can
/// dip under the threshold and rise again. Nothing is repaired.
/// </para>
/// Allocation-free after construction; not thread-safe.
/// </summary>
public sealed class DerivativeArtifactDetector
{
    private readonly int _channels;
    private readonly int _calibrationFrames;
    private readonly SosFilter? _lowPass;
    private readonly double[] _frame;
    private readonly double[] _first;
    private readonly double[] _previous;
    private readonly double[] _calibration;
    private readonly double[] _centre;
    private readonly double[] _sigma;
    private readonly long[] _hits;
    private readonly long[] _events;
    private readonly long[] _lastHit;
    private long _frames;

    /// <summary>Creates a detector.</summary>
    /// <param name="channels">Number of interleaved channels (≥ 1).</param>
    /// <param name="sampleRateHz">Sample rate in Hz.</param>
    /// <param name="calibrationFrames">Number of differences per channel used to fix centre and σ (≥ 2), e.g. 30 s × rate.</param>
    /// <param name="threshold">Hit threshold in units of σ (default <see cref="Tddr.Tune"/>).</param>
    /// <param name="lowPass">Apply TDDR's 0.5 Hz low-pass before differencing (ignored when the rate is ≤ 1 Hz, as in TDDR).</param>
    /// <param name="eventGapSeconds">Hits at most this far apart (s) count as one event (≥ 0; default 1 s).</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is too small, the rate/threshold is not finite and positive, or the gap is negative.</exception>
    public DerivativeArtifactDetector(int channels, double sampleRateHz, int calibrationFrames, double threshold = Tddr.Tune, bool lowPass = true, double eventGapSeconds = 1.0)
    {
        if (!(eventGapSeconds >= 0.0 && double.IsFinite(eventGapSeconds)))
        {
            throw new ArgumentOutOfRangeException(nameof(eventGapSeconds), eventGapSeconds, "Must be finite and not negative.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(calibrationFrames, 2);
        Guard.ThrowIfNotPositiveFinite(sampleRateHz);
        Guard.ThrowIfNotPositiveFinite(threshold);
        _channels = channels;
        _calibrationFrames = calibrationFrames;
        Threshold = threshold;
        if (lowPass && Tddr.LowPassHz * 2.0 / sampleRateHz < 1.0)
        {
            _lowPass = new SosFilter(FilterDesign.ButterworthLowPass(Tddr.LowPassOrder, Tddr.LowPassHz, sampleRateHz), channels);
        }

        _frame = new double[channels];
        _first = new double[channels];
        _previous = new double[channels];
        _calibration = new double[channels * calibrationFrames];
        _centre = new double[channels];
        _sigma = new double[channels];
        _hits = new long[channels];
        _events = new long[channels];
        _lastHit = new long[channels];
        Array.Fill(_lastHit, long.MinValue);
        EventGapFrames = (int)Math.Round(eventGapSeconds * sampleRateHz);
    }

    /// <summary>Number of interleaved channels.</summary>
    public int Channels => _channels;

    /// <summary>Differences per channel in the calibration period.</summary>
    public int CalibrationFrames => _calibrationFrames;

    /// <summary>Hit threshold in units of σ.</summary>
    public double Threshold { get; }

    /// <summary>Largest distance in frames between two hits of one event.</summary>
    public int EventGapFrames { get; }

    /// <summary>True once centre and σ are fixed (detection is active).</summary>
    public bool Calibrated => _frames > _calibrationFrames;

    /// <summary>Frames seen so far.</summary>
    public long Frames => _frames;

    /// <summary>Centre of the derivative distribution of <paramref name="channel"/> (NaN before calibration).</summary>
    public double Centre(int channel) => Calibrated ? _centre[CheckChannel(channel)] : double.NaN;

    /// <summary>Robust σ of the derivative of <paramref name="channel"/> (NaN before calibration).</summary>
    public double Sigma(int channel) => Calibrated ? _sigma[CheckChannel(channel)] : double.NaN;

    /// <summary>Samples of <paramref name="channel"/> flagged so far.</summary>
    public long HitCount(int channel) => _hits[CheckChannel(channel)];

    /// <summary>Artefact events of <paramref name="channel"/> so far (hits grouped by <see cref="EventGapFrames"/>).</summary>
    public long EventCount(int channel) => _events[CheckChannel(channel)];

    /// <summary>Processes <c>frames × Channels</c> interleaved values.</summary>
    /// <returns>Hits in this chunk (all channels).</returns>
    /// <exception cref="ArgumentException">The length is not a whole number of frames.</exception>
    public int Process(ReadOnlySpan<double> interleaved) => Process(interleaved, []);

    /// <summary>Processes <c>frames × Channels</c> interleaved values and marks each value that is a hit.</summary>
    /// <param name="interleaved">Input frames.</param>
    /// <param name="hits">Either empty, or one flag per input value (same length), set to whether it is a hit.</param>
    /// <returns>Hits in this chunk (all channels).</returns>
    /// <exception cref="ArgumentException">The length is not a whole number of frames, or <paramref name="hits"/> has another non-zero length.</exception>
    public int Process(ReadOnlySpan<double> interleaved, Span<bool> hits)
    {
        if (interleaved.Length % _channels != 0)
        {
            throw new ArgumentException($"Length {interleaved.Length} is not a whole number of {_channels}-channel frames.", nameof(interleaved));
        }

        if (hits.Length != 0 && hits.Length != interleaved.Length)
        {
            throw new ArgumentException($"Hit flags need {interleaved.Length} entries or none; got {hits.Length}.", nameof(hits));
        }

        int count = 0;
        for (int offset = 0; offset < interleaved.Length; offset += _channels)
        {
            if (_frames == 0)
            {
                interleaved.Slice(offset, _channels).CopyTo(_first);
            }

            for (int ch = 0; ch < _channels; ch++)
            {
                _frame[ch] = interleaved[offset + ch] - _first[ch];
            }

            // One frame at a time through the filter keeps the scratch buffer fixed-size whatever the chunk size.
            _lowPass?.Process(_frame);
            for (int ch = 0; ch < _channels; ch++)
            {
                bool hit = false;
                if (_frames > 0)
                {
                    double d = _frame[ch] - _previous[ch];
                    if (_frames <= _calibrationFrames)
                    {
                        _calibration[(ch * _calibrationFrames) + (int)(_frames - 1)] = d;
                    }
                    else
                    {
                        double dev = Math.Abs(d - _centre[ch]);
                        hit = _sigma[ch] == 0.0 ? dev > 0.0 : dev >= Threshold * _sigma[ch];
                    }
                }

                if (hit)
                {
                    count++;
                    _hits[ch]++;
                    if (_lastHit[ch] == long.MinValue || _frames - _lastHit[ch] > EventGapFrames)
                    {
                        _events[ch]++;
                    }

                    _lastHit[ch] = _frames;
                }

                if (hits.Length != 0)
                {
                    hits[offset + ch] = hit;
                }

                _previous[ch] = _frame[ch];
            }

            _frames++;
            if (_frames == _calibrationFrames + 1)
            {
                Calibrate();
            }
        }

        return count;
    }

    private void Calibrate()
    {
        for (int ch = 0; ch < _channels; ch++)
        {
            // Sorting in place is fine: the calibration values are not needed afterwards.
            Span<double> d = _calibration.AsSpan(ch * _calibrationFrames, _calibrationFrames);
            d.Sort();
            double centre = SortedMedian(d);
            for (int i = 0; i < d.Length; i++)
            {
                d[i] = Math.Abs(d[i] - centre);
            }

            d.Sort();
            _centre[ch] = centre;
            _sigma[ch] = Tddr.MadToSigma * SortedMedian(d);
        }
    }

    private static double SortedMedian(ReadOnlySpan<double> sorted)
    {
        int m = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2.0;
    }

    private int CheckChannel(int channel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(channel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(channel, _channels);
        return channel;
    }
}
