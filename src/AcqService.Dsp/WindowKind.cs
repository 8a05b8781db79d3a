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
