namespace AcqService.Dsp;

/// <summary>
/// Causal (live) intensity → optical density conversion for interleaved fNIRS frames, in MNE's convention
/// (natural logarithm: OD = −ln(I / I₀)) so that its output feeds <see cref="HaemoglobinMatrix"/> unchanged.
/// <para>
/// Baseline rule: I₀ of each channel is the mean of its first <see cref="BaselineFrames"/> usable samples and is
/// then frozen for the rest of the run. While the baseline period is still running, each sample is referred to the
/// running mean of the usable samples so far (so the very first sample gives OD 0), which keeps the output causal
/// and finite from the first frame. After the baseline period, OD(t) differs from MNE's offline
/// <see cref="NirsOpticalDensity.FromIntensityLikeMne"/> (whole-recording mean) by the constant ln(I₀ / Ī), which a
/// later baseline correction or high-pass removes.
/// </para>
/// <para>
/// Non-positive intensities (the causal counterpart of MNE's abs-and-floor rule, which needs the whole recording):
/// a value is replaced by |I|; a 0 is replaced by the smallest positive |I| seen so far on any channel. A 0 that
/// arrives before any positive value was seen is unusable: its OD is reported as 0 and it does not enter the
/// baseline. Every non-positive input is counted in <see cref="NonPositiveCount"/> (MNE warns instead).
/// </para>
/// Allocation-free after construction; not thread-safe.
/// </summary>
public sealed class OpticalDensityTracker
{
    private readonly int _channels;
    private readonly int _baselineFrames;
    private readonly double[] _sum;
    private readonly int[] _count;
    private readonly double[] _baseline;
    private double _smallestPositive = double.PositiveInfinity;

    /// <summary>Creates a tracker for <paramref name="channels"/> interleaved intensity channels.</summary>
    /// <param name="channels">Number of interleaved channels (≥ 1).</param>
    /// <param name="baselineFrames">Number of usable samples per channel averaged into the fixed baseline (≥ 1), e.g. 10 s × rate.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1.</exception>
    public OpticalDensityTracker(int channels, int baselineFrames)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(baselineFrames, 1);
        _channels = channels;
        _baselineFrames = baselineFrames;
        _sum = new double[channels];
        _count = new int[channels];
        _baseline = new double[channels];
    }

    /// <summary>Number of interleaved channels.</summary>
    public int Channels => _channels;

    /// <summary>Usable samples per channel that make up the fixed baseline.</summary>
    public int BaselineFrames => _baselineFrames;

    /// <summary>Number of non-positive intensities seen so far (all channels).</summary>
    public long NonPositiveCount { get; private set; }

    /// <summary>True once every channel's baseline is fixed.</summary>
    public bool BaselineComplete
    {
        get
        {
            foreach (int c in _count)
            {
                if (c < _baselineFrames)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>The baseline I₀ of <paramref name="channel"/>: the fixed value once complete, else the running mean (NaN before any usable sample).</summary>
    public double Baseline(int channel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(channel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(channel, _channels);
        return _count[channel] >= _baselineFrames ? _baseline[channel] : _count[channel] == 0 ? double.NaN : _sum[channel] / _count[channel];
    }

    /// <summary>Forgets the baseline and the counters (as if no frame had been seen).</summary>
    public void Reset()
    {
        Array.Clear(_sum);
        Array.Clear(_count);
        Array.Clear(_baseline);
        _smallestPositive = double.PositiveInfinity;
        NonPositiveCount = 0;
    }

    /// <summary>Converts <c>frames × Channels</c> interleaved intensities to optical density.</summary>
    /// <param name="intensity">Interleaved intensities.</param>
    /// <param name="opticalDensity">Output, same length (may be the same span as the input).</param>
    /// <exception cref="ArgumentException">Lengths differ or are not whole frames.</exception>
    public void Process(ReadOnlySpan<double> intensity, Span<double> opticalDensity)
    {
        if (intensity.Length != opticalDensity.Length || intensity.Length % _channels != 0)
        {
            throw new ArgumentException($"Need equal lengths that are whole {_channels}-channel frames; got {intensity.Length} and {opticalDensity.Length}.", nameof(opticalDensity));
        }

        for (int i = 0; i < intensity.Length; i++)
        {
            int ch = i % _channels;
            double x = intensity[i];
            if (x <= 0.0)
            {
                NonPositiveCount++;
                x = x == 0.0 ? _smallestPositive : -x;
            }

            if (!double.IsFinite(x))
            {
                // A 0 before any positive value, or a NaN/∞ input: nothing to refer it to, and it must not poison the
                // baseline or the smallest-positive floor. NaN stays NaN so that a downstream check can see it.
                opticalDensity[i] = double.IsNaN(intensity[i]) ? double.NaN : 0.0;
                continue;
            }

            if (x < _smallestPositive)
            {
                _smallestPositive = x;
            }

            double reference;
            if (_count[ch] < _baselineFrames)
            {
                _sum[ch] += x;
                _count[ch]++;
                reference = _sum[ch] / _count[ch];
                if (_count[ch] == _baselineFrames)
                {
                    _baseline[ch] = reference;
                }
            }
            else
            {
                reference = _baseline[ch];
            }

            opticalDensity[i] = -Math.Log(x / reference);
        }
    }
}
