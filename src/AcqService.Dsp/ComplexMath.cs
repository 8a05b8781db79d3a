using System.Numerics;

namespace AcqService.Dsp;

/// <summary>
/// Complex division and square root written the way NumPy computes them, so that the filter design follows
/// SciPy's arithmetic closely (System.Numerics differs in rounding and in how it treats signed zeros).
/// </summary>
internal static class ComplexMath
{
    /// <summary>NumPy's complex division (Smith's algorithm).</summary>
    public static Complex Div(Complex a, Complex b)
    {
        double ar = a.Real, ai = a.Imaginary, br = b.Real, bi = b.Imaginary;
        if (Math.Abs(br) >= Math.Abs(bi))
        {
            double rat = bi / br;
            double scl = 1.0 / (br + bi * rat);
            return new Complex((ar + ai * rat) * scl, (ai - ar * rat) * scl);
        }
        else
        {
            double rat = br / bi;
            double scl = 1.0 / (bi + br * rat);
            return new Complex((ar * rat + ai) * scl, (ai * rat - ar) * scl);
        }
    }

    /// <summary>Principal square root, branch cut on the negative real axis, sign of the imaginary part kept.</summary>
    public static Complex Sqrt(Complex z)
    {
        double x = z.Real, y = z.Imaginary;
        if (x == 0.0 && y == 0.0)
        {
            return new Complex(0.0, y);
        }

        // t = sqrt((|x| + |z|) / 2) avoids cancellation in both branches.
        double t = Math.Sqrt((Math.Abs(x) + Complex.Abs(z)) / 2.0);
        return x >= 0.0
            ? new Complex(t, y / (2.0 * t))
            : new Complex(Math.Abs(y) / (2.0 * t), double.CopySign(t, y));
    }

    /// <summary>NumPy's complex product (ac - bd, ad + bc).</summary>
    public static Complex Mul(Complex a, Complex b) =>
        new(a.Real * b.Real - a.Imaginary * b.Imaginary, a.Real * b.Imaginary + a.Imaginary * b.Real);
}
