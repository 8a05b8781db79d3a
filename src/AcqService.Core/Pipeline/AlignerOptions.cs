namespace AcqService.Core.Pipeline;

/// <summary>Settings of the aligner (configuration section <c>Aligner</c>).</summary>
public sealed class AlignerOptions
{
    /// <summary>Seconds of sample timestamps kept per signal stream for placing late markers.</summary>
    public double HistorySeconds { get; set; } = 60;

    /// <summary>
    /// A marker whose next sample is more than this many sample periods later is in a data gap and is dropped.
    /// 2.5 periods tolerate timestamp jitter without accepting real gaps.
    /// </summary>
    public double MaxPlacementLagPeriods { get; set; } = 2.5;

    /// <summary>
    /// A sample whose raw timestamp is later than the stream's expected timeline by more than this many nominal
    /// periods (and by more than <see cref="GapJitterFactor"/> × the measured jitter) is the first after a gap.
    /// The expected time is the median of the last 15 samples' times projected forward at the nominal rate (see
    /// <see cref="StreamTimeline"/>), so jitter does not accumulate and a single late stamp does not move it.
    /// On jitter-free data 2.5 periods late is the old rule "consecutive stamps more than 3.5 periods apart".
    /// </summary>
    public double GapThresholdPeriods { get; set; } = 2.5;

    /// <summary>
    /// A gap must also exceed this many times the stream's measured timestamp jitter (RMS deviation from the
    /// expected timeline). 8 makes a false gap from Gaussian jitter practically impossible (p ≈ 1e-15 per sample)
    /// while a 50 ms hole is still found at 10 kHz with 0.5 ms of jitter.
    /// </summary>
    public double GapJitterFactor { get; set; } = 8;

    /// <summary>
    /// When the analysis falls further behind a live stream than this many seconds and keeps falling behind, the
    /// session is overloaded: <see cref="LagMonitor"/> raises its verdict (naming the rate that could be
    /// sustained) so the session can stop. 0 disables the verdict (lag is still shown).
    /// </summary>
    public double MaxLagSeconds { get; set; } = 30;

    /// <summary>The status line shows the analysis lag of a stream when it exceeds this many seconds.</summary>
    public double LagDisplaySeconds { get; set; } = 0.5;

    /// <summary>A signal stream with no new samples for this many seconds is shown as "no data for N s".</summary>
    public double NoDataSeconds { get; set; } = 5;

    /// <summary>Validates the values; returns problems as text.</summary>
    public IEnumerable<string> Validate()
    {
        if (!(HistorySeconds >= 1 && HistorySeconds <= 3600))
        {
            yield return $"Aligner:HistorySeconds must be between 1 and 3600 (was {HistorySeconds})";
        }
        if (!(MaxPlacementLagPeriods >= 1))
        {
            yield return $"Aligner:MaxPlacementLagPeriods must be at least 1 (was {MaxPlacementLagPeriods})";
        }
        if (!(GapThresholdPeriods > 1))
        {
            yield return $"Aligner:GapThresholdPeriods must be greater than 1 (was {GapThresholdPeriods})";
        }
        if (!(GapJitterFactor >= 3))
        {
            yield return $"Aligner:GapJitterFactor must be at least 3 (was {GapJitterFactor})";
        }
        if (!(MaxLagSeconds >= 0))
        {
            yield return $"Aligner:MaxLagSeconds must be 0 (off) or positive (was {MaxLagSeconds})";
        }
        if (!(LagDisplaySeconds >= 0))
        {
            yield return $"Aligner:LagDisplaySeconds must not be negative (was {LagDisplaySeconds})";
        }
        if (!(NoDataSeconds > 0))
        {
            yield return $"Aligner:NoDataSeconds must be positive (was {NoDataSeconds})";
        }
    }
}
