namespace AcqService.Core.Analysis;

/// <summary>An immutable copy of one condition's ERP average, for readers on other threads (control API, dashboard).</summary>
/// <param name="StreamKey">Epoched signal stream.</param>
/// <param name="Condition">Condition name.</param>
/// <param name="Count">Epochs in the average.</param>
/// <param name="Channels">Channel labels.</param>
/// <param name="Times">Epoch time points (seconds from the marker).</param>
/// <param name="Mean">Mean amplitude (µV), <c>[channel * Times.Length + k]</c>.</param>
/// <param name="StandardError">Standard error of the mean (µV), same layout; NaN with fewer than two epochs.</param>
public sealed record ErpAverageSnapshot(string StreamKey, string Condition, int Count, IReadOnlyList<string> Channels, double[] Times, double[] Mean, double[] StandardError)
{
    /// <summary>Copies an average.</summary>
    public static ErpAverageSnapshot Of(ConditionAverage average)
    {
        ArgumentNullException.ThrowIfNull(average);
        int points = average.TimePoints;
        double[] se = new double[average.Mean.Length];
        for (int c = 0; c < average.Channels.Count; c++)
        {
            for (int k = 0; k < points; k++)
            {
                se[(c * points) + k] = average.StandardError(c, k);
            }
        }
        return new ErpAverageSnapshot(average.StreamKey, average.Condition, average.Count, average.Channels, average.Times, average.Mean.ToArray(), se);
    }
}
