namespace AcqService.Dsp.Tests;

public class FilterDesignTests
{
    private static readonly Lazy<ButterFixture> Butter = new(() => Fixtures.Load<ButterFixture>("butter.json"));
    private static readonly Lazy<NotchCascadeFixture> NotchCascade = new(() => Fixtures.Load<NotchCascadeFixture>("notch_cascade.json"));

    public static TheoryData<string> ButterDesigns()
    {
        var data = new TheoryData<string>();
        foreach (ButterCoefficientCase c in Butter.Value.AllDesigns)
        {
            data.Add(c.Name);
        }

        return data;
    }

    public static TheoryData<string> ButterCases()
    {
        var data = new TheoryData<string>();
        foreach (ButterCase c in Butter.Value.Cases)
        {
            data.Add(c.Name);
        }

        return data;
    }

    internal static double[] Design(string btype, int order, double[] cutoffsHz, double fs) => btype switch
    {
        "lowpass" => FilterDesign.ButterworthLowPass(order, cutoffsHz[0], fs),
        "highpass" => FilterDesign.ButterworthHighPass(order, cutoffsHz[0], fs),
        "bandpass" => FilterDesign.ButterworthBandPass(order, cutoffsHz[0], cutoffsHz[1], fs),
        "bandstop" => FilterDesign.ButterworthBandStop(order, cutoffsHz[0], cutoffsHz[1], fs),
        _ => throw new InvalidDataException(btype),
    };

    internal static ButterCase Case(string name) => Butter.Value.Cases.Single(c => c.Name == name);

    internal static ButterFixture ButterData => Butter.Value;

    [Theory]
    [MemberData(nameof(ButterDesigns))]
    public void Butterworth_ScipyFixture_CoefficientsMatch(string name)
    {
        ButterCoefficientCase c = Butter.Value.AllDesigns.Single(x => x.Name == name);

        double[] sos = Design(c.Btype, c.Order, c.CutoffsHz, c.Fs);

        Assert.Equal(c.Sections * 6, sos.Length);
        // Floor 1e-9 of the largest coefficient: a coefficient that is 0 in exact arithmetic (b1 of a band-pass
        // section) comes out as rounding noise of order 1e-16 and has no meaningful relative error.
        Tolerance.AssertClose(c.Sos, sos, 1e-9 * Tolerance.MaxAbs(c.Sos), c.Call);
    }

    [Fact]
    public void ButterworthBandPass_OrderN_GivesNSections()
    {
        // SciPy's butter(N, band, 'bandpass') has 2N poles, i.e. N sections.
        Assert.Equal(3 * 6, FilterDesign.ButterworthBandPass(3, 1.0, 40.0, 500.0).Length);
        Assert.Equal(2 * 6, FilterDesign.ButterworthLowPass(3, 40.0, 500.0).Length);
    }

    [Fact]
    public void ButterworthLowPass_AnyOrder_HasUnitDcGainAndHalfPowerAtCutoff()
    {
        // Independent of the fixture: the defining Butterworth properties, evaluated from the coefficients.
        foreach (int order in new[] { 1, 3, 5, 8 })
        {
            double[] sos = FilterDesign.ButterworthLowPass(order, 40.0, 500.0);
            Assert.Equal(1.0, Gain(sos, 0.0, 500.0), 1e-12);
            Assert.Equal(Math.Sqrt(0.5), Gain(sos, 40.0, 500.0), 1e-12);
        }
    }

    [Fact]
    public void ButterworthBandStop_OddOrder_HasZeroGainAtCentreAndUnitGainAtDc()
    {
        double[] sos = FilterDesign.ButterworthBandStop(3, 45.0, 55.0, 1000.0);
        // The digital centre is where the prewarped geometric mean maps back.
        double centre = 1000.0 / Math.PI * Math.Atan(Math.Sqrt(Math.Tan(Math.PI * 45.0 / 1000.0) * Math.Tan(Math.PI * 55.0 / 1000.0)));
        Assert.Equal(0.0, Gain(sos, centre, 1000.0), 1e-9);
        Assert.Equal(1.0, Gain(sos, 0.0, 1000.0), 1e-12);
        Assert.Equal(Math.Sqrt(0.5), Gain(sos, 45.0, 1000.0), 1e-9);
    }

    [Fact]
    public void Notch_ScipyFixture_CoefficientsMatch()
    {
        NotchCase n = NotchCascade.Value.Notch;

        double[] sos = FilterDesign.Notch(n.FrequencyHz, n.Q, n.Fs);

        Tolerance.AssertClose(n.Sos, sos, 1e-9 * Tolerance.MaxAbs(n.Sos), "tf2sos(iirnotch(50, 30, 500))");
    }

    [Fact]
    public void Notch_At50Hz_RejectsMainsAndPassesDc()
    {
        double[] sos = FilterDesign.Notch(50.0, 30.0, 500.0);
        Assert.Equal(6, sos.Length);
        Assert.True(Gain(sos, 50.0, 500.0) < 1e-12);
        Assert.Equal(1.0, Gain(sos, 0.0, 500.0), 1e-12);
    }

    [Fact]
    public void Cascade_SeveralArrays_ConcatenatesInArgumentOrder()
    {
        double[] a = FilterDesign.ButterworthBandPass(2, 1.0, 40.0, 500.0);
        double[] b = FilterDesign.Notch(50.0, 30.0, 500.0);

        double[] cascade = FilterDesign.Cascade(a, b);

        Assert.Equal([.. a, .. b], cascade);
        Tolerance.AssertClose(NotchCascade.Value.Cascade.Sos, cascade, 1e-9 * 2.0, "cascade sos");
    }

    [Fact]
    public void Cascade_InvalidInput_Throws()
    {
        Assert.Throws<ArgumentException>(() => FilterDesign.Cascade());
        Assert.Throws<ArgumentException>(() => FilterDesign.Cascade(new double[5]));
        Assert.Throws<ArgumentNullException>(() => FilterDesign.Cascade(new double[6], null!));
    }

    public static TheoryData<string, double, Func<object>> InvalidDesigns() => new()
    {
        { "order", 0, () => FilterDesign.ButterworthLowPass(0, 40.0, 500.0) },
        { "order", -2, () => FilterDesign.ButterworthBandPass(-2, 1.0, 40.0, 500.0) },
        { "cutoffHz", 0.0, () => FilterDesign.ButterworthLowPass(4, 0.0, 500.0) },
        { "cutoffHz", -1.0, () => FilterDesign.ButterworthHighPass(4, -1.0, 500.0) },
        { "cutoffHz", 250.0, () => FilterDesign.ButterworthLowPass(4, 250.0, 500.0) },
        { "cutoffHz", 300.0, () => FilterDesign.ButterworthHighPass(4, 300.0, 500.0) },
        { "cutoffHz", double.NaN, () => FilterDesign.ButterworthLowPass(4, double.NaN, 500.0) },
        { "lowHz", 0.0, () => FilterDesign.ButterworthBandPass(2, 0.0, 40.0, 500.0) },
        { "highHz", 250.0, () => FilterDesign.ButterworthBandStop(2, 48.0, 250.0, 500.0) },
        { "lowHz", 40.0, () => FilterDesign.ButterworthBandPass(2, 40.0, 40.0, 500.0) },
        { "lowHz", 52.0, () => FilterDesign.ButterworthBandStop(2, 52.0, 48.0, 500.0) },
        { "sampleRateHz", 0.0, () => FilterDesign.ButterworthLowPass(2, 40.0, 0.0) },
        { "sampleRateHz", double.PositiveInfinity, () => FilterDesign.ButterworthLowPass(2, 40.0, double.PositiveInfinity) },
        { "frequencyHz", 250.0, () => FilterDesign.Notch(250.0, 30.0, 500.0) },
        { "qualityFactor", 0.0, () => FilterDesign.Notch(50.0, 0.0, 500.0) },
    };

    [Theory]
    [MemberData(nameof(InvalidDesigns))]
    public void Design_InvalidArgument_ThrowsOutOfRangeNamingArgumentAndValue(string parameter, double value, Func<object> design)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(design);

        Assert.Equal(parameter, ex.ParamName);
        Assert.Equal(value, Convert.ToDouble(ex.ActualValue));
    }

    // |H(e^{jω})| of a cascade, straight from the coefficients.
    private static double Gain(double[] sos, double hz, double fs)
    {
        double w = 2 * Math.PI * hz / fs;
        var z1 = System.Numerics.Complex.FromPolarCoordinates(1.0, -w);
        var z2 = z1 * z1;
        System.Numerics.Complex h = 1.0;
        for (int s = 0; s < sos.Length; s += 6)
        {
            h *= (sos[s] + sos[s + 1] * z1 + sos[s + 2] * z2) / (sos[s + 3] + sos[s + 4] * z1 + sos[s + 5] * z2);
        }

        return h.Magnitude;
    }
}
