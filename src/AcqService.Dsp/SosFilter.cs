namespace AcqService.Dsp;

/// <summary>
/// Causal cascade of second-order sections applied independently to each channel of interleaved
/// (frame-major) data, with double-precision state kept between calls so that a signal filtered in
/// chunks equals the same signal filtered in one call (SciPy <c>sosfilt</c> with zero initial state).
/// Allocation-free after construction; not thread-safe.
/// </summary>
public sealed class SosFilter
{
    /// <summary>Creates a filter for <paramref name="channels"/> interleaved channels.</summary>
    /// <param name="sos">Sections in SciPy layout, 6 values per section.</param>
    /// <param name="channels">Number of interleaved channels (≥ 1).</param>
    public SosFilter(double[] sos, int channels) => throw new NotImplementedException();

    /// <summary>Number of second-order sections.</summary>
    public int Sections => throw new NotImplementedException();

    /// <summary>Number of interleaved channels this filter keeps state for.</summary>
    public int Channels => throw new NotImplementedException();

    /// <summary>Clears the filter state (as if no sample had been seen).</summary>
    public void Reset() => throw new NotImplementedException();

    /// <summary>Filters <c>frames × Channels</c> interleaved values in place.</summary>
    public void Process(Span<double> interleaved) => throw new NotImplementedException();

    /// <summary>Filters <paramref name="input"/> into <paramref name="output"/> (same length, may not overlap partially).</summary>
    public void Process(ReadOnlySpan<double> input, Span<double> output) => throw new NotImplementedException();
}
