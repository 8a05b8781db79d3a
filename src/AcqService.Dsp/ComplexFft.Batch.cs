using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MulStore(Vector<double> ar, Vector<double> ai, Vector<double> wr, Vector<double> wi, out Vector<double> yr, out Vector<double> yi)
    {
        yr = ar * wr - ai * wi;
        yi = ar * wi + ai * wr;
    }

    // The butterflies address the arrays through references: every index they form is below r · m · s, which is
    // checked once per stage here, so the per-element bounds checks (and the index arithmetic they keep alive, which
    // spilled to the stack) are left out of the inner loops.
    private static void CheckStage(Span<Vector<double>> xr, Span<Vector<double>> xi, Span<Vector<double>> yr, Span<Vector<double>> yi, int r, int m, int s, ReadOnlySpan<Complex> tw)
    {
        int n = r * m * s;
        if (xr.Length < n || xi.Length < n || yr.Length < n || yi.Length < n || tw.Length < (r - 1) * m)
        {
            throw new ArgumentException($"Radix-{r} stage of {n} points got {xr.Length}/{xi.Length}/{yr.Length}/{yi.Length} values and {tw.Length} twiddles.");
        }
    }

    private static void Radix2(Span<Vector<double>> xr, Span<Vector<double>> xi, Span<Vector<double>> yr, Span<Vector<double>> yi, int m, int s, ReadOnlySpan<Complex> tw)
    {
        CheckStage(xr, xi, yr, yi, 2, m, s, tw);
        ref Vector<double> xr0 = ref MemoryMarshal.GetReference(xr);
        ref Vector<double> xi0 = ref MemoryMarshal.GetReference(xi);
        ref Vector<double> yr0 = ref MemoryMarshal.GetReference(yr);
        ref Vector<double> yi0 = ref MemoryMarshal.GetReference(yi);
        nint ms = (nint)m * s;
        for (int p = 0; p < m; p++)
        {
            var w1r = new Vector<double>(tw[p].Real);
            var w1i = new Vector<double>(tw[p].Imaginary);
            ref Vector<double> ar = ref Unsafe.Add(ref xr0, (nint)s * p);
            ref Vector<double> ai = ref Unsafe.Add(ref xi0, (nint)s * p);
            ref Vector<double> br = ref Unsafe.Add(ref yr0, (nint)s * 2 * p);
            ref Vector<double> bi = ref Unsafe.Add(ref yi0, (nint)s * 2 * p);
            for (nint q = 0; q < s; q++)
            {
                Vector<double> a0r = Unsafe.Add(ref ar, q), a0i = Unsafe.Add(ref ai, q);
                Vector<double> a1r = Unsafe.Add(ref ar, q + ms), a1i = Unsafe.Add(ref ai, q + ms);
                Unsafe.Add(ref br, q) = a0r + a1r;
                Unsafe.Add(ref bi, q) = a0i + a1i;
                MulStore(a0r - a1r, a0i - a1i, w1r, w1i, out Unsafe.Add(ref br, q + s), out Unsafe.Add(ref bi, q + s));
            }
        }
    }

    private static void Radix3(Span<Vector<double>> xr, Span<Vector<double>> xi, Span<Vector<double>> yr, Span<Vector<double>> yi, int m, int s, ReadOnlySpan<Complex> tw)
    {
        CheckStage(xr, xi, yr, yi, 3, m, s, tw);
        const double sin60 = 0.86602540378443864676; // sin(2π/3), as the scalar butterfly
        var half = new Vector<double>(0.5);
        var sin = new Vector<double>(sin60);
        var minusSin = new Vector<double>(-sin60);
        ref Vector<double> xr0 = ref MemoryMarshal.GetReference(xr);
        ref Vector<double> xi0 = ref MemoryMarshal.GetReference(xi);
        ref Vector<double> yr0 = ref MemoryMarshal.GetReference(yr);
        ref Vector<double> yi0 = ref MemoryMarshal.GetReference(yi);
        nint ms = (nint)m * s;
        for (int p = 0; p < m; p++)
        {
            var w1r = new Vector<double>(tw[2 * p].Real);
            var w1i = new Vector<double>(tw[2 * p].Imaginary);
            var w2r = new Vector<double>(tw[2 * p + 1].Real);
            var w2i = new Vector<double>(tw[2 * p + 1].Imaginary);
            ref Vector<double> ar = ref Unsafe.Add(ref xr0, (nint)s * p);
            ref Vector<double> ai = ref Unsafe.Add(ref xi0, (nint)s * p);
            ref Vector<double> br = ref Unsafe.Add(ref yr0, (nint)s * 3 * p);
            ref Vector<double> bi = ref Unsafe.Add(ref yi0, (nint)s * 3 * p);
            for (nint q = 0; q < s; q++)
            {
                Vector<double> a0r = Unsafe.Add(ref ar, q), a0i = Unsafe.Add(ref ai, q);
                Vector<double> a1r = Unsafe.Add(ref ar, q + ms), a1i = Unsafe.Add(ref ai, q + ms);
                Vector<double> a2r = Unsafe.Add(ref ar, q + 2 * ms), a2i = Unsafe.Add(ref ai, q + 2 * ms);
                Vector<double> tr = a1r + a2r, ti = a1i + a2i;
                Vector<double> dr = a1r - a2r, di = a1i - a2i;
                Vector<double> cr = a0r - tr * half, ci = a0i - ti * half;
                // rot = (sin60·d.Im, −sin60·d.Re)
                Vector<double> rotr = sin * di, roti = minusSin * dr;
                Unsafe.Add(ref br, q) = a0r + tr;
                Unsafe.Add(ref bi, q) = a0i + ti;
                MulStore(cr + rotr, ci + roti, w1r, w1i, out Unsafe.Add(ref br, q + s), out Unsafe.Add(ref bi, q + s));
                MulStore(cr - rotr, ci - roti, w2r, w2i, out Unsafe.Add(ref br, q + 2 * s), out Unsafe.Add(ref bi, q + 2 * s));
            }
        }
    }

    private static void Radix4(Span<Vector<double>> xr, Span<Vector<double>> xi, Span<Vector<double>> yr, Span<Vector<double>> yi, int m, int s, ReadOnlySpan<Complex> tw)
    {
        CheckStage(xr, xi, yr, yi, 4, m, s, tw);
        ref Vector<double> xr0 = ref MemoryMarshal.GetReference(xr);
        ref Vector<double> xi0 = ref MemoryMarshal.GetReference(xi);
        ref Vector<double> yr0 = ref MemoryMarshal.GetReference(yr);
        ref Vector<double> yi0 = ref MemoryMarshal.GetReference(yi);
        nint ms = (nint)m * s;
        for (int p = 0; p < m; p++)
        {
            var w1r = new Vector<double>(tw[3 * p].Real);
            var w1i = new Vector<double>(tw[3 * p].Imaginary);
            var w2r = new Vector<double>(tw[3 * p + 1].Real);
            var w2i = new Vector<double>(tw[3 * p + 1].Imaginary);
            var w3r = new Vector<double>(tw[3 * p + 2].Real);
            var w3i = new Vector<double>(tw[3 * p + 2].Imaginary);
            ref Vector<double> ar = ref Unsafe.Add(ref xr0, (nint)s * p);
            ref Vector<double> ai = ref Unsafe.Add(ref xi0, (nint)s * p);
            ref Vector<double> br = ref Unsafe.Add(ref yr0, (nint)s * 4 * p);
            ref Vector<double> bi = ref Unsafe.Add(ref yi0, (nint)s * 4 * p);
            for (nint q = 0; q < s; q++)
            {
                Vector<double> a0r = Unsafe.Add(ref ar, q), a0i = Unsafe.Add(ref ai, q);
                Vector<double> a1r = Unsafe.Add(ref ar, q + ms), a1i = Unsafe.Add(ref ai, q + ms);
                Vector<double> a2r = Unsafe.Add(ref ar, q + 2 * ms), a2i = Unsafe.Add(ref ai, q + 2 * ms);
                Vector<double> a3r = Unsafe.Add(ref ar, q + 3 * ms), a3i = Unsafe.Add(ref ai, q + 3 * ms);
                Vector<double> t0r = a0r + a2r, t0i = a0i + a2i, t1r = a0r - a2r, t1i = a0i - a2i;
                Vector<double> t2r = a1r + a3r, t2i = a1i + a3i, t3r = a1r - a3r, t3i = a1i - a3i;
                // t3r = −i·t3 = (t3.Im, −t3.Re); x + (−y) and x − y are the same IEEE operation.
                Unsafe.Add(ref br, q) = t0r + t2r;
                Unsafe.Add(ref bi, q) = t0i + t2i;
                MulStore(t1r + t3i, t1i - t3r, w1r, w1i, out Unsafe.Add(ref br, q + s), out Unsafe.Add(ref bi, q + s));
                MulStore(t0r - t2r, t0i - t2i, w2r, w2i, out Unsafe.Add(ref br, q + 2 * s), out Unsafe.Add(ref bi, q + 2 * s));
                MulStore(t1r - t3i, t1i + t3r, w3r, w3i, out Unsafe.Add(ref br, q + 3 * s), out Unsafe.Add(ref bi, q + 3 * s));
            }
        }
    }

    private static void Radix5(Span<Vector<double>> xr, Span<Vector<double>> xi, Span<Vector<double>> yr, Span<Vector<double>> yi, int m, int s, ReadOnlySpan<Complex> tw)
    {
        CheckStage(xr, xi, yr, yi, 5, m, s, tw);
        // The scalar butterfly's constants.
        var c1 = new Vector<double>(0.30901699437494742410);
        var c2 = new Vector<double>(-0.80901699437494742410);
        var s1 = new Vector<double>(0.95105651629515357212);
        var s2 = new Vector<double>(0.58778525229247312917);
        ref Vector<double> xr0 = ref MemoryMarshal.GetReference(xr);
        ref Vector<double> xi0 = ref MemoryMarshal.GetReference(xi);
        ref Vector<double> yr0 = ref MemoryMarshal.GetReference(yr);
        ref Vector<double> yi0 = ref MemoryMarshal.GetReference(yi);
        nint ms = (nint)m * s;
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
            ref Vector<double> ar = ref Unsafe.Add(ref xr0, (nint)s * p);
            ref Vector<double> ai = ref Unsafe.Add(ref xi0, (nint)s * p);
            ref Vector<double> br = ref Unsafe.Add(ref yr0, (nint)s * 5 * p);
            ref Vector<double> bi = ref Unsafe.Add(ref yi0, (nint)s * 5 * p);
            for (nint q = 0; q < s; q++)
            {
                Vector<double> a0r = Unsafe.Add(ref ar, q), a0i = Unsafe.Add(ref ai, q);
                Vector<double> a1r = Unsafe.Add(ref ar, q + ms), a1i = Unsafe.Add(ref ai, q + ms);
                Vector<double> a2r = Unsafe.Add(ref ar, q + 2 * ms), a2i = Unsafe.Add(ref ai, q + 2 * ms);
                Vector<double> a3r = Unsafe.Add(ref ar, q + 3 * ms), a3i = Unsafe.Add(ref ai, q + 3 * ms);
                Vector<double> a4r = Unsafe.Add(ref ar, q + 4 * ms), a4i = Unsafe.Add(ref ai, q + 4 * ms);
                Vector<double> t1r = a1r + a4r, t1i = a1i + a4i, t2r = a2r + a3r, t2i = a2i + a3i;
                Vector<double> d1r = a1r - a4r, d1i = a1i - a4i, d2r = a2r - a3r, d2i = a2i - a3i;
                // e = a0 + t1·c + t2·c', left to right as the Complex operators.
                Vector<double> e1r = a0r + t1r * c1 + t2r * c2, e1i = a0i + t1i * c1 + t2i * c2;
                Vector<double> e2r = a0r + t1r * c2 + t2r * c1, e2i = a0i + t1i * c2 + t2i * c1;
                Vector<double> f1r = d1r * s1 + d2r * s2, f1i = d1i * s1 + d2i * s2;
                Vector<double> f2r = d1r * s2 - d2r * s1, f2i = d1i * s2 - d2i * s1;
                // g = −i·f = (f.Im, −f.Re): e + g = (e.Re + f.Im, e.Im − f.Re), e − g = (e.Re − f.Im, e.Im + f.Re).
                Unsafe.Add(ref br, q) = a0r + t1r + t2r;
                Unsafe.Add(ref bi, q) = a0i + t1i + t2i;
                MulStore(e1r + f1i, e1i - f1r, w1r, w1i, out Unsafe.Add(ref br, q + s), out Unsafe.Add(ref bi, q + s));
                MulStore(e2r + f2i, e2i - f2r, w2r, w2i, out Unsafe.Add(ref br, q + 2 * s), out Unsafe.Add(ref bi, q + 2 * s));
                MulStore(e2r - f2i, e2i + f2r, w3r, w3i, out Unsafe.Add(ref br, q + 3 * s), out Unsafe.Add(ref bi, q + 3 * s));
                MulStore(e1r - f1i, e1i + f1r, w4r, w4i, out Unsafe.Add(ref br, q + 4 * s), out Unsafe.Add(ref bi, q + 4 * s));
            }
        }
    }
}
