using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AcqService.Dsp;

/// <summary>
/// Welch power spectral density, equal to <c>scipy.signal.welch(x, fs, window, nperseg, noverlap, nfft,
/// detrend, return_onesided=True, scaling='density', average='mean')</c>. Units: (signal unit)²/Hz.
/// Buffers are allocated once in the constructor; <see cref="Estimate(ReadOnlySpan{double}, Span{double})"/>
/// allocates nothing. Not thread-safe.
/// <para>
/// <see cref="EstimateInterleaved(ReadOnlySpan{double}, int, Span{double}, int)"/> estimates many channels of frame-major data. With hardware-accelerated
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

        WriteDensity(segments, psd[..FrequencyCount]);
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
    public void EstimateInterleaved(ReadOnlySpan<double> frames, int channels, Span<double> psd) =>
        EstimateInterleaved(frames, channels, psd, FrequencyCount);

    /// <summary>
    /// <see cref="EstimateInterleaved(ReadOnlySpan{double}, int, Span{double})"/> for the first <paramref name="binCount"/>
    /// frequencies only: channel <c>c</c>'s bins <c>0 … binCount − 1</c> go to <c>psd[c · binCount … (c + 1) · binCount)</c>,
    /// each bit-identical to the same bin of <see cref="Estimate"/>. A caller that reads a low band (alpha, broad band up to
    /// 40 Hz) skips the power sums, spectrum untangling and output of every bin above it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="channels"/> is below 1, or <paramref name="binCount"/> is
    /// below 1 or above <see cref="FrequencyCount"/>.</exception>
    /// <exception cref="ArgumentException">The length is not a whole number of frames, is shorter than one segment, or
    /// <paramref name="psd"/> is shorter than <c>channels · binCount</c>.</exception>
    public void EstimateInterleaved(ReadOnlySpan<double> frames, int channels, Span<double> psd, int binCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(binCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(binCount, FrequencyCount);
        if (frames.Length % channels != 0)
        {
            throw new ArgumentException($"Length {frames.Length} is not a whole number of {channels}-channel frames.", nameof(frames));
        }

        int length = frames.Length / channels;
        if (length < _segmentLength)
        {
            throw new ArgumentException($"Signal has {length} samples; one segment needs {_segmentLength}.", nameof(frames));
        }

        int bins = binCount;
        if (psd.Length < channels * bins)
        {
            throw new ArgumentException($"PSD span has {psd.Length} values; {channels} × {bins} are needed.", nameof(psd));
        }

        if (UseVectors && Vector.IsHardwareAccelerated && _fft.SupportsBatch)
        {
            EstimateBatches(frames, channels, length, psd, bins);
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
    /// When false, <see cref="EstimateInterleaved(ReadOnlySpan{double}, int, Span{double}, int)"/> always takes the scalar path (tests compare the two paths bit for
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
        for (int k = 0; k < psd.Length; k++)
        {
            double factor = k >= 1 && k <= lastDoubled ? 2.0 : 1.0;
            psd[k] = sum[k] * scale * factor;
        }
    }

    /// <summary>
    /// Estimates the PSDs of <c>Vector&lt;double&gt;.Count</c> signals held one per lane: lane <c>l</c> of
    /// <paramref name="signal"/><c>[i]</c> is sample <c>i</c> of signal <c>l</c> (at least <see cref="SegmentLength"/> samples).
    /// Bins <c>0 … binCount − 1</c> of signal <c>l</c> go to <c>psd[l · binCount … (l + 1) · binCount)</c> for
    /// <c>l &lt; lanesUsed</c>; each is bit-identical to the same bin of <see cref="Estimate"/> on that signal alone.
    /// A caller that keeps its channels in this layout (the alpha analyzer's ring) skips the gather that
    /// <see cref="EstimateInterleaved(ReadOnlySpan{double}, int, Span{double}, int)"/> must do. Allocates nothing after the first call.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="binCount"/> is below 1 or above <see cref="FrequencyCount"/>,
    /// or <paramref name="lanesUsed"/> is below 1 or above <c>Vector&lt;double&gt;.Count</c>.</exception>
    /// <exception cref="ArgumentException">The signal is shorter than one segment, or <paramref name="psd"/> is shorter than
    /// <c>lanesUsed · binCount</c>.</exception>
    public void EstimateLanes(ReadOnlySpan<Vector<double>> signal, Span<double> psd, int binCount, int lanesUsed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(binCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(binCount, FrequencyCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(lanesUsed, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lanesUsed, Vector<double>.Count);
        if (signal.Length < _segmentLength)
        {
            throw new ArgumentException($"Signal has {signal.Length} samples; one segment needs {_segmentLength}.", nameof(signal));
        }

        if (psd.Length < lanesUsed * binCount)
        {
            throw new ArgumentException($"PSD span has {psd.Length} values; {lanesUsed} × {binCount} are needed.", nameof(psd));
        }

        int segments = SegmentCount(signal.Length);
        if (UseVectors && Vector.IsHardwareAccelerated && _fft.SupportsBatch)
        {
            EnsureBatchBuffers();
            Span<Vector<double>> sums = _batchSums.AsSpan(0, binCount);
            sums.Clear();
            int step = _segmentLength - _overlap;
            for (int s = 0; s < segments; s++)
            {
                ReadOnlySpan<Vector<double>> segment = signal.Slice(s * step, _segmentLength);
                Vector<double> total = Vector<double>.Zero;
                foreach (Vector<double> v in segment)
                {
                    total += v;
                }

                AccumulateBatch(segment, total, sums);
            }

            WriteBatchDensity(sums, segments, psd, binCount, lanesUsed);
            return;
        }

        // Scalar path: each lane on its own, through Estimate's code.
        Span<double> one = _laneSignal.Length >= signal.Length ? _laneSignal.AsSpan(0, signal.Length) : (_laneSignal = new double[signal.Length]);
        Span<double> full = _lanePsd.Length == FrequencyCount ? _lanePsd : (_lanePsd = new double[FrequencyCount]);
        for (int l = 0; l < lanesUsed; l++)
        {
            for (int i = 0; i < one.Length; i++)
            {
                one[i] = signal[i][l];
            }

            Estimate(one, full);
            full[..binCount].CopyTo(psd.Slice(l * binCount, binCount));
        }
    }

    // Scalar fallback buffers of EstimateLanes, made on first use.
    private double[] _laneSignal = [];
    private double[] _lanePsd = [];

    // Batch buffers, made on the first vector call: segment (fftLength vectors, zero tail never written), spectrum, sums.
    private Vector<double>[] _batchFrame = [];
    private Vector<double>[] _batchRe = [];
    private Vector<double>[] _batchIm = [];

    // One segment of one block of channels ([sample]), gathered from the frames.
    private Vector<double>[] _batchBlock = [];

    // Power sums of the current block of channels, [bin].
    private Vector<double>[] _batchSums = [];

    private void EnsureBatchBuffers()
    {
        if (_batchFrame.Length != _fftLength)
        {
            _batchFrame = new Vector<double>[_fftLength];
            _batchRe = new Vector<double>[FrequencyCount];
            _batchIm = new Vector<double>[FrequencyCount];
            _batchBlock = new Vector<double>[_segmentLength];
            _batchSums = new Vector<double>[FrequencyCount];
        }
    }

    // The scalar path with one channel per lane: the same detrend, window, FFT, power sum and scaling expressions.
    // Block-outer: each block of channels gathers its segments one after the other from the frames, then goes through
    // the same per-segment code as EstimateLanes.
    private void EstimateBatches(ReadOnlySpan<double> frames, int channels, int length, Span<double> psd, int bins)
    {
        int width = Vector<double>.Count;
        EnsureBatchBuffers();
        int step = _segmentLength - _overlap;
        int segments = SegmentCount(length);
        int segmentLength = _segmentLength;
        Span<Vector<double>> block = _batchBlock.AsSpan(0, segmentLength);
        Span<Vector<double>> sums = _batchSums.AsSpan(0, bins);
        Span<double> lanes = stackalloc double[width];
        ref double source = ref MemoryMarshal.GetReference(frames);
        ref Vector<double> blockStart = ref MemoryMarshal.GetReference(block);
        int blocks = (channels + width - 1) / width;
        int whole = channels / width;
        for (int b = 0; b < blocks; b++)
        {
            int first = b * width;
            sums.Clear();
            for (int s = 0; s < segments; s++)
            {
                // The gather also sums each lane's samples in sample order (Mean's order), for the detrend.
                int offset = (s * step * channels) + first;
                Vector<double> total = Vector<double>.Zero;
                if (b < whole)
                {
                    // first + width ≤ channels, and the segment's last frame is inside the span (length ≥ s · step + segment).
                    for (int i = 0; i < segmentLength; i++)
                    {
                        Vector<double> v = Vector.LoadUnsafe(ref source, (nuint)(offset + (i * channels)));
                        Unsafe.Add(ref blockStart, i) = v;
                        total += v;
                    }
                }
                else
                {
                    // Last, partial block: the unused lanes carry zeros and their results are dropped.
                    for (int i = 0; i < segmentLength; i++)
                    {
                        lanes.Clear();
                        frames.Slice(offset + (i * channels), channels - first).CopyTo(lanes);
                        var v = new Vector<double>(lanes);
                        block[i] = v;
                        total += v;
                    }
                }

                AccumulateBatch(block, total, sums);
            }

            WriteBatchDensity(sums, segments, psd[(first * bins)..], bins, Math.Min(width, channels - first));
        }
    }

    // Detrend (total: the lanes' sums in sample order), window, transform one segment of a block of lanes, and add its
    // squared magnitudes to sums (the first sums.Length bins only).
    private void AccumulateBatch(ReadOnlySpan<Vector<double>> segment, Vector<double> total, Span<Vector<double>> sums)
    {
        Span<Vector<double>> frame = _batchFrame.AsSpan(0, _segmentLength);
        ReadOnlySpan<double> window = _window.AsSpan(0, _segmentLength);
        if (_detrend == DetrendKind.Constant)
        {
            // Detrend and window in one pass: (x − mean) · w, as Detrend then the window loop.
            Vector<double> mean = total / new Vector<double>(_segmentLength);
            for (int i = 0; i < frame.Length; i++)
            {
                frame[i] = (segment[i] - mean) * window[i];
            }
        }
        else
        {
            segment[.._segmentLength].CopyTo(frame);
            DetrendBatch(frame, total);
            for (int i = 0; i < frame.Length; i++)
            {
                frame[i] *= window[i];
            }
        }

        int bins = sums.Length;
        _fft.ForwardBatch(_batchFrame, _batchRe, _batchIm, bins);
        ReadOnlySpan<Vector<double>> spectrumRe = _batchRe.AsSpan(0, bins), spectrumIm = _batchIm.AsSpan(0, bins);
        for (int k = 0; k < sums.Length; k++)
        {
            Vector<double> re = spectrumRe[k], im = spectrumIm[k];
            sums[k] += re * re + im * im;
        }
    }

    // Lane l of bin k is value k · width + l of the sums; each lane takes WriteDensity's expression.
    private void WriteBatchDensity(ReadOnlySpan<Vector<double>> sums, int segments, Span<double> psd, int bins, int lanesUsed)
    {
        int width = Vector<double>.Count;
        int lastDoubled = _fftLength % 2 == 0 ? FrequencyCount - 2 : FrequencyCount - 1;
        double scale = _scale / segments;
        ReadOnlySpan<double> sumValues = MemoryMarshal.Cast<Vector<double>, double>(sums);
        for (int l = 0; l < lanesUsed; l++)
        {
            Span<double> target = psd.Slice(l * bins, bins);
            for (int k = 0; k < bins; k++)
            {
                double factor = k >= 1 && k <= lastDoubled ? 2.0 : 1.0;
                target[k] = sumValues[(k * width) + l] * scale * factor;
            }
        }
    }

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
