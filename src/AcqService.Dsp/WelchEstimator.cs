using System.Numerics;

namespace AcqService.Dsp;

/// <summary>
/// Welch power spectral density, equal to <c>scipy.signal.welch(x, fs, window, nperseg, noverlap, nfft,
/// detrend, return_onesided=True, scaling='density', average='mean')</c>. Units: (signal unit)²/Hz.
/// Buffers are allocated once in the constructor; <see cref="Estimate(ReadOnlySpan{double}, Span{double})"/>
/// allocates nothing. Not thread-safe.
/// </summary>
public sealed class WelchEstimator
{
    private readonly double _sampleRateHz;
    private readonly int _segmentLength;
    private readonly int _overlap;
    private readonly int _fftLength;
    private readonly DetrendKind _detrend;
    private readonly double[] _window;
    private readonly double[] _frequencies;
    private readonly double _frequencyResolution;

    // Density scaling 1 / (fs · Σ w²), as SciPy's _spectral_helper.
    private readonly double _scale;
    private readonly RealFft _fft;

    // FFT input: the detrended, windowed segment followed by zeros up to fftLength (the tail is never written).
    private readonly double[] _frame;
    private readonly Complex[] _spectrum;
    private readonly double[] _sum;

    /// <summary>Creates an estimator.</summary>
    /// <param name="sampleRateHz">Sampling rate in Hz.</param>
    /// <param name="segmentLength">Samples per segment (SciPy <c>nperseg</c>).</param>
    /// <param name="overlap">Overlapping samples between segments (SciPy <c>noverlap</c>), 0 ≤ overlap &lt; segmentLength.</param>
    /// <param name="window">Segment taper.</param>
    /// <param name="detrend">Per-segment detrending.</param>
    /// <param name="fftLength">FFT length (SciPy <c>nfft</c>); 0 means <paramref name="segmentLength"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is outside the ranges above, <paramref name="fftLength"/> is
    /// neither 0 nor ≥ <paramref name="segmentLength"/>, or an enum value is undefined.</exception>
    public WelchEstimator(double sampleRateHz, int segmentLength, int overlap, WindowKind window = WindowKind.Hann,
        DetrendKind detrend = DetrendKind.Constant, int fftLength = 0)
    {
        Guard.ThrowIfNotPositiveFinite(sampleRateHz);
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentLength, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(overlap);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(overlap, segmentLength);
        ArgumentOutOfRangeException.ThrowIfNegative(fftLength);
        if (fftLength != 0)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(fftLength, segmentLength);
        }

        if (!Enum.IsDefined(window))
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "Unknown window kind.");
        }

        if (!Enum.IsDefined(detrend))
        {
            throw new ArgumentOutOfRangeException(nameof(detrend), detrend, "Unknown detrend kind.");
        }

        _sampleRateHz = sampleRateHz;
        _segmentLength = segmentLength;
        _overlap = overlap;
        _fftLength = fftLength == 0 ? segmentLength : fftLength;
        _detrend = detrend;
        _window = Windows.Create(window, segmentLength, periodic: true);

        double energy = 0.0;
        foreach (double w in _window)
        {
            energy += w * w;
        }

        _scale = 1.0 / (sampleRateHz * energy);

        // numpy.fft.rfftfreq(nfft, d=1/fs): k · (1 / (nfft · d)).
        _frequencyResolution = 1.0 / (_fftLength * (1.0 / sampleRateHz));
        _frequencies = new double[_fftLength / 2 + 1];
        for (int k = 0; k < _frequencies.Length; k++)
        {
            _frequencies[k] = k * _frequencyResolution;
        }

        _fft = new RealFft(_fftLength);
        _frame = new double[_fftLength];
        _spectrum = new Complex[_fft.SpectrumLength];
        _sum = new double[_fft.SpectrumLength];
    }

    /// <summary>Number of one-sided frequency bins (<c>fftLength / 2 + 1</c>).</summary>
    public int FrequencyCount => _frequencies.Length;

    /// <summary>Spacing of the frequency bins in Hz.</summary>
    public double FrequencyResolution => _frequencyResolution;

    /// <summary>Bin centre frequencies in Hz.</summary>
    public ReadOnlySpan<double> Frequencies => _frequencies;

    /// <summary>Samples per segment.</summary>
    public int SegmentLength => _segmentLength;

    /// <summary>Overlap between consecutive segments, in samples.</summary>
    public int Overlap => _overlap;

    /// <summary>FFT length (SciPy <c>nfft</c>) actually used.</summary>
    public int FftLength => _fftLength;

    /// <summary>Sampling rate in Hz.</summary>
    public double SampleRateHz => _sampleRateHz;

    /// <summary>
    /// Number of segments averaged for a signal of <paramref name="signalLength"/> samples: <c>(length − overlap) / (segmentLength − overlap)</c>;
    /// trailing samples that do not fill a segment are ignored, as in SciPy.
    /// </summary>
    public int SegmentCount(int signalLength) =>
        signalLength < _segmentLength ? 0 : (signalLength - _overlap) / (_segmentLength - _overlap);

    /// <summary>Estimates the PSD of <paramref name="signal"/> (length ≥ <see cref="SegmentLength"/>) into <paramref name="psd"/> (length ≥ <see cref="FrequencyCount"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="signal"/> is shorter than one segment or <paramref name="psd"/> is too short.</exception>
    public void Estimate(ReadOnlySpan<double> signal, Span<double> psd)
    {
        if (signal.Length < _segmentLength)
        {
            throw new ArgumentException($"Signal has {signal.Length} samples; one segment needs {_segmentLength}.", nameof(signal));
        }

        if (psd.Length < FrequencyCount)
        {
            throw new ArgumentException($"PSD span has {psd.Length} values; {FrequencyCount} are needed.", nameof(psd));
        }

        int step = _segmentLength - _overlap;
        int segments = SegmentCount(signal.Length);
        Span<double> segment = _frame.AsSpan(0, _segmentLength);
        Span<double> sum = _sum;
        sum.Clear();
        for (int s = 0; s < segments; s++)
        {
            Detrend(signal.Slice(s * step, _segmentLength), segment);
            for (int i = 0; i < segment.Length; i++)
            {
                segment[i] *= _window[i];
            }

            _fft.Forward(_frame, _spectrum);
            for (int k = 0; k < sum.Length; k++)
            {
                Complex x = _spectrum[k];
                sum[k] += x.Real * x.Real + x.Imaginary * x.Imaginary;
            }
        }

        // One-sided density: every bin except DC and (for even nfft) Nyquist carries the power of its mirror bin too.
        int lastDoubled = _fftLength % 2 == 0 ? sum.Length - 2 : sum.Length - 1;
        double scale = _scale / segments;
        for (int k = 0; k < sum.Length; k++)
        {
            double factor = k >= 1 && k <= lastDoubled ? 2.0 : 1.0;
            psd[k] = sum[k] * scale * factor;
        }
    }

    private void Detrend(ReadOnlySpan<double> source, Span<double> destination)
    {
        int n = source.Length;
        switch (_detrend)
        {
            case DetrendKind.Constant:
            {
                double mean = Mean(source);
                for (int i = 0; i < n; i++)
                {
                    destination[i] = source[i] - mean;
                }

                break;
            }

            case DetrendKind.Linear:
            {
                // Least-squares line about the centred time axis t − (n−1)/2, which decouples slope and mean;
                // the residual equals SciPy's lstsq fit.
                double mean = Mean(source);
                double centre = (n - 1) / 2.0;
                double sxy = 0.0, sxx = 0.0;
                for (int i = 0; i < n; i++)
                {
                    double t = i - centre;
                    sxy += t * (source[i] - mean);
                    sxx += t * t;
                }

                double slope = sxx > 0.0 ? sxy / sxx : 0.0;
                for (int i = 0; i < n; i++)
                {
                    destination[i] = source[i] - mean - slope * (i - centre);
                }

                break;
            }

            default:
                source.CopyTo(destination);
                break;
        }
    }

    private static double Mean(ReadOnlySpan<double> values)
    {
        double sum = 0.0;
        foreach (double v in values)
        {
            sum += v;
        }

        return sum / values.Length;
    }
}
