namespace AcqService.Dsp;

/// <summary>
/// Welch power spectral density, equal to <c>scipy.signal.welch(x, fs, window, nperseg, noverlap, nfft,
/// detrend, return_onesided=True, scaling='density', average='mean')</c>. Units: (signal unit)²/Hz.
/// Buffers are allocated once in the constructor; <see cref="Estimate(ReadOnlySpan{double}, Span{double})"/>
/// allocates nothing. Not thread-safe.
/// </summary>
public sealed class WelchEstimator
{
    /// <summary>Creates an estimator.</summary>
    /// <param name="sampleRateHz">Sampling rate in Hz.</param>
    /// <param name="segmentLength">Samples per segment (SciPy <c>nperseg</c>).</param>
    /// <param name="overlap">Overlapping samples between segments (SciPy <c>noverlap</c>), 0 ≤ overlap &lt; segmentLength.</param>
    /// <param name="window">Segment taper.</param>
    /// <param name="detrend">Per-segment detrending.</param>
    /// <param name="fftLength">FFT length (SciPy <c>nfft</c>); 0 means <paramref name="segmentLength"/>.</param>
    public WelchEstimator(double sampleRateHz, int segmentLength, int overlap, WindowKind window = WindowKind.Hann,
        DetrendKind detrend = DetrendKind.Constant, int fftLength = 0) => throw new NotImplementedException();

    /// <summary>Number of one-sided frequency bins (<c>fftLength / 2 + 1</c>).</summary>
    public int FrequencyCount => throw new NotImplementedException();

    /// <summary>Spacing of the frequency bins in Hz.</summary>
    public double FrequencyResolution => throw new NotImplementedException();

    /// <summary>Bin centre frequencies in Hz.</summary>
    public ReadOnlySpan<double> Frequencies => throw new NotImplementedException();

    /// <summary>Samples per segment.</summary>
    public int SegmentLength => throw new NotImplementedException();

    /// <summary>Overlap between consecutive segments, in samples.</summary>
    public int Overlap => throw new NotImplementedException();

    /// <summary>Estimates the PSD of <paramref name="signal"/> (length ≥ <see cref="SegmentLength"/>) into <paramref name="psd"/> (length ≥ <see cref="FrequencyCount"/>).</summary>
    public void Estimate(ReadOnlySpan<double> signal, Span<double> psd) => throw new NotImplementedException();
}
