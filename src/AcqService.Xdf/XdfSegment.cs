namespace AcqService.Xdf;

/// <summary>An inclusive range of sample (or clock-offset) indices, as pyxdf reports <c>segments</c> and <c>clock_segments</c>.</summary>
/// <param name="Start">First index, inclusive.</param>
/// <param name="End">Last index, inclusive.</param>
public readonly record struct XdfSegment(int Start, int End)
{
    /// <summary>Number of indices in the segment.</summary>
    public int Count => End - Start + 1;
}
