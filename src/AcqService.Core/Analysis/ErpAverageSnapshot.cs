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
        // Both arrays are written whole before they are shared, so they need not be zeroed first (4 MB each at 256 × 2001).
        double[] mean = GC.AllocateUninitializedArray<double>(average.Mean.Length);
        average.Mean.CopyTo(mean);
        double[] se = GC.AllocateUninitializedArray<double>(average.Mean.Length);
        average.StandardErrors(se);
        return new ErpAverageSnapshot(average.StreamKey, average.Condition, average.Count, average.Channels, average.Times, mean, se);
    }
}
