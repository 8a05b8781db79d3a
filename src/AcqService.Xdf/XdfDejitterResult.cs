namespace AcqService.Xdf;

/// <summary>Outcome of <see cref="XdfDejitter.Apply"/>.</summary>
/// <param name="Segments">Inclusive sample ranges between timestamp breaks.</param>
/// <param name="EffectiveSrate">Σ(nᵢ − 1) / Σ durationᵢ over the segments in Hz; 0 when it cannot be computed.</param>
public sealed record XdfDejitterResult(IReadOnlyList<XdfSegment> Segments, double EffectiveSrate);
