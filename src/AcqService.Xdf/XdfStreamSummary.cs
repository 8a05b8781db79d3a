namespace AcqService.Xdf;

/// <summary>Per-stream statistics computed by <see cref="XdfInspector"/> in one streaming pass (raw timestamps, no synchronisation).</summary>
public sealed record XdfStreamSummary
{
    /// <summary>The stream header.</summary>
    public required XdfStreamHeader Header { get; init; }

    /// <summary>Samples read.</summary>
    public long SampleCount { get; init; }

    /// <summary>First sample's timestamp, or null without samples.</summary>
    public double? FirstTimestamp { get; init; }

    /// <summary>Last sample's timestamp, or null without samples.</summary>
    public double? LastTimestamp { get; init; }

    /// <summary>Last − first timestamp in seconds (0 without samples).</summary>
    public double Duration => LastTimestamp - FirstTimestamp ?? 0;

    /// <summary>(n − 1)/duration for regular streams in Hz; 0 for irregular streams or fewer than two samples.</summary>
    public double EffectiveSrate { get; init; }

    /// <summary>Number of steps with Δt &gt; 2/nominal_srate (regular streams only).</summary>
    public long GapCount { get; init; }

    /// <summary>Largest Δt between consecutive samples in seconds (0 with fewer than two samples).</summary>
    public double LargestInterval { get; init; }

    /// <summary>Number of steps where the timestamp went backwards.</summary>
    public long BackwardStepCount { get; init; }

    /// <summary>For string streams: number of marker values (samples × channels); 0 for numeric streams.</summary>
    public long MarkerCount { get; init; }

    /// <summary>For string streams: the first distinct marker values, at most <see cref="XdfInspector.MaxDistinctLabels"/>.</summary>
    public IReadOnlyList<string> FirstDistinctLabels { get; init; } = [];

    /// <summary>Number of ClockOffset chunks.</summary>
    public int ClockOffsetCount { get; init; }

    /// <summary>Mean clock offset value in seconds (null without offsets).</summary>
    public double? ClockOffsetMean { get; init; }

    /// <summary>Smallest clock offset value in seconds (null without offsets).</summary>
    public double? ClockOffsetMin { get; init; }

    /// <summary>Largest clock offset value in seconds (null without offsets).</summary>
    public double? ClockOffsetMax { get; init; }

    /// <summary>The stream's footer, if one was read.</summary>
    public XdfStreamFooter? Footer { get; init; }
}
