namespace AcqService.Dsp;

/// <summary>Band power from a one-sided density PSD.</summary>
public static class BandPower
{
    /// <summary>
    /// Power in [<paramref name="lowHz"/>, <paramref name="highHz"/>] (both inclusive): the sum of the PSD bins whose
    /// centre frequency lies in the band times the bin width (rectangle rule, consistent with Parseval for density
    /// scaling). Units: (signal unit)².
    /// </summary>
    public static double Integrate(ReadOnlySpan<double> psd, double frequencyResolution, double lowHz, double highHz) => throw new NotImplementedException();
}
