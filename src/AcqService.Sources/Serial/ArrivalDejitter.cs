namespace AcqService.Sources.Serial;

/// <summary>
/// Turns host-clock arrival times of a regularly sampled serial stream into smooth sample timestamps with a causal
/// running fit: exponentially weighted least squares of arrival time against sample index (half-life
/// <see cref="HalfLifeSeconds"/> of signal). Each sample's timestamp is the fitted line at its own index, computed
/// from that sample and the ones before it only, so it is available at once (no look-ahead delay).
/// </summary>
/// <remarks>
/// <para>Why: serial bytes reach the program in bursts (USB frames of 1–16 ms, the dongle's radio packets, thread
/// scheduling), so raw arrival times jitter by several ms around the true 4 ms grid, while the amplifier's own
/// sample clock is steady. The fit keeps the slope (the device's real rate as seen by the host clock, which may
/// differ from nominal by crystal tolerance) and the mean latency; the latency offset from the profile is subtracted
/// afterwards by the caller.</para>
/// <para>Until two seconds of samples are in, and whenever the fitted slope strays more than 1 % from the nominal
/// period, the slope is the nominal period and only the intercept is fitted (the weighted mean of arrival − index ×
/// period). Lost samples keep their index (the caller advances it by the missing count), so the grid continues across
/// a counter gap; a reconnect calls <see cref="Reset"/> and starts a new segment.</para>
/// <para>Outliers are clipped before they enter the fit (residual limited to 3 × the running RMS, at least 1 ms):
/// arrival latency is one-sided with a heavy tail — a stalled reader delivers tens of ms of packets at once — and a
/// plain least-squares line would bend towards every stall.</para>
/// <para>Sums are kept relative to a moving origin (re-based every 2^16 samples) so hours of data do not cost
/// precision.</para>
/// </remarks>
public sealed class ArrivalDejitter
{
    private readonly double _period;
    private readonly double _decay;
    private readonly double _minWeight;
    private bool _started;
    private long _x0;
    private double _y0;
    private double _s0, _sx, _sy, _sxx, _sxy;
    /// <summary>Weighted sum of squared (clipped) residuals, for the clipping limit.</summary>
    private double _srr;

    /// <summary>Creates the fit.</summary>
    /// <param name="nominalRateHz">Nominal sample rate.</param>
    /// <param name="halfLifeSeconds">Seconds of signal after which a sample's weight in the fit has halved.</param>
    public ArrivalDejitter(double nominalRateHz, double halfLifeSeconds = 30)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nominalRateHz);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(halfLifeSeconds);
        NominalRateHz = nominalRateHz;
        HalfLifeSeconds = halfLifeSeconds;
        _period = 1.0 / nominalRateHz;
        _decay = Math.Pow(0.5, 1.0 / (halfLifeSeconds * nominalRateHz));
        // Effective weight of two seconds of samples under the decay (capped by the asymptote 1/(1−decay)).
        _minWeight = Math.Min(2 * nominalRateHz, 0.5 / (1 - _decay));
    }

    /// <summary>Nominal rate (Hz).</summary>
    public double NominalRateHz { get; }

    /// <summary>Half-life of the fit (seconds of signal).</summary>
    public double HalfLifeSeconds { get; }

    /// <summary>Current fitted period (seconds per sample), the nominal one until the fit is trusted.</summary>
    public double Period { get; private set; }

    /// <summary>Starts a new segment (the next sample is the first of the fit).</summary>
    public void Reset()
    {
        _started = false;
        _s0 = _sx = _sy = _sxx = _sxy = _srr = 0;
    }

    /// <summary>Adds sample <paramref name="index"/> that arrived at <paramref name="arrival"/> and returns its smoothed timestamp.</summary>
    public double Next(long index, double arrival)
    {
        if (!_started)
        {
            _started = true;
            _x0 = index;
            _y0 = arrival;
        }
        double x = index - _x0;
        double y = arrival - _y0;
        if (_s0 >= 8)
        {
            // Clip outliers before they enter the fit: serial latency is one-sided with a heavy tail (a stalled
            // reader thread delivers 50 ms of packets at once), and least squares would follow every stall. The
            // limit is 3 × the running RMS of the clipped residuals, at least 1 ms, so normal USB-frame bursts pass.
            (double slope0, double mx0, double my0) = Fit();
            double residual = y - (my0 + (slope0 * (x - mx0)));
            double limit = Math.Max(0.001, 3 * Math.Sqrt(_srr / _s0));
            double clipped = Math.Clamp(residual, -limit, limit);
            if (clipped != residual)
            {
                Clipped++;
            }
            _srr = (_decay * _srr) + (clipped * clipped);
            y += clipped - residual;
        }
        _s0 = (_decay * _s0) + 1;
        _sx = (_decay * _sx) + x;
        _sy = (_decay * _sy) + y;
        _sxx = (_decay * _sxx) + (x * x);
        _sxy = (_decay * _sxy) + (x * y);
        (double slope, double mx, double my) = Fit();
        Period = slope;
        double t = _y0 + my + (slope * (x - mx));
        if (x >= 65536)
        {
            Rebase((long)Math.Round(mx), t - _y0 - (slope * (x - Math.Round(mx))));
        }
        return t;
    }

    /// <summary>Samples whose arrival was clipped as an outlier.</summary>
    public long Clipped { get; private set; }

    /// <summary>Current line: slope (s/sample), weighted mean index and weighted mean time (relative to the origin).</summary>
    private (double Slope, double MeanX, double MeanY) Fit()
    {
        double mx = _sx / _s0;
        double my = _sy / _s0;
        double slope = _period;
        if (_s0 >= _minWeight)
        {
            double varX = (_sxx / _s0) - (mx * mx);
            if (varX > 0)
            {
                double fitted = ((_sxy / _s0) - (mx * my)) / varX;
                if (Math.Abs(fitted - _period) <= 0.01 * _period)
                {
                    slope = fitted;
                }
            }
        }
        return (slope, mx, my);
    }

    /// <summary>Moves the origin by <paramref name="dx"/> samples and <paramref name="dy"/> seconds; the fit is unchanged.</summary>
    private void Rebase(long dx, double dy)
    {
        // With x' = x − dx and y' = y − dy: Σx' = Σx − dx·S0, Σy' = Σy − dy·S0,
        // Σx'² = Σx² − 2dx·Σx + dx²·S0, Σx'y' = Σxy − dx·Σy − dy·Σx + dx·dy·S0 (old sums on the right).
        double sx = _sx, sy = _sy;
        _sxx = _sxx - (2 * dx * sx) + ((double)dx * dx * _s0);
        _sxy = _sxy - (dx * sy) - (dy * sx) + (dx * dy * _s0);
        _sx = sx - (dx * _s0);
        _sy = sy - (dy * _s0);
        _x0 += dx;
        _y0 += dy;
    }
}
