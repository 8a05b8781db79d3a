namespace AcqService.Dsp;

/// <summary>
/// Designs IIR filters as second-order sections (SOS) in SciPy's layout: one row of six coefficients
/// <c>b0 b1 b2 a0 a1 a2</c> per section, <c>a0 = 1</c>. Results match <c>scipy.signal.butter(..., output='sos')</c>
/// and <c>scipy.signal.iirnotch</c> converted with <c>tf2sos</c>.
/// </summary>
public static class FilterDesign
{
    /// <summary>Butterworth low-pass of the given order (SciPy: <c>butter(order, cutoffHz, 'lowpass', fs=sampleRateHz, output='sos')</c>).</summary>
    public static double[] ButterworthLowPass(int order, double cutoffHz, double sampleRateHz) => throw new NotImplementedException();

    /// <summary>Butterworth high-pass of the given order (SciPy: <c>butter(order, cutoffHz, 'highpass', fs=sampleRateHz, output='sos')</c>).</summary>
    public static double[] ButterworthHighPass(int order, double cutoffHz, double sampleRateHz) => throw new NotImplementedException();

    /// <summary>Butterworth band-pass; <paramref name="order"/> is SciPy's N, giving N sections (SciPy: <c>butter(order, [lowHz, highHz], 'bandpass', fs=sampleRateHz, output='sos')</c>).</summary>
    public static double[] ButterworthBandPass(int order, double lowHz, double highHz, double sampleRateHz) => throw new NotImplementedException();

    /// <summary>Butterworth band-stop (SciPy: <c>butter(order, [lowHz, highHz], 'bandstop', fs=sampleRateHz, output='sos')</c>).</summary>
    public static double[] ButterworthBandStop(int order, double lowHz, double highHz, double sampleRateHz) => throw new NotImplementedException();

    /// <summary>Second-order IIR notch (SciPy: <c>tf2sos(*iirnotch(frequencyHz, qualityFactor, fs=sampleRateHz))</c>), one section.</summary>
    public static double[] Notch(double frequencyHz, double qualityFactor, double sampleRateHz) => throw new NotImplementedException();

    /// <summary>Concatenates several SOS arrays into one cascade, applied in argument order.</summary>
    public static double[] Cascade(params double[][] sections) => throw new NotImplementedException();
}
