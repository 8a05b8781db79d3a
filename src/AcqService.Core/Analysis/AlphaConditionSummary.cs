namespace AcqService.Core.Analysis;

/// <summary>Pre- vs post-event alpha power of one condition and region, averaged over events.</summary>
/// <param name="Condition">Condition name.</param>
/// <param name="StreamKey">Analysed stream.</param>
/// <param name="Region">Region of interest.</param>
/// <param name="Events">Events with both intervals complete.</param>
/// <param name="PreMean">Mean absolute alpha power in the pre interval (µV²).</param>
/// <param name="PostMean">Mean absolute alpha power in the post interval (µV²).</param>
/// <param name="ChangePercent">Mean over events of (post / pre − 1) × 100.</param>
/// <param name="ChangePercentStandardError">Standard error of <paramref name="ChangePercent"/> over events.</param>
public sealed record AlphaConditionSummary(string Condition, string StreamKey, string Region, int Events, double PreMean, double PostMean, double ChangePercent, double ChangePercentStandardError);
