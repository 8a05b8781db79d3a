using System.Numerics;

namespace AcqService.Dsp;

/// <summary>
/// One-sided DFT of a real sequence of any length N ≥ 1: <c>X[k]</c> for <c>k = 0 … N/2</c> (like <c>numpy.fft.rfft</c>).
/// Even N packs the input into a half-length complex FFT (even samples real, odd samples imaginary) and untangles
/// the two spectra afterwards; odd N runs a full-length complex FFT. Allocation-free after construction; not thread-safe.
/// </summary>
internal sealed partial class RealFft
{
    private readonly int _length;
    private readonly ComplexFft _fft;
    private readonly Complex[] _buffer;

    // Even N: W_N^k = e^(−2πik/N), k = 0 … N/2, used to merge the even- and odd-sample spectra.
    private readonly Complex[] _twiddles = [];

    public RealFft(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        _length = length;
        bool packed = length % 2 == 0;
        int complexLength = packed ? length / 2 : length;
        _fft = new ComplexFft(complexLength);
        _buffer = new Complex[complexLength];
        if (packed)
        {
            _twiddles = new Complex[length / 2 + 1];
            for (int k = 0; k < _twiddles.Length; k++)
            {
                double angle = -2.0 * Math.PI * k / length;
                _twiddles[k] = new Complex(Math.Cos(angle), Math.Sin(angle));
            }
        }
    }

    public int Length => _length;

    /// <summary>Number of output bins, <c>N/2 + 1</c>.</summary>
    public int SpectrumLength => _length / 2 + 1;

    /// <summary>Transforms <paramref name="input"/> (length N) into <paramref name="spectrum"/> (length ≥ N/2 + 1).</summary>
    public void Forward(ReadOnlySpan<double> input, Span<Complex> spectrum)
    {
        if (input.Length != _length)
        {
            throw new ArgumentException($"Expected {_length} values, got {input.Length}.", nameof(input));
        }

        if (spectrum.Length < SpectrumLength)
        {
            throw new ArgumentException($"Spectrum needs at least {SpectrumLength} values, got {spectrum.Length}.", nameof(spectrum));
        }

        Span<Complex> z = _buffer;
        if (_twiddles.Length == 0)
        {
            for (int n = 0; n < _length; n++)
            {
                z[n] = new Complex(input[n], 0.0);
            }

            _fft.Forward(z);
            z[..SpectrumLength].CopyTo(spectrum);
            return;
        }

        int h = _length / 2;
        for (int n = 0; n < h; n++)
        {
            z[n] = new Complex(input[2 * n], input[2 * n + 1]);
        }

        _fft.Forward(z);

        // With Z = FFT(even + i·odd): E[k] = (Z[k] + conj Z[h−k]) / 2, O[k] = (Z[k] − conj Z[h−k]) / (2i),
        // X[k] = E[k] + W_N^k·O[k]; Z is h-periodic, so Z[h] = Z[0].
        for (int k = 0; k <= h; k++)
        {
            Complex zk = z[k == h ? 0 : k];
            Complex zc = Complex.Conjugate(z[k == 0 ? 0 : h - k]);
            Complex even = (zk + zc) * 0.5;
            Complex diff = (zk - zc) * 0.5;
            // diff / i = −i·diff
            var odd = new Complex(diff.Imaginary, -diff.Real);
            Complex w = _twiddles[k];
            spectrum[k] = even + new Complex(w.Real * odd.Real - w.Imaginary * odd.Imaginary, w.Real * odd.Imaginary + w.Imaginary * odd.Real);
        }
    }
}
