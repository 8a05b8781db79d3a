namespace AcqService.Core.Analysis;

/// <summary>
/// Pre- vs post-event haemoglobin of one condition, region and chromophore, over the accepted haemodynamic epochs
/// (after the epoch baseline): the fNIRS counterpart of <see cref="AlphaConditionSummary"/>.
/// </summary>
/// <param name="Condition">Condition name.</param>
/// <param name="StreamKey">fNIRS stream.</param>
/// <param name="Region">Region: <c>all</c> (every long pair) or a profile region listing pair names (<c>S1-D1</c>).</param>
/// <param name="Chromophore"><c>hbo</c> or <c>hbr</c>.</param>
/// <param name="Events">Epochs summarised.</param>
/// <param name="PreMean">Mean concentration change over the pre window and the region's pairs (µM), averaged over epochs.</param>
/// <param name="PostMean">Same over the post window.</param>
/// <param name="Change">Mean over epochs of post − pre (µM).</param>
/// <param name="ChangeStandardError">Standard error of <paramref name="Change"/> over epochs (NaN with fewer than two).</param>
public sealed record HaemodynamicConditionSummary(string Condition, string StreamKey, string Region, string Chromophore, int Events, double PreMean, double PostMean, double Change, double ChangeStandardError);
