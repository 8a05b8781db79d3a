using AcqService.Core.Analysis;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Dsp;
using static AcqService.Core.Tests.TestStreams;

namespace AcqService.Core.Tests;

public sealed class AlphaAnalyzerTests
{
    // 250 Hz with the default settings: 2 s window (500 samples), 1 s Hann segments with 50 % overlap, update every 125 samples.
    private const double Rate = 250;
    private static readonly string[] Labels = ["O1", "O2", "Fz", "Cz"];

    private sealed record Snapshot(long SampleIndex, double Time, double[] Absolute, double[] Relative, double[] RegionAbsolute, double[] RegionRelative);

    private static List<Snapshot> Run(double[] values, int chunkFrames, AlphaOptions? options = null, Dictionary<string, List<string>>? regions = null, string[]? labels = null)
    {
        labels ??= Labels;
        StreamRegistry registry = Registry(Signal("eeg", Rate, labels), Markers());
        Aligner aligner = Aligner(registry);
        var alpha = new AlphaAnalyzer(registry, options ?? new AlphaOptions(), regions ?? [], maxOutstandingUpdates: 4);
        int n = values.Length / labels.Length;
        double[] times = Times(n, Rate);
        var aligned = new List<AlignedItem>();
        var updates = new List<AlphaUpdate>();
        var snapshots = new List<Snapshot>();
        foreach (SourceItem item in Chunked(0, labels.Length, times, values, chunkFrames))
        {
            aligned.Clear();
            aligner.Process(item, aligned);
            foreach (AlignedItem a in aligned)
            {
                updates.Clear();
                alpha.Process(a, updates);
                // Updates are recycled objects: copy what we keep, as a real consumer must.
                snapshots.AddRange(updates.Select(u => new Snapshot(u.SampleIndex, u.Time, [.. u.Absolute], [.. u.Relative], [.. u.RegionAbsolute], [.. u.RegionRelative])));
            }
        }
        Assert.Equal(snapshots.Count, alpha.UpdateCount);
        return snapshots;
    }

    private static double[] Waves(int n, params Func<double, double>[] channels) =>
        [.. Enumerable.Range(0, n).SelectMany(i => channels.Select(f => f(i / Rate)))];

    private static Func<double, double> Sine(double hz, double amplitude, double phase = 0.3) => t => amplitude * Math.Sin((2 * Math.PI * hz * t) + phase);

    [Fact]
    public void Process_PureInBandSine_AbsoluteAlphaIsHalfAmplitudeSquaredAndRelativeIsOne()
    {
        double[] values = Waves(2000, Sine(10, 20), Sine(10, 10), Sine(30, 20), Sine(9.7, 20));

        List<Snapshot> updates = Run(values, 10);

        Assert.Equal(13, updates.Count); // (2000 − 500) / 125 + 1
        foreach (Snapshot u in updates)
        {
            Assert.InRange(u.Absolute[0], 200 * 0.99, 200 * 1.01);   // 20 µV at 10 Hz: A²/2 = 200 µV²
            Assert.InRange(u.Absolute[1], 50 * 0.99, 50 * 1.01);     // 10 µV: 50 µV²
            Assert.InRange(u.Absolute[3], 200 * 0.99, 200 * 1.01);   // 9.7 Hz (between bins) still in band
            Assert.InRange(u.Relative[0], 1 - 1e-9, 1 + 1e-9);
            Assert.InRange(u.Relative[3], 0.99, 1.0 + 1e-9);
            Assert.True(u.Absolute[2] < 1e-9, $"30 Hz sine leaked {u.Absolute[2]} µV² into alpha");
            Assert.True(u.Relative[2] < 1e-9);
        }
    }

    // 4 channels: whole blocks of Vector<double> lanes; 7 and 13: a last, partial block as well (on 256- or 512-bit vectors).
    [Theory]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(13)]
    public void Process_DefaultSettings_CachedWelchEqualsWelchEstimatorOnWholeWindow(int channels)
    {
        string[] labels = [.. Enumerable.Range(0, channels).Select(c => $"E{c}")];
        var random = new Random(21 + channels);
        double[] values = [.. Enumerable.Range(0, 3000 * channels).Select(_ => (random.NextDouble() - 0.5) * 40)];
        var options = new AlphaOptions();
        var welch = new WelchEstimator(Rate, 250, 125, options.Window, options.Detrend);
        double[] psd = new double[welch.FrequencyCount];
        double[] window = new double[500];

        List<Snapshot> updates = Run(values, 17, options, labels: labels);

        Assert.Equal(21, updates.Count);
        foreach (Snapshot u in updates)
        {
            for (int c = 0; c < channels; c++)
            {
                for (int k = 0; k < window.Length; k++)
                {
                    window[k] = values[((u.SampleIndex - 499 + k) * channels) + c];
                }
                welch.Estimate(window, psd);
                double alpha = BandPower.Integrate(psd, welch.FrequencyResolution, 8, 13);
                double broad = BandPower.Integrate(psd, welch.FrequencyResolution, 1, 40);
                Assert.True(Math.Abs(u.Absolute[c] - alpha) <= 1e-9 * alpha, $"update {u.SampleIndex} ch {c}: {u.Absolute[c]} vs {alpha}");
                Assert.True(Math.Abs(u.Relative[c] - (alpha / broad)) <= 1e-9 * (alpha / broad));
            }
        }
    }

    [Fact]
    public void Process_DifferentChunkings_SameUpdatesAtSameSamples()
    {
        var random = new Random(4);
        double[] values = [.. Enumerable.Range(0, 2500 * Labels.Length).Select(_ => random.NextDouble() * 30)];

        List<Snapshot> single = Run(values, 1), seven = Run(values, 7), large = Run(values, 333);

        long[] expectedIndices = [.. Enumerable.Range(0, 17).Select(u => 499L + (125 * u))];
        Assert.Equal(expectedIndices, single.Select(u => u.SampleIndex));
        Assert.Equal(expectedIndices, seven.Select(u => u.SampleIndex));
        Assert.Equal(expectedIndices, large.Select(u => u.SampleIndex));
        for (int i = 0; i < single.Count; i++)
        {
            Assert.Equal(10 + (single[i].SampleIndex / Rate), single[i].Time, 9);
            Assert.Equal(single[i].Time, large[i].Time);
            Assert.Equal(single[i].Absolute, seven[i].Absolute);
            Assert.Equal(single[i].Absolute, large[i].Absolute);
            Assert.Equal(single[i].Relative, large[i].Relative);
        }
    }

    [Fact]
    public void Process_Regions_AverageMemberChannelsAndNaNWhenNoneExists()
    {
        double[] values = Waves(1000, Sine(10, 20), Sine(10, 10), Sine(11, 6), Sine(25, 8));
        var regions = new Dictionary<string, List<string>>
        {
            ["occipital"] = ["O1", "O2"],
            ["frontal"] = ["Fz", "F99"],
            ["missing"] = ["X1"],
        };

        List<Snapshot> updates = Run(values, 25, regions: regions);

        Assert.NotEmpty(updates);
        foreach (Snapshot u in updates)
        {
            Assert.Equal((u.Absolute[0] + u.Absolute[1]) / 2, u.RegionAbsolute[0], 12);
            Assert.Equal((u.Relative[0] + u.Relative[1]) / 2, u.RegionRelative[0], 12);
            Assert.InRange(u.RegionAbsolute[0], 125 * 0.99, 125 * 1.01); // (200 + 50) / 2 µV²
            Assert.Equal(u.Absolute[2], u.RegionAbsolute[1], 12);         // unknown labels are ignored
            Assert.InRange(u.RegionAbsolute[1], 18 * 0.99, 18 * 1.01);
            Assert.True(double.IsNaN(u.RegionAbsolute[2]));
            Assert.True(double.IsNaN(u.RegionRelative[2]));
        }
    }
}
