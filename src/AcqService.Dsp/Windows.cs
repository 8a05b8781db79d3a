namespace AcqService.Dsp;

/// <summary>Window shapes for spectral estimation.</summary>
public enum WindowKind
{
    /// <summary>Hann (raised cosine).</summary>
    Hann,
    /// <summary>Hamming.</summary>
    Hamming,
    /// <summary>Blackman.</summary>
    Blackman,
    /// <summary>Rectangular (no taper).</summary>
    Boxcar,
}

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

/// <summary>Window functions identical to <c>scipy.signal.get_window</c>.</summary>
public static class Windows
{
    /// <summary>Creates a window; <paramref name="periodic"/> = true matches SciPy's default (<c>fftbins=True</c>).</summary>
    public static double[] Create(WindowKind kind, int length, bool periodic = true) => throw new NotImplementedException();
}
