using AcqService.Core.Analysis;
using AcqService.Dsp;

namespace AcqService.Core.Tests;

/// <summary>
/// Live intensity → ΔHbO/ΔHbR. Intensities are synthesised from known haemoglobin changes with the exact modified
/// Beer–Lambert law (decadic ε of <see cref="BeerLambert"/>, DPF 6), zero during the 10 s baseline, so the converter
/// in the <see cref="BeerLambertConvention.ModifiedBeerLambert"/> convention must return the truth.
/// </summary>
public sealed class HaemoglobinConverterTests
{
    private const double Rate = 10.0;
    private const int Frames = 600;

    // Scrambled channel order with an aux channel; pairs S1-D1 3 cm, S1-D2 3.5 cm, S2-D1 0.8 cm (short).
    private static readonly string[] s_labels = ["S1-D1 850", "S1-D1 760", "AUX", "S1-D2 760", "S2-D1 760", "S1-D2 850", "S2-D1 850"];
    private static readonly Dictionary<string, double> s_distances = new() { ["S1-D1"] = 0.03, ["S1-D2"] = 0.035, ["S2-D1"] = 0.008 };

    private sealed record Synthetic(double[] Intensity, double[][] HbO, double[][] HbR);

    /// <summary>Truth in M per pair; the systemic part (1 Hz + 0.1 Hz) is shared by all pairs, the neural part only by long ones.</summary>
    private static Synthetic Make(double systemic = 0.0, int stepFrame = -1)
    {
        NirsLayout layout = NirsLayout.FromLabels(s_labels, s_distances);
        var hbo = new double[3][];
        var hbr = new double[3][];
        var x = new double[Frames * s_labels.Length];
        for (int p = 0; p < 3; p++)
        {
            hbo[p] = new double[Frames];
            hbr[p] = new double[Frames];
            NirsPair pair = layout.Pairs[p];
            for (int i = 0; i < Frames; i++)
            {
                double t = i / Rate;
                double neural = pair.IsShort || t < 10 ? 0.0 : Math.Sin(Math.PI * (t - 10) / 50) * (1.0 + (0.3 * p));
                double sys = t < 10 ? 0.0 : systemic * (Math.Sin(2 * Math.PI * 1.0 * t) + (0.5 * Math.Sin(2 * Math.PI * 0.1 * t)));
                hbo[p][i] = (neural + sys) * 1e-6;
                hbr[p][i] = ((-0.4 * neural) - (0.3 * sys)) * 1e-6;
                double od1 = BeerLambert.ToOpticalDensity(hbo[p][i], hbr[p][i], pair.Wavelength1Nm, pair.DistanceM * 100, 6.0);
                double od2 = BeerLambert.ToOpticalDensity(hbo[p][i], hbr[p][i], pair.Wavelength2Nm, pair.DistanceM * 100, 6.0);
                double step = stepFrame >= 0 && p == 1 && i >= stepFrame ? 0.9 : 1.0;
                x[(i * s_labels.Length) + pair.Channel1] = (1.0 + p) * Math.Pow(10, -od1) * step;
                x[(i * s_labels.Length) + pair.Channel2] = (1.5 + p) * Math.Pow(10, -od2) * step;
            }
        }

        for (int i = 0; i < Frames; i++)
        {
            x[(i * s_labels.Length) + 2] = Math.Sin(i * 0.37) - 0.5; // aux: negative values must not count
        }

        return new Synthetic(x, hbo, hbr);
    }

    private static HaemoglobinOptions Plain(BeerLambertConvention convention) => new()
    {
        Convention = convention,
        LowPassHz = null,
        DetectArtifacts = false,
    };

    private static double[] Run(HaemoglobinConverter converter, double[] intensity, int chunkFrames)
    {
        int inCh = converter.Layout.InputChannels, outCh = converter.OutputChannels;
        var output = new double[Frames * outCh];
        for (int f = 0; f < Frames; f += chunkFrames)
        {
            int n = Math.Min(chunkFrames, Frames - f);
            Assert.Equal(n, converter.Process(intensity.AsSpan(f * inCh, n * inCh), output.AsSpan(f * outCh, n * outCh)));
        }

        return output;
    }

    [Fact]
    public void Layout_FromScrambledLabels_SortsWavelengthsAndSkipsAux()
    {
        NirsLayout layout = NirsLayout.FromLabels(s_labels, s_distances);
        Assert.Equal(["S1-D1", "S1-D2", "S2-D1"], layout.Pairs.Select(p => p.Name));
        Assert.Equal((1, 0, 760, 850), (layout.Pairs[0].Channel1, layout.Pairs[0].Channel2, layout.Pairs[0].Wavelength1Nm, layout.Pairs[0].Wavelength2Nm));
        Assert.Equal([false, false, true], layout.Pairs.Select(p => p.IsShort));
        var converter = new HaemoglobinConverter(layout, Rate, new HaemoglobinOptions());
        Assert.Equal(["S1-D1 hbo", "S1-D1 hbr", "S1-D2 hbo", "S1-D2 hbr", "S2-D1 hbo", "S2-D1 hbr"], converter.OutputLabels);
        Assert.Equal("uM", converter.OutputUnit);
        Assert.Throws<ArgumentException>(() => NirsLayout.FromLabels(["S1-D1 760", "S1-D2 850"]));
        var unknown = Assert.Throws<ArgumentException>(() => new HaemoglobinConverter(NirsLayout.FromLabels(["S1-D1 735", "S1-D1 850"]), Rate, new HaemoglobinOptions()));
        Assert.Contains("S1-D1", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("735 nm", unknown.Message, StringComparison.Ordinal);
        var bad = Assert.Throws<ArgumentException>(() => new HaemoglobinConverter(layout, Rate, new HaemoglobinOptions { LowPassHz = 6 }));
        Assert.Contains("LowPassHz", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModifiedBeerLambert_NoFilters_ReturnsTheTruthInMicromolar()
    {
        Synthetic s = Make();
        var converter = new HaemoglobinConverter(NirsLayout.FromLabels(s_labels, s_distances), Rate, Plain(BeerLambertConvention.ModifiedBeerLambert));
        double[] y = Run(converter, s.Intensity, 7);
        Assert.True(converter.BaselineComplete);
        Assert.Equal(0, converter.NonPositiveCount);
        for (int p = 0; p < 3; p++)
        {
            for (int i = 0; i < Frames; i++)
            {
                // Absolute tolerance 1e−9 µM against responses of ~1 µM: only rounding separates the two.
                Assert.Equal(s.HbO[p][i] * 1e6, y[(i * 6) + (2 * p)], 9);
                Assert.Equal(s.HbR[p][i] * 1e6, y[(i * 6) + (2 * p) + 1], 9);
            }
        }
    }

    [Fact]
    public void MneConvention_IsTheExactLawTimesTheTruncatedFactor()
    {
        Synthetic s = Make();
        var layout = NirsLayout.FromLabels(s_labels, s_distances);
        double[] exact = Run(new HaemoglobinConverter(layout, Rate, Plain(BeerLambertConvention.ModifiedBeerLambert)), s.Intensity, 600);
        double[] mne = Run(new HaemoglobinConverter(layout, Rate, Plain(BeerLambertConvention.Mne)), s.Intensity, 600);
        double ratio = (Math.Log(10.0) / 10.0) / HaemoglobinMatrix.MneAbsorptionFactor; // 0.99982
        for (int i = 0; i < exact.Length; i++)
        {
            Assert.Equal(exact[i] * ratio, mne[i], 9);
        }
    }

    [Fact]
    public void LowPass_EqualsSosFilterOfTheUnfilteredOutput_AndChunkingDoesNotMatter()
    {
        Synthetic s = Make(systemic: 0.5);
        var layout = NirsLayout.FromLabels(s_labels, s_distances);
        HaemoglobinOptions plain = Plain(BeerLambertConvention.Mne);
        double[] unfiltered = Run(new HaemoglobinConverter(layout, Rate, plain), s.Intensity, 600);
        var filter = new SosFilter(FilterDesign.ButterworthLowPass(4, 0.2, Rate), 6);
        filter.Process(unfiltered);
        HaemoglobinOptions lp = Plain(BeerLambertConvention.Mne);
        lp.LowPassHz = 0.2;
        lp.LowPassOrder = 4;
        double[] whole = Run(new HaemoglobinConverter(layout, Rate, lp), s.Intensity, 600);
        double[] chunked = Run(new HaemoglobinConverter(layout, Rate, lp), s.Intensity, 13);
        Assert.Equal(unfiltered, whole);
        Assert.Equal(whole, chunked);
        // The 1 Hz systemic component is gone: in the last 20 s the filtered HbO of the short pair stays near its 0.1 Hz part.
        double maxShort = Enumerable.Range(400, 200).Max(i => Math.Abs(whole[(i * 6) + 4]));
        Assert.InRange(maxShort, 0.1, 0.35);
    }

    [Fact]
    public void ShortChannelRegression_RemovesTheSharedSystemicSignal()
    {
        Synthetic s = Make(systemic: 0.5);
        var layout = NirsLayout.FromLabels(s_labels, s_distances);
        HaemoglobinOptions opts = Plain(BeerLambertConvention.ModifiedBeerLambert);
        opts.ShortChannelRegression = true;
        opts.RegressionWarmupSeconds = 15;
        var converter = new HaemoglobinConverter(layout, Rate, opts);
        double[] y = Run(converter, s.Intensity, 10);
        double[] raw = Run(new HaemoglobinConverter(layout, Rate, Plain(BeerLambertConvention.ModifiedBeerLambert)), s.Intensity, 10);
        for (int p = 0; p < 2; p++)
        {
            double errBefore = 0, errAfter = 0;
            for (int i = 300; i < Frames; i++)
            {
                double neural = s.HbO[p][i] * 1e6 - (0.5 * (Math.Sin(2 * Math.PI * i / Rate) + (0.5 * Math.Sin(2 * Math.PI * 0.1 * i / Rate))));
                errBefore += Math.Pow(raw[(i * 6) + (2 * p)] - neural, 2);
                errAfter += Math.Pow(y[(i * 6) + (2 * p)] - neural, 2);
            }

            // The systemic part is removed up to the bias of β from the (partly correlated) neural response.
            Assert.True(errAfter < 0.25 * errBefore, $"pair {p}: residual² {errAfter:G3} vs {errBefore:G3} before");
            Assert.InRange(converter.RegressionBeta(2 * p), 0.7, 1.3);
        }

        Assert.Equal(0.0, converter.RegressionBeta(4));
        // Short pair and the first 15 s pass unchanged.
        for (int i = 0; i < Frames; i++)
        {
            Assert.Equal(raw[(i * 6) + 4], y[(i * 6) + 4]);
            if (i < 150)
            {
                Assert.Equal(raw[i * 6], y[i * 6]);
            }
        }
    }

    [Fact]
    public void ShortChannelRegression_WithoutAShortPair_IsRefusedWithDistances()
    {
        var layout = NirsLayout.FromLabels(["S1-D1 760", "S1-D1 850"]);
        var ex = Assert.Throws<ArgumentException>(() => new HaemoglobinConverter(layout, Rate, new HaemoglobinOptions { ShortChannelRegression = true }));
        Assert.Contains("S1-D1 3 cm", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ArtifactDetector_CountsTheStepInTheAffectedPairOnly()
    {
        Synthetic s = Make(stepFrame: 450);
        HaemoglobinOptions opts = Plain(BeerLambertConvention.Mne);
        opts.DetectArtifacts = true;
        var converter = new HaemoglobinConverter(NirsLayout.FromLabels(s_labels, s_distances), Rate, opts);
        Run(converter, s.Intensity, 10);
        DerivativeArtifactDetector detector = converter.ArtifactDetector!;
        Assert.Equal(1, detector.EventCount(2));
        Assert.Equal(1, detector.EventCount(3));
        foreach (int c in (int[])[0, 1, 4, 5])
        {
            Assert.Equal(0, detector.HitCount(c));
        }
    }

    [Fact]
    public void Process_SteadyState_AllocatesNothing()
    {
        Synthetic s = Make(systemic: 0.5);
        HaemoglobinOptions opts = new() { ShortChannelRegression = true, DetectArtifacts = true, LowPassHz = 0.2 };
        var converter = new HaemoglobinConverter(NirsLayout.FromLabels(s_labels, s_distances), Rate, opts);
        var output = new double[10 * 6];
        int inCh = s_labels.Length;
        for (int f = 0; f < 400; f += 10)
        {
            converter.Process(s.Intensity.AsSpan(f * inCh, 10 * inCh), output);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int f = 400; f < Frames; f += 10)
        {
            converter.Process(s.Intensity.AsSpan(f * inCh, 10 * inCh), output);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
