namespace AcqService.Xdf;

/// <summary>
/// pyxdf-equivalent jitter removal for regularly sampled streams: split at breaks, replace each segment's timestamps
/// by an ordinary-least-squares line over the sample index, and compute the effective sampling rate.
/// </summary>
/// <remarks>
/// Pure functions over spans. For streaming use, <see cref="FitSegment"/> gives the line for a buffer of recent
/// samples, from which the timestamp of any sample index follows.
/// </remarks>
public static class XdfDejitter
{
    /// <summary>Splits timestamps where |Δt| exceeds max(<c>BreakThresholdSeconds</c>, <c>BreakThresholdSamples</c>/srate).</summary>
    /// <param name="timestamps">Timestamps in seconds.</param>
    /// <param name="nominalSrate">Nominal rate in Hz (&gt; 0).</param>
    /// <param name="options">Thresholds; null for pyxdf defaults.</param>
    /// <returns>Inclusive segments covering every sample; empty for no samples.</returns>
    public static IReadOnlyList<XdfSegment> DetectSegments(ReadOnlySpan<double> timestamps, double nominalSrate, XdfDejitterOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nominalSrate);
        options ??= new XdfDejitterOptions();
        if (timestamps.IsEmpty)
        {
            return [];
        }

        var threshold = Math.Max(options.BreakThresholdSeconds, options.BreakThresholdSamples * (1.0 / nominalSrate));
        var breaks = new bool[timestamps.Length - 1];
        for (var i = 0; i < breaks.Length; i++)
        {
            breaks[i] = Math.Abs(timestamps[i + 1] - timestamps[i]) > threshold;
        }

        return XdfClockSync.SegmentsFromBreaks(breaks);
    }

    /// <summary>Least-squares line <c>t ≈ Intercept + Slope·index</c> over <paramref name="timestamps"/>, whose first element has sample index <paramref name="firstIndex"/>.</summary>
    /// <param name="timestamps">Timestamps of consecutive samples.</param>
    /// <param name="firstIndex">Sample index of the first timestamp.</param>
    /// <returns>Intercept (s) and slope (s per sample); with one sample the slope is 0 and the intercept reproduces it.</returns>
    public static (double Intercept, double SecondsPerSample) FitSegment(ReadOnlySpan<double> timestamps, long firstIndex)
    {
        var n = timestamps.Length;
        if (n == 0)
        {
            return default;
        }

        if (n == 1)
        {
            return (timestamps[0], 0);
        }

        // Centred sums: the timestamps can be ~1e6 s, where raw Σk·t loses digits.
        var meanK = firstIndex + ((n - 1) / 2.0);
        double meanT = 0;
        for (var i = 0; i < n; i++)
        {
            meanT += timestamps[i];
        }

        meanT /= n;
        double sKt = 0, sKk = 0;
        for (var i = 0; i < n; i++)
        {
            var dk = firstIndex + i - meanK;
            sKt += dk * (timestamps[i] - meanT);
            sKk += dk * dk;
        }

        var slope = sKt / sKk;
        return (meanT - (slope * meanK), slope);
    }

    /// <summary>Dejitters <paramref name="timestamps"/> in place and returns segments and the effective rate.</summary>
    /// <param name="timestamps">Timestamps of a regular stream; overwritten.</param>
    /// <param name="nominalSrate">Nominal rate in Hz (&gt; 0).</param>
    /// <param name="options">Thresholds; null for pyxdf defaults.</param>
    /// <returns>The segments and effective sampling rate.</returns>
    public static XdfDejitterResult Apply(Span<double> timestamps, double nominalSrate, XdfDejitterOptions? options = null)
    {
        var segments = DetectSegments(timestamps, nominalSrate, options);
        long samplesMinusOne = 0;
        double duration = 0;
        foreach (var segment in segments)
        {
            var slice = timestamps.Slice(segment.Start, segment.Count);
            var line = FitSegment(slice, segment.Start);
            for (var i = 0; i < slice.Length; i++)
            {
                slice[i] = line.Intercept + (line.SecondsPerSample * (segment.Start + i));
            }

            samplesMinusOne += segment.Count - 1;
            duration += slice[^1] - slice[0];
        }

        var effective = samplesMinusOne > 0 && duration != 0 ? samplesMinusOne / duration : 0;
        return new XdfDejitterResult(segments, effective);
    }

    /// <summary>Effective rate without dejittering, (n − 1) / (t_last − t_first), as pyxdf reports it when dejitter is off.</summary>
    /// <param name="timestamps">Timestamps in seconds.</param>
    /// <returns>The rate in Hz, or 0 with fewer than two samples or zero duration.</returns>
    public static double RawEffectiveSrate(ReadOnlySpan<double> timestamps)
    {
        if (timestamps.Length < 2)
        {
            return 0;
        }

        var duration = timestamps[^1] - timestamps[0];
        return duration != 0 ? (timestamps.Length - 1) / duration : 0;
    }
}
