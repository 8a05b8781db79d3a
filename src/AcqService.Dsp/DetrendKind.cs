namespace AcqService.Dsp;

/// <summary>How each segment is detrended before the FFT.</summary>
public enum DetrendKind
{
    /// <summary>No detrending.</summary>
    None,
    /// <summary>Subtract the segment mean (SciPy's Welch default).</summary>
    Constant,
    /// <summary>Subtract a least-squares straight line.</summary>
    Linear,
}
