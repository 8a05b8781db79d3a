namespace AcqService.Xdf;

/// <summary>
/// pyxdf-equivalent clock synchronisation: clock-reset segmentation of the ClockOffset series, a robust (Huber, ADMM)
/// linear fit of offset against collection time per segment, and application of <c>t + a + b·t</c> to timestamps.
/// </summary>
/// <remarks>
/// All members are pure functions over spans, so they work on a whole loaded file as well as on a live buffer of
/// offsets (fit once, then map each incoming timestamp with <see cref="XdfLinearMapping.Apply(double)"/>).
/// </remarks>
public static class XdfClockSync
{
    // numpy's finfo(float).eps (2^-52), which pyxdf adds to a MAD to avoid dividing by zero; not double.Epsilon.
    private const double MachineEpsilon = 2.220446049250313e-16;

    /// <summary>Splits the offset series into ranges between clock resets (inclusive index ranges), as pyxdf does.</summary>
    /// <param name="clockTimes">Collection times, in the stream's clock.</param>
    /// <param name="clockValues">Offset values.</param>
    /// <param name="options">Thresholds; null for pyxdf defaults.</param>
    /// <returns>At least one range when there are offsets; empty when there are none.</returns>
    /// <remarks>
    /// A reset is declared where the collection time goes backwards, or where a time glitch and a value glitch
    /// coincide (each: deviation from the median step larger than both the MAD-multiple and the seconds threshold).
    /// </remarks>
    public static IReadOnlyList<XdfSegment> DetectClockResets(
        ReadOnlySpan<double> clockTimes,
        ReadOnlySpan<double> clockValues,
        XdfClockSyncOptions? options = null)
    {
        CheckLengths(clockTimes, clockValues);
        options ??= new XdfClockSyncOptions();
        var n = clockTimes.Length;
        if (n == 0)
        {
            return [];
        }

        if (n == 1)
        {
            return [new XdfSegment(0, 0)];
        }

        var timeDiff = Diff(clockTimes);
        var valueDiff = Diff(clockValues);
        var timeGlitch = Glitches(timeDiff, options.ResetThresholdStds, options.ResetThresholdSeconds);
        var valueGlitch = Glitches(valueDiff, options.ResetThresholdOffsetStds, options.ResetThresholdOffsetSeconds);
        var breaks = new bool[n - 1];
        for (var i = 0; i < breaks.Length; i++)
        {
            breaks[i] = timeDiff[i] < 0 || (timeGlitch[i] && valueGlitch[i]);
        }

        return SegmentsFromBreaks(breaks);
    }

    /// <summary>Robust linear fit <c>value ≈ a + b·time</c> with a Huber loss solved by ADMM (pyxdf <c>_robust_fit</c>).</summary>
    /// <param name="clockTimes">Collection times (at least two distinct values).</param>
    /// <param name="clockValues">Offset values.</param>
    /// <param name="options">Winsor threshold, ρ and iterations; null for pyxdf defaults.</param>
    /// <returns>The mapping (a, b), or (0, 0) when the normal matrix is singular (pyxdf's fallback).</returns>
    public static XdfLinearMapping RobustFit(
        ReadOnlySpan<double> clockTimes,
        ReadOnlySpan<double> clockValues,
        XdfClockSyncOptions? options = null)
    {
        CheckLengths(clockTimes, clockValues);
        options ??= new XdfClockSyncOptions();
        var n = clockTimes.Length;
        if (n == 0)
        {
            return default;
        }

        if (n == 1)
        {
            return new XdfLinearMapping(clockValues[0], 0);
        }

        var winsor = options.WinsorThreshold;
        // Scaling by the winsor threshold makes the unit Huber transition correspond to ~winsor seconds of residual.
        var x = new double[n];
        var y = new double[n];
        var minX = double.PositiveInfinity;
        for (var i = 0; i < n; i++)
        {
            x[i] = clockTimes[i] / winsor;
            y[i] = clockValues[i] / winsor;
            minX = Math.Min(minX, x[i]);
        }

        // Centering the time column on its minimum keeps the 2×2 normal matrix well conditioned.
        double sx = 0, sxx = 0, sy = 0, sxy = 0;
        for (var i = 0; i < n; i++)
        {
            x[i] -= minX;
            sx += x[i];
            sxx += x[i] * x[i];
            sy += y[i];
            sxy += x[i] * y[i];
        }

        // Cholesky of AᵀA = [[n, sx], [sx, sxx]]; a non-positive pivot is numpy's LinAlgError.
        var l11 = Math.Sqrt(n);
        var l21 = sx / l11;
        var pivot = sxx - (l21 * l21);
        if (!(pivot > 0))
        {
            return default;
        }

        var l22 = Math.Sqrt(pivot);
        var rho = options.Rho;
        var z = new double[n];
        var u = new double[n];
        double a = 0, b = 0;
        for (var k = 0; k < options.Iterations; k++)
        {
            // x = (AᵀA)⁻¹ Aᵀ(y + z − u), solved through L then Lᵀ like pyxdf.
            double r1 = sy, r2 = sxy;
            for (var i = 0; i < n; i++)
            {
                var w = z[i] - u[i];
                r1 += w;
                r2 += x[i] * w;
            }

            var w1 = r1 / l11;
            var w2 = (r2 - (l21 * w1)) / l22;
            b = w2 / l22;
            a = (w1 - (l21 * b)) / l11;
            for (var i = 0; i < n; i++)
            {
                var d = a + (b * x[i]) - y[i] + u[i];
                var dInv = d != 0 ? 1 / d : 0;
                var shrink = Math.Max(0, 1 - ((1 + (1 / rho)) * Math.Abs(dInv)));
                var zi = (rho / (1 + rho) * d) + (1 / (1 + rho) * shrink * d);
                z[i] = zi;
                u[i] = d - zi;
            }
        }

        a -= b * minX;
        return new XdfLinearMapping(a * winsor, b);
    }

    /// <summary>
    /// Synchronises <paramref name="timestamps"/> in place from the stream's clock offsets and returns the clock
    /// segments (sample index ranges that received each range's mapping), exactly as pyxdf's <c>_clock_sync</c>.
    /// </summary>
    /// <param name="timestamps">Stream timestamps, assumed increasing within each clock range; overwritten.</param>
    /// <param name="clockTimes">Collection times.</param>
    /// <param name="clockValues">Offset values.</param>
    /// <param name="options">Options; null for pyxdf defaults.</param>
    /// <returns>Clock segments; empty when there are no samples or no offsets (timestamps then untouched).</returns>
    public static IReadOnlyList<XdfSegment> Synchronize(
        Span<double> timestamps,
        ReadOnlySpan<double> clockTimes,
        ReadOnlySpan<double> clockValues,
        XdfClockSyncOptions? options = null)
    {
        CheckLengths(clockTimes, clockValues);
        options ??= new XdfClockSyncOptions();
        if (timestamps.IsEmpty || clockTimes.IsEmpty)
        {
            return [];
        }

        IReadOnlyList<XdfSegment> ranges = options.HandleClockResets && clockTimes.Length > 1
            ? DetectClockResets(clockTimes, clockValues, options)
            : [new XdfSegment(0, clockTimes.Length - 1)];
        var mappings = new XdfLinearMapping[ranges.Count];
        for (var r = 0; r < ranges.Count; r++)
        {
            var range = ranges[r];
            mappings[r] = range.Start == range.End
                ? new XdfLinearMapping(clockValues[range.Start], 0)
                : RobustFit(clockTimes.Slice(range.Start, range.Count), clockValues.Slice(range.Start, range.Count), options);
        }

        if (ranges.Count == 1)
        {
            mappings[0].Apply(timestamps);
            return [new XdfSegment(0, timestamps.Length - 1)];
        }

        var segments = new List<XdfSegment>(ranges.Count);
        var tsStart = 0;
        for (var r = 0; r < ranges.Count; r++)
        {
            var stop = ranges[r].End + 1;
            int tsStop;
            if (stop < clockTimes.Length)
            {
                // A sample belongs to this range until the first one closer to the next range's first clock time.
                var currentEnd = clockTimes[ranges[r].End];
                var nextStart = clockTimes[stop];
                tsStop = timestamps.Length;
                for (var i = tsStart; i < timestamps.Length; i++)
                {
                    if (!(Math.Abs(timestamps[i] - currentEnd) < Math.Abs(timestamps[i] - nextStart)))
                    {
                        tsStop = i;
                        break;
                    }
                }
            }
            else
            {
                tsStop = timestamps.Length;
            }

            if (tsStart == tsStop)
            {
                // pyxdf skips a range without samples and keeps going from the same sample.
                continue;
            }

            segments.Add(new XdfSegment(tsStart, tsStop - 1));
            mappings[r].Apply(timestamps[tsStart..tsStop]);
            tsStart = tsStop;
        }

        return segments;
    }

    /// <summary>
    /// pyxdf's detector for the pylsl#67 / liblsl#246 bug: true when the last clock offset is anomalous
    /// (last interval &gt; 10× the median interval, or MAD z-score of the last value &gt; 10). Needs ≥ 3 offsets.
    /// </summary>
    /// <param name="clockTimes">Collection times.</param>
    /// <param name="clockValues">Offset values.</param>
    /// <returns>True when the last offset looks corrupted.</returns>
    public static bool IsLastOffsetAnomalous(ReadOnlySpan<double> clockTimes, ReadOnlySpan<double> clockValues)
    {
        CheckLengths(clockTimes, clockValues);
        var n = clockTimes.Length;
        if (n < 3)
        {
            return false;
        }

        var intervals = Diff(clockTimes);
        var medianInterval = Median(intervals.AsSpan(0, intervals.Length - 1));
        var lastInterval = Math.Abs(intervals[^1]);
        var timeRatio = medianInterval > 0 ? lastInterval / medianInterval : lastInterval > 0 ? double.PositiveInfinity : 1.0;

        var head = clockValues[..^1];
        var medianValue = Median(head);
        var deviations = new double[head.Length];
        for (var i = 0; i < head.Length; i++)
        {
            deviations[i] = Math.Abs(head[i] - medianValue);
        }

        var mad = Median(deviations);
        var z = mad > MachineEpsilon ? Math.Abs(clockValues[^1] - medianValue) / (1.4826 * mad) : 0.0;
        return timeRatio > 10 || z > 10;
    }

    /// <summary>Median with numpy semantics (mean of the two middle values for even counts).</summary>
    internal static double Median(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty)
        {
            return double.NaN;
        }

        var sorted = values.ToArray();
        Array.Sort(sorted);
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>Turns break flags between neighbours into inclusive segments (pyxdf <c>_find_segment_indices</c>).</summary>
    internal static IReadOnlyList<XdfSegment> SegmentsFromBreaks(ReadOnlySpan<bool> breaks)
    {
        var segments = new List<XdfSegment>();
        var start = 0;
        for (var i = 0; i < breaks.Length; i++)
        {
            if (breaks[i])
            {
                segments.Add(new XdfSegment(start, i));
                start = i + 1;
            }
        }

        segments.Add(new XdfSegment(start, breaks.Length));
        return segments;
    }

    private static bool[] Glitches(double[] diff, double thresholdStds, double thresholdSeconds)
    {
        var median = Median(diff);
        var shifted = new double[diff.Length];
        for (var i = 0; i < diff.Length; i++)
        {
            shifted[i] = Math.Abs(diff[i] - median);
        }

        var mad = Median(shifted) + MachineEpsilon;
        var glitch = new bool[diff.Length];
        for (var i = 0; i < diff.Length; i++)
        {
            glitch[i] = shifted[i] / mad > thresholdStds && shifted[i] > thresholdSeconds;
        }

        return glitch;
    }

    private static double[] Diff(ReadOnlySpan<double> values)
    {
        var diff = new double[Math.Max(0, values.Length - 1)];
        for (var i = 0; i < diff.Length; i++)
        {
            diff[i] = values[i + 1] - values[i];
        }

        return diff;
    }

    private static void CheckLengths(ReadOnlySpan<double> clockTimes, ReadOnlySpan<double> clockValues)
    {
        if (clockTimes.Length != clockValues.Length)
        {
            throw new ArgumentException("Clock times and values must have the same length.", nameof(clockValues));
        }
    }
}
