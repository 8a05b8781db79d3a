using System.Numerics;
using System.Runtime.InteropServices;

namespace AcqService.Dsp;

/// <summary>
/// Welch power spectral density, equal to <c>scipy.signal.welch(x, fs, window, nperseg, noverlap, nfft,
/// detrend, return_onesided=True, scaling='density', average='mean')</c>. Units: (signal unit)²/Hz.
/// Buffers are allocated once in the constructor; <see cref="Estimate(ReadOnlySpan{double}, Span{double})"/>
/// allocates nothing. Not thread-safe.
/// <para>
/// <see cref="EstimateInterleaved"/> estimates many channels of frame-major data. With hardware-accelerated
/// <see cref="Vector{T}"/> and an FFT length whose factors are 2, 3 and 5, it transforms <c>Vector&lt;double&gt;.Count</c>
/// channels at once, one per lane, with the scalar arithmetic in every lane, so its result is bit-identical to
/// <see cref="Estimate"/> on each channel; otherwise it runs <see cref="Estimate"/>'s scalar code channel by channel.
/// </para>
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
        _sum.AsSpan().Clear();
        for (int s = 0; s < segments; s++)
        {
            Detrend(signal.Slice(s * step, _segmentLength), segment);
            WindowAndAccumulate();
        }

        WriteDensity(segments, psd);
    }

    /// <summary>
    /// Estimates the PSD of each of <paramref name="channels"/> interleaved signals: <paramref name="frames"/> holds
    /// <c>n × channels</c> values, frame-major (sample <c>i</c> of channel <c>c</c> at <c>i · channels + c</c>), with
    /// <c>n ≥ </c><see cref="SegmentLength"/>. Channel <c>c</c>'s PSD goes to <c>psd[c · FrequencyCount … (c + 1) · FrequencyCount)</c>
    /// and is bit-identical to <see cref="Estimate"/> on that channel alone. Allocates nothing after the first call.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="channels"/> is below 1.</exception>
    /// <exception cref="ArgumentException">The length is not a whole number of frames, is shorter than one segment, or
    /// <paramref name="psd"/> is shorter than <c>channels · FrequencyCount</c>.</exception>
    public void EstimateInterleaved(ReadOnlySpan<double> frames, int channels, Span<double> psd)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        if (frames.Length % channels != 0)
        {
            throw new ArgumentException($"Length {frames.Length} is not a whole number of {channels}-channel frames.", nameof(frames));
        }

        int length = frames.Length / channels;
        if (length < _segmentLength)
        {
            throw new ArgumentException($"Signal has {length} samples; one segment needs {_segmentLength}.", nameof(frames));
        }

        int bins = FrequencyCount;
        if (psd.Length < channels * bins)
        {
            throw new ArgumentException($"PSD span has {psd.Length} values; {channels} × {bins} are needed.", nameof(psd));
        }

        if (UseVectors && Vector.IsHardwareAccelerated && _fft.SupportsBatch)
        {
            EstimateBatches(frames, channels, length, psd);
            return;
        }

        int step = _segmentLength - _overlap;
        int segments = SegmentCount(length);
        Span<double> segment = _frame.AsSpan(0, _segmentLength);
        for (int c = 0; c < channels; c++)
        {
            _sum.AsSpan().Clear();
            for (int s = 0; s < segments; s++)
            {
                int first = (s * step * channels) + c;
                for (int i = 0; i < segment.Length; i++)
                {
                    segment[i] = frames[first + (i * channels)];
                }

                // In place: each detrend reads all of its input before it writes.
                Detrend(segment, segment);
                WindowAndAccumulate();
            }

            WriteDensity(segments, psd.Slice(c * bins, bins));
        }
    }

    /// <summary>
    /// When false, <see cref="EstimateInterleaved"/> always takes the scalar path (tests compare the two paths bit for
    /// bit). Defaults to true; the vector path also needs <see cref="Vector.IsHardwareAccelerated"/>.
    /// </summary>
    internal bool UseVectors { get; set; } = true;

    // Window the segment in _frame, transform it, add its squared magnitudes to _sum.
    private void WindowAndAccumulate()
    {
        Span<double> segment = _frame.AsSpan(0, _segmentLength);
        Span<double> sum = _sum;
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

    private void WriteDensity(int segments, Span<double> psd)
    {
        Span<double> sum = _sum;

        // One-sided density: every bin except DC and (for even nfft) Nyquist carries the power of its mirror bin too.
        int lastDoubled = _fftLength % 2 == 0 ? sum.Length - 2 : sum.Length - 1;
        double scale = _scale / segments;
        for (int k = 0; k < sum.Length; k++)
        {
            double factor = k >= 1 && k <= lastDoubled ? 2.0 : 1.0;
            psd[k] = sum[k] * scale * factor;
        }
    }

    // Batch buffers, made on the first vector call: segment (fftLength vectors, zero tail never written), spectrum, sums.
    private Vector<double>[] _batchFrame = [];
    private Vector<double>[] _batchRe = [];
    private Vector<double>[] _batchIm = [];

    // One segment of every block of channels, block-major ([block · segmentLength + sample]): filled by one sequential
    // pass over the frames, so that each block's detrend, window and FFT then work on 32 KB-sized contiguous data
    // instead of reading the frames with a stride of a whole frame once per block.
    private Vector<double>[] _batchBlocks = [];

    // The scalar path with one channel per lane: the same detrend, window, FFT, power sum and scaling expressions.
    private void EstimateBatches(ReadOnlySpan<double> frames, int channels, int length, Span<double> psd)
    {
        int width = Vector<double>.Count;
        int bins = FrequencyCount;
        if (_batchFrame.Length != _fftLength)
        {
            _batchFrame = new Vector<double>[_fftLength];
            _batchRe = new Vector<double>[bins];
            _batchIm = new Vector<double>[bins];
        }

        int step = _segmentLength - _overlap;
        int segments = SegmentCount(length);
        int lastDoubled = _fftLength % 2 == 0 ? bins - 2 : bins - 1;
        var scale = new Vector<double>(_scale / segments);
        var two = new Vector<double>(2.0);
        var one = new Vector<double>(1.0);
        Span<Vector<double>> frame = _batchFrame.AsSpan(0, _segmentLength);
        Span<double> lanes = stackalloc double[width];
        ref double source = ref MemoryMarshal.GetReference(frames);
        int blocks = (channels + width - 1) / width;
        int whole = channels / width;
        if (_batchBlocks.Length < blocks * _segmentLength)
        {
            _batchBlocks = new Vector<double>[blocks * _segmentLength];
        }

        // Segment-outer, so that one transposition serves every block; hence one array of power sums per block.
        if (_batchBlockSums.Length < blocks * bins)
        {
            _batchBlockSums = new Vector<double>[blocks * bins];
        }

        if (_batchTotals.Length < blocks)
        {
            _batchTotals = new Vector<double>[blocks];
        }

        Span<Vector<double>> totals = _batchTotals.AsSpan(0, blocks);
        _batchBlockSums.AsSpan(0, blocks * bins).Clear();
        for (int s = 0; s < segments; s++)
        {
            // The transposition also sums each lane's samples in sample order (Mean's order), for the detrend.
            int frameOffset = s * step * channels;
            totals.Clear();
            for (int i = 0; i < _segmentLength; i++)
            {
                int offset = frameOffset + (i * channels);
                int b = 0;
                // (b + 1) · width ≤ channels and the segment's last frame is inside the span.
                for (; b < whole; b++)
                {
                    Vector<double> v = Vector.LoadUnsafe(ref source, (nuint)(offset + (b * width)));
                    _batchBlocks[(b * _segmentLength) + i] = v;
                    totals[b] += v;
                }

                if (b < blocks)
                {
                    // Last, partial block: the unused lanes carry zeros and their results are dropped.
                    lanes.Clear();
                    frames.Slice(offset + (b * width), channels - (b * width)).CopyTo(lanes);
                    var v = new Vector<double>(lanes);
                    _batchBlocks[(b * _segmentLength) + i] = v;
                    totals[b] += v;
                }
            }

            for (int b = 0; b < blocks; b++)
            {
                Span<Vector<double>> block = _batchBlocks.AsSpan(b * _segmentLength, _segmentLength);
                if (_detrend == DetrendKind.Constant)
                {
                    // Detrend and window in one pass: (x − mean) · w, as Detrend then the window loop.
                    Vector<double> mean = totals[b] / new Vector<double>(_segmentLength);
                    for (int i = 0; i < frame.Length; i++)
                    {
                        frame[i] = (block[i] - mean) * _window[i];
                    }
                }
                else
                {
                    DetrendBatch(block, totals[b]);
                    for (int i = 0; i < frame.Length; i++)
                    {
                        frame[i] = block[i] * _window[i];
                    }
                }

                _fft.ForwardBatch(_batchFrame, _batchRe, _batchIm);
                Span<Vector<double>> blockSum = _batchBlockSums.AsSpan(b * bins, bins);
                for (int k = 0; k < blockSum.Length; k++)
                {
                    Vector<double> re = _batchRe[k], im = _batchIm[k];
                    blockSum[k] += re * re + im * im;
                }
            }
        }

        for (int b = 0; b < blocks; b++)
        {
            int first = b * width;
            int count = Math.Min(width, channels - first);
            ReadOnlySpan<Vector<double>> blockSum = _batchBlockSums.AsSpan(b * bins, bins);
            for (int k = 0; k < bins; k++)
            {
                Vector<double> density = blockSum[k] * scale * (k >= 1 && k <= lastDoubled ? two : one);
                for (int l = 0; l < count; l++)
                {
                    psd[((first + l) * bins) + k] = density[l];
                }
            }
        }
    }

    // Power sums of every block of channels, [block · bins + bin].
    private Vector<double>[] _batchBlockSums = [];

    // Batch sums of each segment's samples per lane, [block].
    private Vector<double>[] _batchTotals = [];

    // Detrend, in place, one signal per lane, with the expressions of Detrend and Mean (total: the lanes' sums in sample order).
    private void DetrendBatch(Span<Vector<double>> frame, Vector<double> total)
    {
        int n = frame.Length;
        if (_detrend is not (DetrendKind.Constant or DetrendKind.Linear))
        {
            return;
        }

        Vector<double> mean = total / new Vector<double>(n);
        if (_detrend == DetrendKind.Constant)
        {
            for (int i = 0; i < n; i++)
            {
                frame[i] -= mean;
            }

            return;
        }

        double centre = (n - 1) / 2.0;
        Vector<double> sxy = Vector<double>.Zero;
        double sxx = 0.0;
        for (int i = 0; i < n; i++)
        {
            double t = i - centre;
            sxy += new Vector<double>(t) * (frame[i] - mean);
            sxx += t * t;
        }

        Vector<double> slope = sxx > 0.0 ? sxy / new Vector<double>(sxx) : Vector<double>.Zero;
        for (int i = 0; i < n; i++)
        {
            frame[i] = frame[i] - mean - slope * new Vector<double>(i - centre);
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
