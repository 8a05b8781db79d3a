namespace AcqService.Dsp.Tests;

public class BandPowerTests
{
    [Theory]
    [InlineData(10.0, 0.0)]
    [InlineData(10.0, 1.1)]
    [InlineData(10.3, 0.4)] // off a bin centre (Δf = 0.5 Hz)
    [InlineData(11.75, 2.0)]
    public void Integrate_PureSineAlphaBand_WithinOnePercentOfHalfSquaredAmplitude(double hz, double phase)
    {
        // 20 µV sine at fs 500 Hz for 4 s, 2 s Hann segments with 50 % overlap: the 8–13 Hz power is A²/2.
        const double fs = 500.0, amplitude = 20.0;
        double[] x = Enumerable.Range(0, 2000).Select(n => amplitude * Math.Sin(2 * Math.PI * hz * n / fs + phase)).ToArray();
        var welch = new WelchEstimator(fs, 1000, 500, WindowKind.Hann);
        var psd = new double[welch.FrequencyCount];
        welch.Estimate(x, psd);

        double power = BandPower.Integrate(psd, welch.FrequencyResolution, 8.0, 13.0);

        double expected = amplitude * amplitude / 2.0;
        Assert.True(Math.Abs(power - expected) <= 0.01 * expected, $"8–13 Hz power {power} µV², expected {expected} µV²");
        // Nothing of the sine may leak into a distant band.
        Assert.True(BandPower.Integrate(psd, welch.FrequencyResolution, 20.0, 30.0) < 1e-4 * expected);
    }

    [Fact]
    public void Integrate_BandEdgesOnBinCentres_AreInclusive()
    {
        double[] psd = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0];

        // Bins at 0, 0.5, 1.0, 1.5, 2.0, 2.5 Hz; [0.5, 1.5] takes bins 1..3.
        Assert.Equal((2.0 + 4.0 + 8.0) * 0.5, BandPower.Integrate(psd, 0.5, 0.5, 1.5));
        // Edges between centres take only the bins strictly inside.
        Assert.Equal((4.0 + 8.0) * 0.5, BandPower.Integrate(psd, 0.5, 0.7, 1.7));
        // A band past the last bin adds nothing beyond it; a band containing no centre is empty.
        Assert.Equal(32.0 * 0.5, BandPower.Integrate(psd, 0.5, 2.4, 100.0));
        Assert.Equal(0.0, BandPower.Integrate(psd, 0.5, 0.6, 0.9));
        Assert.Equal(4.0 * 0.5, BandPower.Integrate(psd, 0.5, 1.0, 1.0));
    }

    [Fact]
    public void Integrate_InvalidArguments_Throw()
    {
        double[] psd = [1.0, 2.0];

        Assert.Equal("frequencyResolution", Assert.Throws<ArgumentOutOfRangeException>(() => BandPower.Integrate(psd, 0.0, 1.0, 2.0)).ParamName);
        Assert.Equal("frequencyResolution", Assert.Throws<ArgumentOutOfRangeException>(() => BandPower.Integrate(psd, double.NaN, 1.0, 2.0)).ParamName);
        Assert.Equal("lowHz", Assert.Throws<ArgumentOutOfRangeException>(() => BandPower.Integrate(psd, 0.5, -1.0, 2.0)).ParamName);
        Assert.Equal("highHz", Assert.Throws<ArgumentOutOfRangeException>(() => BandPower.Integrate(psd, 0.5, 3.0, 2.0)).ParamName);
        Assert.Equal("highHz", Assert.Throws<ArgumentOutOfRangeException>(() => BandPower.Integrate(psd, 0.5, 1.0, double.NaN)).ParamName);
    }
}
