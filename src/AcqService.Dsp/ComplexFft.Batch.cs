using System.Numerics;

namespace AcqService.Dsp;

/// <summary>
/// The Stockham stages of <see cref="ComplexFft"/> applied to <c>Vector&lt;double&gt;.Count</c> independent signals at
/// once (one signal per lane, real and imaginary parts in separate arrays). Each lane evaluates the same expressions
/// in the same order as the scalar butterflies, including the component-wise order of the <see cref="Complex"/>
/// operators, so every lane's result is bit-identical to <see cref="Forward"/> on that lane's signal.
/// </summary>
internal sealed partial class ComplexFft
{
    /// <summary>True when every stage has a dedicated radix 2/3/4/5 butterfly (no Bluestein, no generic radix), the case <see cref="ForwardBatch"/> handles.</summary>
    public bool SupportsBatch => _inner is null && Array.TrueForAll(_radices, r => r <= 5);

    /// <summary>
    /// Transforms <c>Vector&lt;double&gt;.Count</c> signals in place: lane <c>l</c> of <c>re[n]</c>, <c>im[n]</c> is sample
    /// <c>n</c> of signal <c>l</c>. <paramref name="workRe"/> and <paramref name="workIm"/> are scratch of the same length.
    /// Requires <see cref="SupportsBatch"/>.
    /// </summary>
    public void ForwardBatch(Span<Vector<double>> re, Span<Vector<double>> im, Span<Vector<double>> workRe, Span<Vector<double>> workIm)
    {
        if (re.Length != _length || im.Length != _length || workRe.Length < _length || workIm.Length < _length)
        {
            throw new ArgumentException($"Batch FFT of length {_length} got {re.Length}/{im.Length} values and {workRe.Length}/{workIm.Length} of scratch.");
        }

        if (!SupportsBatch)
        {
            throw new InvalidOperationException($"Length {_length} needs a generic radix or Bluestein, which have no batch path.");
        }

        Span<Vector<double>> xr = re, xi = im, yr = workRe[.._length], yi = workIm[.._length];
        int sub = _length;
        int stride = 1;
        bool resultInData = true;
        for (int stage = 0; stage < _radices.Length; stage++)
        {
            int r = _radices[stage];
            int m = sub / r;
            ReadOnlySpan<Complex> tw = _stageTwiddles[stage];
            switch (r)
            {
                case 2: Radix2(xr, xi, yr, yi, m, stride, tw); break;
                case 3: Radix3(xr, xi, yr, yi, m, stride, tw); break;
                case 4: Radix4(xr, xi, yr, yi, m, stride, tw); break;
                default: Radix5(xr, xi, yr, yi, m, stride, tw); break;
            }

            Span<Vector<double>> tr = xr, ti = xi;
            xr = yr;
            xi = yi;
            yr = tr;
            yi = ti;
            resultInData = !resultInData;
            sub = m;
            stride *= r;
        }

        if (!resultInData)
        {
            xr.CopyTo(re);
            xi.CopyTo(im);
        }
    }

    // (ar + i·ai)·(wr + i·wi) as Mul: (ar·wr − ai·wi, ar·wi + ai·wr).
    private static void MulStore(Vector<double> ar, Vector<double> ai, Vector<double> wr, Vector<double> wi, out Vector<double> yr, out Vector<double> yi)
    {
        yr = ar * wr - ai * wi;
        yi = ar * wi + ai * wr;
    }

    private static void Radix2(Span<Vector<double>> xr, Span<Vector<double>> xi, Span<Vector<double>> yr, Span<Vector<double>> yi, int m, int s, ReadOnlySpan<Complex> tw)
    {
        for (int p = 0; p < m; p++)
        {
            var w1r = new Vector<double>(tw[p].Real);
            var w1i = new Vector<double>(tw[p].Imaginary);
            for (int q = 0; q < s; q++)
            {
                int i0 = q + s * p, i1 = q + s * (p + m);
                Vector<double> a0r = xr[i0], a0i = xi[i0], a1r = xr[i1], a1i = xi[i1];
                int o = q + s * (2 * p);
                yr[o] = a0r + a1r;
                yi[o] = a0i + a1i;
                MulStore(a0r - a1r, a0i - a1i, w1r, w1i, out yr[o + s], out yi[o + s]);
            }
        }
    }

    private static void Radix3(Span<Vector<double>> xr, Span<Vector<double>> xi, Span<Vector<double>> yr, Span<Vector<double>> yi, int m, int s, ReadOnlySpan<Complex> tw)
    {
        const double sin60 = 0.86602540378443864676; // sin(2π/3), as the scalar butterfly
        var half = new Vector<double>(0.5);
        var sin = new Vector<double>(sin60);
        var minusSin = new Vector<double>(-sin60);
        for (int p = 0; p < m; p++)
        {
            var w1r = new Vector<double>(tw[2 * p].Real);
            var w1i = new Vector<double>(tw[2 * p].Imaginary);
            var w2r = new Vector<double>(tw[2 * p + 1].Real);
            var w2i = new Vector<double>(tw[2 * p + 1].Imaginary);
            for (int q = 0; q < s; q++)
            {
                int i0 = q + s * p, i1 = q + s * (p + m), i2 = q + s * (p + 2 * m);
                Vector<double> a0r = xr[i0], a0i = xi[i0], a1r = xr[i1], a1i = xi[i1], a2r = xr[i2], a2i = xi[i2];
                Vector<double> tr = a1r + a2r, ti = a1i + a2i;
                Vector<double> dr = a1r - a2r, di = a1i - a2i;
                Vector<double> cr = a0r - tr * half, ci = a0i - ti * half;
                // rot = (sin60·d.Im, −sin60·d.Re)
                Vector<double> rotr = sin * di, roti = minusSin * dr;
                int o = q + s * (3 * p);
                yr[o] = a0r + tr;
                yi[o] = a0i + ti;
                MulStore(cr + rotr, ci + roti, w1r, w1i, out yr[o + s], out yi[o + s]);
                MulStore(cr - rotr, ci - roti, w2r, w2i, out yr[o + 2 * s], out yi[o + 2 * s]);
            }
        }
    }

    private static void Radix4(Span<Vector<double>> xr, Span<Vector<double>> xi, Span<Vector<double>> yr, Span<Vector<double>> yi, int m, int s, ReadOnlySpan<Complex> tw)
    {
        for (int p = 0; p < m; p++)
        {
            var w1r = new Vector<double>(tw[3 * p].Real);
            var w1i = new Vector<double>(tw[3 * p].Imaginary);
            var w2r = new Vector<double>(tw[3 * p + 1].Real);
            var w2i = new Vector<double>(tw[3 * p + 1].Imaginary);
            var w3r = new Vector<double>(tw[3 * p + 2].Real);
            var w3i = new Vector<double>(tw[3 * p + 2].Imaginary);
            for (int q = 0; q < s; q++)
            {
                int i0 = q + s * p, i1 = q + s * (p + m), i2 = q + s * (p + 2 * m), i3 = q + s * (p + 3 * m);
                Vector<double> a0r = xr[i0], a0i = xi[i0], a1r = xr[i1], a1i = xi[i1];
                Vector<double> a2r = xr[i2], a2i = xi[i2], a3r = xr[i3], a3i = xi[i3];
                Vector<double> t0r = a0r + a2r, t0i = a0i + a2i, t1r = a0r - a2r, t1i = a0i - a2i;
                Vector<double> t2r = a1r + a3r, t2i = a1i + a3i, t3r = a1r - a3r, t3i = a1i - a3i;
                // t3r = −i·t3 = (t3.Im, −t3.Re); x + (−y) and x − y are the same IEEE operation.
                int o = q + s * (4 * p);
                yr[o] = t0r + t2r;
                yi[o] = t0i + t2i;
                MulStore(t1r + t3i, t1i - t3r, w1r, w1i, out yr[o + s], out yi[o + s]);
                MulStore(t0r - t2r, t0i - t2i, w2r, w2i, out yr[o + 2 * s], out yi[o + 2 * s]);
                MulStore(t1r - t3i, t1i + t3r, w3r, w3i, out yr[o + 3 * s], out yi[o + 3 * s]);
            }
        }
    }

    private static void Radix5(Span<Vector<double>> xr, Span<Vector<double>> xi, Span<Vector<double>> yr, Span<Vector<double>> yi, int m, int s, ReadOnlySpan<Complex> tw)
    {
        // The scalar butterfly's constants.
        var c1 = new Vector<double>(0.30901699437494742410);
        var c2 = new Vector<double>(-0.80901699437494742410);
        var s1 = new Vector<double>(0.95105651629515357212);
        var s2 = new Vector<double>(0.58778525229247312917);
        for (int p = 0; p < m; p++)
        {
            var w1r = new Vector<double>(tw[4 * p].Real);
            var w1i = new Vector<double>(tw[4 * p].Imaginary);
            var w2r = new Vector<double>(tw[4 * p + 1].Real);
            var w2i = new Vector<double>(tw[4 * p + 1].Imaginary);
            var w3r = new Vector<double>(tw[4 * p + 2].Real);
            var w3i = new Vector<double>(tw[4 * p + 2].Imaginary);
            var w4r = new Vector<double>(tw[4 * p + 3].Real);
            var w4i = new Vector<double>(tw[4 * p + 3].Imaginary);
            for (int q = 0; q < s; q++)
            {
                int i0 = q + s * p, i1 = q + s * (p + m), i2 = q + s * (p + 2 * m), i3 = q + s * (p + 3 * m), i4 = q + s * (p + 4 * m);
                Vector<double> a0r = xr[i0], a0i = xi[i0], a1r = xr[i1], a1i = xi[i1], a2r = xr[i2], a2i = xi[i2];
                Vector<double> a3r = xr[i3], a3i = xi[i3], a4r = xr[i4], a4i = xi[i4];
                Vector<double> t1r = a1r + a4r, t1i = a1i + a4i, t2r = a2r + a3r, t2i = a2i + a3i;
                Vector<double> d1r = a1r - a4r, d1i = a1i - a4i, d2r = a2r - a3r, d2i = a2i - a3i;
                // e = a0 + t1·c + t2·c', left to right as the Complex operators.
                Vector<double> e1r = a0r + t1r * c1 + t2r * c2, e1i = a0i + t1i * c1 + t2i * c2;
                Vector<double> e2r = a0r + t1r * c2 + t2r * c1, e2i = a0i + t1i * c2 + t2i * c1;
                Vector<double> f1r = d1r * s1 + d2r * s2, f1i = d1i * s1 + d2i * s2;
                Vector<double> f2r = d1r * s2 - d2r * s1, f2i = d1i * s2 - d2i * s1;
                // g = −i·f = (f.Im, −f.Re): e + g = (e.Re + f.Im, e.Im − f.Re), e − g = (e.Re − f.Im, e.Im + f.Re).
                int o = q + s * (5 * p);
                yr[o] = a0r + t1r + t2r;
                yi[o] = a0i + t1i + t2i;
                MulStore(e1r + f1i, e1i - f1r, w1r, w1i, out yr[o + s], out yi[o + s]);
                MulStore(e2r + f2i, e2i - f2r, w2r, w2i, out yr[o + 2 * s], out yi[o + 2 * s]);
                MulStore(e2r - f2i, e2i + f2r, w3r, w3i, out yr[o + 3 * s], out yi[o + 3 * s]);
                MulStore(e1r - f1i, e1i + f1r, w4r, w4i, out yr[o + 4 * s], out yi[o + 4 * s]);
            }
        }
    }
}
