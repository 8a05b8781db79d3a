using Xunit.Abstractions;

namespace AcqService.Dsp.Tests;

/// <summary>Causal fNIRS stages: live optical density, artefact detection, short-channel regression.</summary>
public class NirsLiveTests(ITestOutputHelper output)
{
    private static readonly Lazy<NirsFixture> s_fixture = new(() => Fixtures.Load<NirsFixture>("nirs_mne.json"));

    private static NirsFixture F => s_fixture.Value;

    private static double[] Interleave(double[][] rows)
    {
        int n = rows[0].Length;
        var x = new double[n * rows.Length];
        for (int c = 0; c < rows.Length; c++)
        {
            for (int i = 0; i < n; i++)
            {
                x[(i * rows.Length) + c] = rows[c][i];
            }
        }

        return x;
    }

    [Fact]
    public void Tracker_AfterBaseline_EqualsMneOdShiftedByLogOfBaselineRatio()
    {
        const int baseline = 100; // 10 s at 10 Hz
        int channels = F.Intensity.Length, n = F.Intensity[0].Length;
        double[] x = Interleave(F.Intensity);
        var od = new double[x.Length];
        var tracker = new OpticalDensityTracker(channels, baseline);
        tracker.Process(x, od);
        Assert.True(tracker.BaselineComplete);
        Assert.Equal(0, tracker.NonPositiveCount);
        for (int c = 0; c < channels; c++)
        {
            double fixedMean = F.Intensity[c].Take(baseline).Average();
            double wholeMean = F.Intensity[c].Average();
            Assert.Equal(fixedMean, tracker.Baseline(c), 12);
            // −ln(I/I₀) = −ln(I/Ī) + ln(I₀/Ī): MNE's offline OD plus a per-channel constant.
            double shift = Math.Log(fixedMean / wholeMean);
            var expected = new double[n - baseline];
            var actual = new double[n - baseline];
            for (int i = baseline; i < n; i++)
            {
                expected[i - baseline] = F.OpticalDensity[c][i] + shift;
                actual[i - baseline] = od[(i * channels) + c];
            }

            Tolerance.AssertClose(expected, actual, 1e-9 * Tolerance.MaxAbs(expected), $"live OD ch{c}");
            // During the baseline the reference is the running mean: the first sample is 0, sample k uses mean(I[0..k]).
            Assert.Equal(0.0, od[c]);
            double running = F.Intensity[c].Take(10).Average();
            Assert.Equal(-Math.Log(F.Intensity[c][9] / running), od[(9 * channels) + c], 12);
        }
    }

    [Fact]
    public void LiveChain_AfterBaseline_EqualsMneHaemoglobinPlusAConstant()
    {
        // Live OD (fixed 10 s baseline) → MNE-form matrix, vs MNE's offline beer_lambert_law(ppf=6): the OD offsets
        // ln(I₀/Ī) per channel become a constant ΔHb offset per pair, M·[shift₁, shift₂]; nothing else may differ.
        const int baseline = 100;
        int channels = F.Intensity.Length, n = F.Intensity[0].Length;
        double[] x = Interleave(F.Intensity);
        var od = new double[x.Length];
        new OpticalDensityTracker(channels, baseline).Process(x, od);
        double worst = 0.0;
        for (int p = 0; p < channels / 2; p++)
        {
            var m = HaemoglobinMatrix.LikeMne(760, 850, F.Channels[2 * p].DistanceM);
            double s1 = Math.Log(F.Intensity[2 * p].Take(baseline).Average() / F.Intensity[2 * p].Average());
            double s2 = Math.Log(F.Intensity[(2 * p) + 1].Take(baseline).Average() / F.Intensity[(2 * p) + 1].Average());
            (double offO, double offR) = m.Apply(s1, s2);
            var expectedO = new double[n - baseline];
            var expectedR = new double[n - baseline];
            var actualO = new double[n - baseline];
            var actualR = new double[n - baseline];
            for (int i = baseline; i < n; i++)
            {
                expectedO[i - baseline] = F.HbPpf6.Values[2 * p][i] + offO;
                expectedR[i - baseline] = F.HbPpf6.Values[(2 * p) + 1][i] + offR;
                (actualO[i - baseline], actualR[i - baseline]) = m.Apply(od[(i * channels) + (2 * p)], od[(i * channels) + (2 * p) + 1]);
            }

            worst = Math.Max(worst, NirsReferenceTests.CompareRows([expectedO, expectedR], [actualO, actualR], $"live Hb pair {p}"));
        }

        output.WriteLine($"live chain vs MNE + offset: max relative error {worst:E2}");
    }

    [Fact]
    public void Tracker_ChunkedEqualsOneCall()
    {
        int channels = F.Intensity.Length;
        double[] x = Interleave(F.Intensity);
        var whole = new double[x.Length];
        new OpticalDensityTracker(channels, 50).Process(x, whole);
        var chunked = new double[x.Length];
        var tracker = new OpticalDensityTracker(channels, 50);
        int[] frames = [1, 7, 64, 3, 200, 125, 2, 198];
        int offset = 0;
        foreach (int f in frames)
        {
            int len = f * channels;
            tracker.Process(x.AsSpan(offset, len), chunked.AsSpan(offset, len));
            offset += len;
        }

        Assert.Equal(x.Length, offset);
        Assert.Equal(whole, chunked);
    }

    [Fact]
    public void Tracker_NonPositive_UsesAbsAndSmallestPositiveSoFar()
    {
        var tracker = new OpticalDensityTracker(2, 2);
        // Frame 0: ch0 = 0 before any positive value (unusable → OD 0, not in baseline), ch1 = 0.5.
        // Frame 1: ch0 = −2 → 2, ch1 = 1. Frame 2: ch0 = 0 → smallest positive so far (0.5), ch1 = 0 → 0.5.
        double[] x = [0.0, 0.5, -2.0, 1.0, 0.0, 0.0, 4.0, 2.0];
        var od = new double[x.Length];
        tracker.Process(x, od);
        Assert.Equal(4, tracker.NonPositiveCount);
        Assert.Equal(0.0, od[0]);
        Assert.Equal(0.0, od[1]);
        Assert.Equal(0.0, od[2]);                                   // ch0 first usable sample: its own running mean
        Assert.Equal(-Math.Log(1.0 / 0.75), od[3], 14);              // ch1 baseline (0.5 + 1)/2 = 0.75, now fixed
        Assert.Equal(-Math.Log(0.5 / 1.25), od[4], 14);              // ch0: 0 → 0.5, baseline (2 + 0.5)/2 = 1.25
        Assert.Equal(-Math.Log(0.5 / 0.75), od[5], 14);
        Assert.Equal(-Math.Log(4.0 / 1.25), od[6], 14);
        Assert.Equal(-Math.Log(2.0 / 0.75), od[7], 14);
        Assert.True(tracker.BaselineComplete);
        tracker.Reset();
        Assert.False(tracker.BaselineComplete);
        Assert.Equal(0, tracker.NonPositiveCount);
        Assert.True(double.IsNaN(tracker.Baseline(0)));
    }

    [Fact]
    public void Detector_FlagsTheInjectedArtefacts_AndNothingOnCleanPairs()
    {
        // MNE OD of the fixture; pair S1_D2 (channels 2, 3) has a 3-sample spike at 12.0 s and a step at 40.0 s.
        int channels = F.OpticalDensity.Length, n = F.OpticalDensity[0].Length;
        double[] x = Interleave(F.OpticalDensity);
        var flags = new bool[x.Length];
        var detector = new DerivativeArtifactDetector(channels, F.Sfreq, calibrationFrames: 100);
        int total = detector.Process(x, flags);
        Assert.True(detector.Calibrated);
        var perChannel = Enumerable.Range(0, channels).Select(c => detector.HitCount(c)).ToArray();
        var events = Enumerable.Range(0, channels).Select(c => detector.EventCount(c)).ToArray();
        output.WriteLine($"hits per channel {string.Join(",", perChannel)}; events {string.Join(",", events)}; total {total}");
        int[] HitFrames(bool[] f, int c) => Enumerable.Range(0, n).Where(i => f[(i * channels) + c]).ToArray();
        output.WriteLine($"ch2 {string.Join(",", HitFrames(flags, 2))}; ch3 {string.Join(",", HitFrames(flags, 3))}");
        // 760 nm sees both the spike and the step; at 850 nm the 0.3 s spike is mostly above TDDR's 0.5 Hz split (TDDR
        // leaves that part untouched too), so only the step is flagged there. Clean pairs: no hit at all.
        Assert.Contains(HitFrames(flags, 2), i => i >= 120 && i <= 130);
        Assert.Contains(HitFrames(flags, 2), i => i >= 400 && i <= 410);
        Assert.Contains(HitFrames(flags, 3), i => i >= 400 && i <= 410);
        Assert.DoesNotContain(HitFrames(flags, 3), i => i < 400);
        Assert.All(new[] { 0, 1, 4, 5, 6, 7 }, c => Assert.Equal(0, perChannel[c]));
        // Hits within 1 s of each other are one event: spike + step at 760 nm, the step alone at 850 nm.
        Assert.Equal(2, events[2]);
        Assert.Equal(1, events[3]);

        // Without the low-pass the spike at 850 nm is caught as well (and the cardiac pulse raises σ instead).
        var raw = new DerivativeArtifactDetector(channels, F.Sfreq, calibrationFrames: 100, lowPass: false);
        var rawFlags = new bool[x.Length];
        raw.Process(x, rawFlags);
        output.WriteLine($"no low-pass: ch3 {string.Join(",", HitFrames(rawFlags, 3))}");
        Assert.Contains(HitFrames(rawFlags, 3), i => i >= 120 && i <= 123);
        Assert.Equal(perChannel.Sum(), total);
    }

    [Fact]
    public void Detector_ChunkedEqualsOneCall_AndNothingBeforeCalibration()
    {
        int channels = F.OpticalDensity.Length;
        double[] x = Interleave(F.OpticalDensity);
        var a = new DerivativeArtifactDetector(channels, F.Sfreq, 150);
        var flagsA = new bool[x.Length];
        a.Process(x, flagsA);
        var b = new DerivativeArtifactDetector(channels, F.Sfreq, 150);
        var flagsB = new bool[x.Length];
        int offset = 0;
        foreach (int f in new[] { 1, 150, 3, 246, 200 })
        {
            b.Process(x.AsSpan(offset, f * channels), flagsB.AsSpan(offset, f * channels));
            offset += f * channels;
        }

        Assert.Equal(flagsA, flagsB);
        Assert.All(flagsA.Take(151 * channels), f => Assert.False(f));
        for (int c = 0; c < channels; c++)
        {
            Assert.Equal(a.Sigma(c), b.Sigma(c));
            Assert.True(a.Sigma(c) > 0);
        }
    }

    [Fact]
    public void Detector_StepOnCleanSignal_IsOneEvent()
    {
        // A slow sine plus small deterministic dither, then a step of 50 σ at frame 300: exactly one event, no other hits.
        const int n = 600;
        var x = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (0.01 * Math.Sin(2 * Math.PI * 0.05 * i / 10.0)) + (1e-4 * Math.Sin(i * 1.7)) + (i >= 300 ? 0.05 : 0.0);
        }

        var detector = new DerivativeArtifactDetector(1, 10.0, 200);
        detector.Process(x);
        output.WriteLine($"σ {detector.Sigma(0):E3}, hits {detector.HitCount(0)}, events {detector.EventCount(0)}");
        Assert.Equal(1, detector.EventCount(0));
        Assert.InRange(detector.HitCount(0), 1, 20);
    }

    [Fact]
    public void ShortRegression_Offline_RecoversKnownScale()
    {
        // y = s + 0.7·x with s orthogonal to x by construction (sin and cos over whole periods): β = 0.7 exactly.
        const int n = 400;
        var x = new double[n];
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = Math.Sin(2 * Math.PI * 4 * i / n);
            y[i] = Math.Cos(2 * Math.PI * 3 * i / n) + (0.7 * x[i]);
        }

        var corrected = new double[n];
        double beta = ShortChannelRegression.Regress(y, x, corrected);
        Assert.Equal(0.7, beta, 12);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(Math.Cos(2 * Math.PI * 3 * i / n), corrected[i], 12);
        }
    }

    [Fact]
    public void ShortRegression_Live_EqualsOfflineOverTheSamePast()
    {
        // Channels: 0 long (partner 2), 1 long (partner 2), 2 short, 3 long without partner.
        const int n = 300, warmup = 20;
        var rows = new double[4][];
        for (int c = 0; c < 4; c++)
        {
            rows[c] = new double[n];
        }

        for (int i = 0; i < n; i++)
        {
            rows[2][i] = Math.Sin(i * 0.31) + (0.5 * Math.Sin(i * 0.07));
            rows[0][i] = (0.8 * rows[2][i]) + Math.Cos(i * 0.13);
            rows[1][i] = (-0.3 * rows[2][i]) + (0.2 * Math.Sin(i * 0.011));
            rows[3][i] = Math.Sin(i * 0.2);
        }

        double[] x = Interleave(rows);
        double[] original = (double[])x.Clone();
        var live = new ShortChannelRegression([2, 2, -1, -1], forgetting: 1.0, warmupFrames: warmup);
        live.Process(x);
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < 4; c++)
            {
                double expected = original[(i * 4) + c];
                if ((c == 0 || c == 1) && i >= warmup)
                {
                    // β from frames 0..i inclusive (causal, current frame included).
                    double sxy = 0, sxx = 0;
                    for (int k = 0; k <= i; k++)
                    {
                        sxy += rows[2][k] * rows[c][k];
                        sxx += rows[2][k] * rows[2][k];
                    }

                    expected -= sxy / sxx * rows[2][i];
                }

                Assert.Equal(expected, x[(i * 4) + c], 12);
            }
        }

        double offlineBeta = ShortChannelRegression.Regress(rows[0], rows[2], new double[n]);
        Assert.Equal(offlineBeta, live.Beta(0), 12);
        Assert.Equal(0.0, live.Beta(3));
        Assert.Throws<ArgumentException>(() => new ShortChannelRegression([1, 0]));
        Assert.Throws<ArgumentException>(() => new ShortChannelRegression([0]));
    }

    [Fact]
    public void ShortRegression_Forgetting_TracksAChangedScale()
    {
        // The short-channel scale changes from 0.5 to 1.5 half way; with λ = 0.95 (≈ 20-frame memory) β follows.
        const int n = 1000;
        var frames = new double[n * 2];
        for (int i = 0; i < n; i++)
        {
            double s = Math.Sin(i * 0.9);
            frames[(i * 2) + 1] = s;
            frames[i * 2] = (i < n / 2 ? 0.5 : 1.5) * s;
        }

        var r = new ShortChannelRegression([1, -1], forgetting: 0.95);
        r.Process(frames.AsSpan(0, n));
        Assert.Equal(0.5, r.Beta(0), 9);
        r.Process(frames.AsSpan(n));
        Assert.Equal(1.5, r.Beta(0), 6);
    }

    [Fact]
    public void NearestShortPairs_FixtureGeometry_AssignsTheOnlyShortPair()
    {
        // Pairs S1_D1, S1_D2, S2_D1 (0.8 cm, short), S2_D2 of the MNE fixture (positions from tools/nirs_reference.py).
        (double, double, double)[] mid = [(0.015, 0, 0.08), (0, 0.0175, 0.08), (0.03, 0.004, 0.08), (0.015, 0.0215, 0.08)];
        double[] dist = [F.Channels[0].DistanceM, F.Channels[2].DistanceM, F.Channels[4].DistanceM, F.Channels[6].DistanceM];
        Assert.Equal([2, 2, -1, 2], ShortChannelRegression.NearestShortPairs(mid, dist));
        Assert.Equal([-1, -1, -1, -1], ShortChannelRegression.NearestShortPairs(mid, dist, shortThresholdM: 0.005));
    }
}
