namespace AcqService.Core.Pipeline;

/// <summary>
/// The expected timeline of one regularly sampled stream, used to tell a data gap from timestamp jitter.
/// <para>
/// The expected time of the next sample is the median, over the last <see cref="WindowSize"/> samples, of each
/// sample's time projected forward at the nominal period (<c>t_j + (n − j) · period</c>). The median ignores
/// single late or early stamps, follows clock drift (only the last few periods are used, so a rate error of
/// even 1 % moves the projection by less than a tenth of a period), and needs no warm-up beyond one sample.
/// </para>
/// <para>
/// A sample is a gap when its timestamp is later than its expected time by more than
/// <c>max(GapThresholdPeriods × period, GapJitterFactor × jitter)</c>, where jitter is the running RMS of the
/// timestamps' deviation from the expected timeline (deviations clipped at the threshold, so gaps and outliers
/// do not inflate it; it starts at half a period with the weight of 16 samples and then follows the last
/// ~10 s of samples). Jitter therefore never turns into gaps, however large it is relative to the period,
/// while a hole much longer than the jitter is found at its first sample. After a gap the timeline restarts
/// at the first sample after it.
/// </para>
/// Raw timestamps are only read, never changed, so a replay judges gaps exactly as the live run did.
/// Allocation-free; one instance per stream, used by one thread.
/// </summary>
public sealed class StreamTimeline
{
    /// <summary>Samples whose forward projections form the median (odd, so the median is one sample's).</summary>
    public const int WindowSize = 15;

    /// <summary>Jitter assumed before any sample was seen, in periods (prior of the running RMS).</summary>
    private const double PriorJitterPeriods = 0.5;

    /// <summary>Weight of the prior, in samples.</summary>
    private const double PriorWeight = 16;

    private readonly double _period;
    private readonly double _thresholdPeriods;
    private readonly double _jitterFactor;
    private readonly double _maxWeight;
    /// <summary>Projection bases <c>t_j − j · period</c> in arrival order (a ring; <see cref="_head"/> is the next write).</summary>
    private readonly double[] _arrival = new double[WindowSize];
    /// <summary>The same bases sorted, first <see cref="_count"/> valid.</summary>
    private readonly double[] _sorted = new double[WindowSize];
    private int _count;
    private int _head;
    /// <summary>Samples since the timeline was (re)started; the next sample's index j.</summary>
    private long _next;
    private bool _anchored;
    private double _variance;
    private double _weight;

    /// <summary>Creates the timeline of a stream.</summary>
    /// <param name="nominalRateHz">Nominal sampling rate (&gt; 0).</param>
    /// <param name="gapThresholdPeriods">Minimum lateness of a gap, in nominal periods.</param>
    /// <param name="gapJitterFactor">Minimum lateness of a gap, in multiples of the measured jitter (RMS).</param>
    public StreamTimeline(double nominalRateHz, double gapThresholdPeriods, double gapJitterFactor)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nominalRateHz);
        _period = 1.0 / nominalRateHz;
        _thresholdPeriods = gapThresholdPeriods;
        _jitterFactor = gapJitterFactor;
        // About 10 s of samples, at least 64: slow streams still average over enough samples.
        _maxWeight = Math.Max(64, Math.Ceiling(nominalRateHz * 10));
        _variance = PriorJitterPeriods * PriorJitterPeriods * _period * _period;
        _weight = PriorWeight;
    }

    /// <summary>Nominal period, seconds.</summary>
    public double Period => _period;

    /// <summary>Measured timestamp jitter: RMS deviation from the expected timeline, seconds.</summary>
    public double JitterSeconds => Math.Sqrt(_variance);

    /// <summary>How much later than expected a sample must be to count as a gap, seconds.</summary>
    public double ThresholdSeconds => Math.Max(_thresholdPeriods * _period, _jitterFactor * JitterSeconds);

    /// <summary>Expected raw time of the next sample, or NaN before the first sample (and right after <see cref="Restart"/>).</summary>
    public double ExpectedNext => _anchored ? Median() + (_next * _period) : double.NaN;

    /// <summary>Forgets the timeline (the source reported a gap): the next sample starts it again and is never a gap.</summary>
    public void Restart() => _anchored = false;

    /// <summary>Takes the next sample's raw timestamp.</summary>
    /// <param name="rawTime">Raw timestamp (stream clock, seconds).</param>
    /// <param name="lateBy">How much later than expected the sample is (negative: earlier), seconds; 0 for a first sample.</param>
    /// <returns>True when the sample is the first after a gap (<paramref name="lateBy"/> is then the gap's excess).</returns>
    public bool Observe(double rawTime, out double lateBy)
    {
        if (!double.IsFinite(rawTime))
        {
            // A broken stamp tells nothing about the timeline (and would poison the sorted window).
            lateBy = 0;
            return false;
        }
        if (!_anchored)
        {
            Anchor(rawTime);
            lateBy = 0;
            return false;
        }
        double expected = Median() + (_next * _period);
        double deviation = rawTime - expected;
        lateBy = deviation;
        double clipped = deviation;
        // The threshold is never below its period term, so a deviation within that term is neither a gap nor clipped:
        // the square root of the jitter is only needed for the rare larger deviations (it cost more than the rest).
        if (Math.Abs(deviation) > _thresholdPeriods * _period)
        {
            double threshold = ThresholdSeconds;
            if (deviation > threshold)
            {
                Anchor(rawTime);
                return true;
            }
            clipped = Math.Max(deviation, -threshold);
        }
        double weight = Math.Min(_weight + 1, _maxWeight);
        _variance += ((clipped * clipped) - _variance) / weight;
        _weight = weight;
        Push(rawTime - (_next * _period));
        _next++;
        return false;
    }

    private void Anchor(double rawTime)
    {
        _count = 0;
        _head = 0;
        _next = 0;
        Push(rawTime);
        _next = 1;
        _anchored = true;
    }

    /// <summary>Lower median of the window (the window is full after <see cref="WindowSize"/> samples, so this is the median).</summary>
    private double Median() => _sorted[(_count - 1) >> 1];

    private void Push(double value)
    {
        if (_count == WindowSize)
        {
            // Drop the oldest base from the sorted window.
            double oldest = _arrival[_head];
            int at = 0;
            while (_sorted[at] != oldest)
            {
                at++;
            }
            // Fifteen doubles at most: a plain loop beats the call into Array.Copy.
            for (; at < _count - 1; at++)
            {
                _sorted[at] = _sorted[at + 1];
            }
            _count--;
        }
        _arrival[_head] = value;
        _head = _head + 1 == WindowSize ? 0 : _head + 1;
        int index = _count;
        while (index > 0 && _sorted[index - 1] > value)
        {
            _sorted[index] = _sorted[index - 1];
            index--;
        }
        _sorted[index] = value;
        _count++;
    }
}
