namespace AcqService.Dsp.Tests;

public class BeerLambertTests
{
    // formats.md §5.4 test vector: d = 3 cm, DPF = 6, ΔHbO = +1 µM, ΔHbR = −0.5 µM.
    private const double Distance = 3, Dpf = 6, HbO = 1e-6, HbR = -0.5e-6, Od760 = -0.00338868, Od850 = 0.01282212;

    private static void AssertRelative(double expected, double actual, string what) =>
        Assert.True(Math.Abs(actual - expected) <= 1e-6 * Math.Abs(expected), $"{what}: got {actual:R}, expected {expected:R}");

    [Fact]
    public void ToOpticalDensity_FormatsTestVector_MatchesDocumentedValues()
    {
        AssertRelative(Od760, BeerLambert.ToOpticalDensity(HbO, HbR, 760, Distance, Dpf), "ΔOD(760)");
        AssertRelative(Od850, BeerLambert.ToOpticalDensity(HbO, HbR, 850, Distance, Dpf), "ΔOD(850)");
    }

    [Fact]
    public void ToConcentrations_FormatsTestVector_ReturnsInputs()
    {
        (double hbO, double hbR) = BeerLambert.ToConcentrations(Od760, Od850, 760, 850, Distance, Dpf, Dpf);
        AssertRelative(HbO, hbO, "ΔHbO");
        AssertRelative(HbR, hbR, "ΔHbR");
        // Wavelength order must not matter.
        (hbO, hbR) = BeerLambert.ToConcentrations(Od850, Od760, 850, 760, Distance, Dpf, Dpf);
        AssertRelative(HbO, hbO, "ΔHbO (swapped)");
        AssertRelative(HbR, hbR, "ΔHbR (swapped)");
    }

    [Fact]
    public void OpticalDensity_DocumentedIntensityRatios_GiveTestVector()
    {
        // I/I₀ = 10^(−ΔOD); formats.md quotes 1.007833 and 0.970908 (6 decimals), so compare the exact ratio instead.
        AssertRelative(Od760, BeerLambert.OpticalDensity(Math.Pow(10, -Od760), 1.0), "OD from ratio 760");
        Assert.True(Math.Abs(Math.Pow(10, -Od760) - 1.007833) < 1e-6);
        Assert.True(Math.Abs(Math.Pow(10, -Od850) - 0.970908) < 1e-6);
        Assert.Equal(0.0, BeerLambert.OpticalDensity(0.8, 0.8));
        Assert.Equal(1.0, BeerLambert.OpticalDensity(0.1, 1.0), 12);
    }

    [Theory]
    [InlineData(690)]
    [InlineData(750)]
    [InlineData(780)]
    [InlineData(808)]
    [InlineData(830)]
    [InlineData(840)]
    public void RoundTrip_OtherTabulatedPairs_ReturnsInputs(int wavelength)
    {
        double od1 = BeerLambert.ToOpticalDensity(HbO, HbR, wavelength, Distance, 6.3);
        double od2 = BeerLambert.ToOpticalDensity(HbO, HbR, 850, Distance, 5.2);
        (double hbO, double hbR) = BeerLambert.ToConcentrations(od1, od2, wavelength, 850, Distance, 6.3, 5.2);
        AssertRelative(HbO, hbO, $"ΔHbO {wavelength}");
        AssertRelative(HbR, hbR, $"ΔHbR {wavelength}");
    }

    [Fact]
    public void UnknownWavelength_ThrowsNamingIt()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => BeerLambert.ToOpticalDensity(HbO, HbR, 735, Distance, Dpf));
        Assert.Contains("735 nm", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => BeerLambert.ToConcentrations(0, 0, 760, 855, Distance, Dpf, Dpf));
        Assert.Contains("855 nm", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => BeerLambert.ToConcentrations(0, 0, 760, 760, Distance, Dpf, Dpf));
        Assert.Throws<ArgumentOutOfRangeException>(() => BeerLambert.OpticalDensity(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => BeerLambert.ToOpticalDensity(HbO, HbR, 760, -3, Dpf));
    }
}
