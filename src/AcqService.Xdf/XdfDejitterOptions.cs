namespace AcqService.Xdf;

/// <summary>Parameters of <see cref="XdfDejitter"/>; defaults are pyxdf's.</summary>
public sealed record XdfDejitterOptions
{
    /// <summary>A gap longer than this many seconds starts a new segment (pyxdf <c>jitter_break_threshold_seconds</c>).</summary>
    public double BreakThresholdSeconds { get; init; } = 1;

    /// <summary>A gap longer than this many nominal sample periods starts a new segment (pyxdf <c>jitter_break_threshold_samples</c>).</summary>
    public double BreakThresholdSamples { get; init; } = 500;
}
