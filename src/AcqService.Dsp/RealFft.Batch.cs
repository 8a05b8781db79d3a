using System.Numerics;

namespace AcqService.Dsp;

/// <summary>
/// <see cref="Forward"/> for <c>Vector&lt;double&gt;.Count</c> real signals at once, one per lane, with the lanes
/// following the scalar arithmetic exactly (see <see cref="ComplexFft.ForwardBatch"/>), so each lane's spectrum is
/// bit-identical to the scalar transform of that lane's signal.
/// </summary>
internal sealed partial class RealFft
{
    // Batch buffers, made on the first batch call so that scalar-only users do not pay for them.
    private Vector<double>[] _batchRe = [];
    private Vector<double>[] _batchIm = [];
    private Vector<double>[] _batchWorkRe = [];
    private Vector<double>[] _batchWorkIm = [];

    /// <summary>True when the inner complex FFT has a batch path (lengths whose factors are 2, 3 and 5 only).</summary>
    public bool SupportsBatch => _fft.SupportsBatch;

    /// <summary>
    /// Transforms the signals in <paramref name="input"/> (N vectors, lane <c>l</c> of <c>input[n]</c> is sample <c>n</c> of
    /// signal <c>l</c>) into <paramref name="spectrumRe"/>/<paramref name="spectrumIm"/> (≥ N/2 + 1 vectors each).
    /// Requires <see cref="SupportsBatch"/>. Allocates its buffers on the first call only.
    /// </summary>
    public void ForwardBatch(ReadOnlySpan<Vector<double>> input, Span<Vector<double>> spectrumRe, Span<Vector<double>> spectrumIm) =>
        ForwardBatch(input, spectrumRe, spectrumIm, SpectrumLength);

    /// <summary>
    /// <see cref="ForwardBatch(ReadOnlySpan{Vector{double}}, Span{Vector{double}}, Span{Vector{double}})"/> that writes bins
    /// <c>0 … bins − 1</c> only (the transform is whole; only the final untangling stops early), bit-identical to those
    /// bins of the full call.
    /// </summary>
    public void ForwardBatch(ReadOnlySpan<Vector<double>> input, Span<Vector<double>> spectrumRe, Span<Vector<double>> spectrumIm, int bins)
    {
        if ((uint)bins > (uint)SpectrumLength)
        {
            throw new ArgumentOutOfRangeException(nameof(bins), bins, $"At most {SpectrumLength} bins.");
        }

        if (input.Length != _length)
        {
            throw new ArgumentException($"Expected {_length} vectors, got {input.Length}.", nameof(input));
        }

        if (spectrumRe.Length < bins || spectrumIm.Length < bins)
        {
            throw new ArgumentException($"Spectrum needs at least {bins} vectors.", nameof(spectrumRe));
        }

        int complexLength = _buffer.Length;
        if (_batchRe.Length != complexLength)
        {
            _batchRe = new Vector<double>[complexLength];
            _batchIm = new Vector<double>[complexLength];
            _batchWorkRe = new Vector<double>[complexLength];
            _batchWorkIm = new Vector<double>[complexLength];
        }

        Span<Vector<double>> zr = _batchRe, zi = _batchIm;
        if (_twiddles.Length == 0)
        {
            input.CopyTo(zr);
            zi.Clear();
            _fft.ForwardBatch(zr, zi, _batchWorkRe, _batchWorkIm);
            zr[..bins].CopyTo(spectrumRe);
            zi[..bins].CopyTo(spectrumIm);
            return;
        }

        int h = _length / 2;
        for (int n = 0; n < h; n++)
        {
            zr[n] = input[2 * n];
            zi[n] = input[2 * n + 1];
        }

        _fft.ForwardBatch(zr, zi, _batchWorkRe, _batchWorkIm);

        // The scalar untangling, component by component: zc = conj z[h−k], even = (zk + zc)·0.5, diff = (zk − zc)·0.5,
        // odd = −i·diff = (diff.Im, −diff.Re), X = even + w·odd. Adding a negated value is the same IEEE operation as
        // subtracting it, so (zk.Im + (−z.Im)) is written zk.Im − z.Im.
        var half = new Vector<double>(0.5);
        for (int k = 0; k < bins; k++)
        {
            int a = k == h ? 0 : k, b = k == 0 ? 0 : h - k;
            Vector<double> zkr = zr[a], zki = zi[a], zcr = zr[b], zci = zi[b];
            Vector<double> evenR = (zkr + zcr) * half;
            Vector<double> evenI = (zki - zci) * half;
            Vector<double> diffR = (zkr - zcr) * half;
            Vector<double> diffI = (zki + zci) * half;
            Vector<double> oddR = diffI;
            Vector<double> oddI = -diffR;
            var wr = new Vector<double>(_twiddles[k].Real);
            var wi = new Vector<double>(_twiddles[k].Imaginary);
            spectrumRe[k] = evenR + (wr * oddR - wi * oddI);
            spectrumIm[k] = evenI + (wr * oddI + wi * oddR);
        }
    }
}
