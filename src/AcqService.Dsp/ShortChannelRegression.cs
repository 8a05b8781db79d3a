namespace AcqService.Dsp;

/// <summary>
/// Short-separation regression for fNIRS (Saager &amp; Berger 2005): each long channel y has its assigned short channel
/// x (same chromophore or wavelength, nearest optode pair, ≲ 1 cm), whose signal is mostly scalp/systemic; the
/// corrected channel is y − β·x with the least-squares scale β = Σx·y / Σx² — no intercept, the same rule as
/// mne-nirs' <c>short_channel_regression</c> (inputs are expected to be zero-mean-ish: OD or Δ-haemoglobin, or
/// high-passed). mne-nirs is not installed on the build machine, so this is checked against known mixtures, not against it.
/// <para>
/// Live use (<see cref="Process"/>): β is estimated causally from exponentially weighted sums
/// S_xy ← λ·S_xy + x·y and S_xx ← λ·S_xx + x² (λ = <see cref="Forgetting"/>; 1 = all samples so far, e.g. 0.999 at
/// 10 Hz ≈ a 100 s memory), updated with the current frame before it is corrected. During the first
/// <see cref="WarmupFrames"/> frames β is held at 0 (output = input), because a β from a handful of samples
/// would subtract the long channel from itself. Channels with no short partner, and the short channels themselves, pass unchanged.
/// </para>
/// Allocation-free after construction; not thread-safe.
/// </summary>
public sealed class ShortChannelRegression
{
    /// <summary>MNE's threshold (m) below which a source–detector pair counts as short (<c>short_channels(info, threshold=0.01)</c>).</summary>
    public const double ShortThresholdM = 0.01;

    private readonly int[] _shortOf;
    private readonly double[] _sxy;
    private readonly double[] _sxx;
    private long _frames;

    /// <summary>Creates a regression stage.</summary>
    /// <param name="shortChannelOf">For each interleaved channel, the index of its short channel, or −1 for none (short channels themselves: −1).</param>
    /// <param name="forgetting">λ in (0, 1]: weight of the past per frame.</param>
    /// <param name="warmupFrames">Frames during which β is held at 0 (≥ 0).</param>
    /// <exception cref="ArgumentNullException"><paramref name="shortChannelOf"/> is null.</exception>
    /// <exception cref="ArgumentException">A partner index is out of range, refers to the channel itself, or to a channel that has a partner itself.</exception>
    /// <exception cref="ArgumentOutOfRangeException">λ outside (0, 1], or a negative warm-up.</exception>
    public ShortChannelRegression(IReadOnlyList<int> shortChannelOf, double forgetting = 1.0, int warmupFrames = 0)
    {
        ArgumentNullException.ThrowIfNull(shortChannelOf);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupFrames);
        if (!(forgetting > 0.0 && forgetting <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(forgetting), forgetting, "Must lie in (0, 1].");
        }

        int n = shortChannelOf.Count;
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1, nameof(shortChannelOf));
        _shortOf = [.. shortChannelOf];
        for (int ch = 0; ch < n; ch++)
        {
            int s = _shortOf[ch];
            if (s < -1 || s >= n || s == ch || (s >= 0 && _shortOf[s] != -1))
            {
                throw new ArgumentException($"Channel {ch}: short partner {s} is not a valid, partner-less other channel (of {n}).", nameof(shortChannelOf));
            }
        }

        Forgetting = forgetting;
        WarmupFrames = warmupFrames;
        _sxy = new double[n];
        _sxx = new double[n];
    }

    /// <summary>Number of interleaved channels.</summary>
    public int Channels => _shortOf.Length;

    /// <summary>λ, the per-frame weight of the past in the running sums.</summary>
    public double Forgetting { get; }

    /// <summary>Frames during which β is held at 0.</summary>
    public int WarmupFrames { get; }

    /// <summary>Current β of <paramref name="channel"/> (0 without a partner, during warm-up, or while Σx² is 0).</summary>
    public double Beta(int channel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(channel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(channel, _shortOf.Length);
        return _shortOf[channel] < 0 || _frames <= WarmupFrames || _sxx[channel] == 0.0 ? 0.0 : _sxy[channel] / _sxx[channel];
    }

    /// <summary>Corrects <c>frames × Channels</c> interleaved values in place.</summary>
    /// <exception cref="ArgumentException">The length is not a whole number of frames.</exception>
    public void Process(Span<double> interleaved)
    {
        int n = _shortOf.Length;
        if (interleaved.Length % n != 0)
        {
            throw new ArgumentException($"Length {interleaved.Length} is not a whole number of {n}-channel frames.", nameof(interleaved));
        }

        for (int offset = 0; offset < interleaved.Length; offset += n)
        {
            Span<double> frame = interleaved.Slice(offset, n);
            _frames++;
            // Short channels are never corrected (they have no partner), so reading them while writing long ones is safe.
            for (int ch = 0; ch < n; ch++)
            {
                int s = _shortOf[ch];
                if (s < 0)
                {
                    continue;
                }

                double x = frame[s], y = frame[ch];
                _sxy[ch] = (Forgetting * _sxy[ch]) + (x * y);
                _sxx[ch] = (Forgetting * _sxx[ch]) + (x * x);
                if (_frames > WarmupFrames && _sxx[ch] > 0.0)
                {
                    frame[ch] = y - (_sxy[ch] / _sxx[ch] * x);
                }
            }
        }
    }

    /// <summary>Offline regression over a whole recording (or any window): β = Σx·y / Σx², output = y − β·x.</summary>
    /// <param name="longChannel">y.</param>
    /// <param name="shortChannel">x, same length.</param>
    /// <param name="output">Corrected y, same length (may be the same span as <paramref name="longChannel"/>).</param>
    /// <returns>β (0 when Σx² is 0).</returns>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static double Regress(ReadOnlySpan<double> longChannel, ReadOnlySpan<double> shortChannel, Span<double> output)
    {
        if (shortChannel.Length != longChannel.Length || output.Length != longChannel.Length)
        {
            throw new ArgumentException($"All three rows need the same length (got {longChannel.Length}, {shortChannel.Length}, {output.Length}).", nameof(output));
        }

        double sxy = 0.0, sxx = 0.0;
        for (int i = 0; i < longChannel.Length; i++)
        {
            sxy += shortChannel[i] * longChannel[i];
            sxx += shortChannel[i] * shortChannel[i];
        }

        double beta = sxx == 0.0 ? 0.0 : sxy / sxx;
        for (int i = 0; i < longChannel.Length; i++)
        {
            output[i] = longChannel[i] - (beta * shortChannel[i]);
        }

        return beta;
    }

    /// <summary>
    /// Assigns each long pair the short pair whose midpoint is nearest to its own midpoint (ties: lowest index);
    /// short = source–detector distance below <paramref name="shortThresholdM"/>. Pairs are given once per pair (not per wavelength).
    /// </summary>
    /// <param name="midpoints">Midpoint of each pair (any consistent unit, e.g. metres).</param>
    /// <param name="distancesM">Source–detector distance of each pair in metres.</param>
    /// <param name="shortThresholdM">Short-channel threshold (default MNE's 0.01 m).</param>
    /// <returns>Per pair the index of its short partner, or −1 (short pairs, or no short pair at all).</returns>
    /// <exception cref="ArgumentException">The two lists differ in length.</exception>
    public static int[] NearestShortPairs(IReadOnlyList<(double X, double Y, double Z)> midpoints, IReadOnlyList<double> distancesM, double shortThresholdM = ShortThresholdM)
    {
        ArgumentNullException.ThrowIfNull(midpoints);
        ArgumentNullException.ThrowIfNull(distancesM);
        if (midpoints.Count != distancesM.Count)
        {
            throw new ArgumentException($"{midpoints.Count} midpoints but {distancesM.Count} distances.", nameof(distancesM));
        }

        var result = new int[midpoints.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = -1;
            if (distancesM[i] < shortThresholdM)
            {
                continue;
            }

            double best = double.PositiveInfinity;
            for (int j = 0; j < result.Length; j++)
            {
                if (distancesM[j] >= shortThresholdM)
                {
                    continue;
                }

                double dx = midpoints[i].X - midpoints[j].X, dy = midpoints[i].Y - midpoints[j].Y, dz = midpoints[i].Z - midpoints[j].Z;
                double d2 = (dx * dx) + (dy * dy) + (dz * dz);
                if (d2 < best)
                {
                    best = d2;
                    result[i] = j;
                }
            }
        }

        return result;
    }
}
