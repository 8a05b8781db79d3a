namespace AcqService.Dsp.Tests;

/// <summary>Element-wise comparison with a relative tolerance and an explicit floor.</summary>
internal static class Tolerance
{
    /// <summary>Relative tolerance of every fixture comparison.</summary>
    public const double Relative = 1e-5;

    /// <summary>
    /// Asserts |actual − expected| ≤ <paramref name="relative"/> · max(|expected|, <paramref name="floor"/>) for every element.
    /// The floor keeps values that are (near) zero in exact arithmetic — filter outputs at zero crossings, the DC bin
    /// after detrending, window end points — from demanding a relative accuracy that rounding cannot give; callers
    /// derive it from the scale of the data and say why.
    /// </summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double floor, string context, double relative = Relative)
    {
        Assert.True(expected.Length == actual.Length, $"{context}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            double limit = relative * Math.Max(Math.Abs(expected[i]), floor);
            double error = Math.Abs(actual[i] - expected[i]);
            // Written so that NaN in actual fails (NaN <= x is false).
            Assert.True(error <= limit, $"{context}[{i}]: got {actual[i]:R}, expected {expected[i]:R}, |error| {error:E3} > {limit:E3}");
        }
    }

    public static double MaxAbs(ReadOnlySpan<double> values)
    {
        double max = 0.0;
        foreach (double v in values)
        {
            max = Math.Max(max, Math.Abs(v));
        }

        return max;
    }
}
