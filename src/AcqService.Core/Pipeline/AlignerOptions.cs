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

    /// <summary>A jump between consecutive timestamps larger than this many periods is reported as a gap.</summary>
    public double GapThresholdPeriods { get; set; } = 3.5;

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
    }
}
