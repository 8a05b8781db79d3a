using AcqService.Core.Analysis;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Dsp;
using AcqService.Sessions;
using AcqService.Sinks;

namespace AcqService.Core.Tests;

/// <summary>
/// Irregular fNIRS timing through the aligner: 7.8 Hz nominal with ±20 % timestamp jitter and an occasional missing
/// frame, beside a regular 250 Hz EEG stream; every needle marker gives an ERP epoch and a haemodynamic epoch.
/// </summary>
public sealed class NirsIrregularTimingTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const double EegRate = 250, NirsRate = 7.8;
    private const int Events = 20;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "acq-nirs-timing-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    /// <summary>Canonical double-gamma HRF (peak about 5 s, undershoot about 15 s), scaled to peak 1.</summary>
    private static double Hrf(double t)
    {
        if (t <= 0)
        {
            return 0;
        }
        static double Gamma(double t, int k) => Math.Pow(t, k) * Math.Exp(-t) / Enumerable.Range(1, k).Aggregate(1.0, (a, b) => a * b);
        return (Gamma(t, 5) - (Gamma(t, 15) / 6)) / 0.1755;
    }

    [Fact]
    public async Task JitteredNirsWithMissingFrames_EachMarkerGivesAnErpAndAHaemodynamicEpoch_AndTheHrfIsRecovered()
    {
        const double t0 = 1000, duration = 620;
        double[] markerTimes = [.. Enumerable.Range(0, Events).Select(i => t0 + 20 + (30 * i) + (0.37 * (i % 3)))];
        var random = new Random(11);

        // fNIRS: frame k nominally at k / 7.8 s, jittered uniformly by ±20 % of the period; every 97th frame never arrives.
        var nirsTimes = new List<double>();
        for (int k = 0; k < duration * NirsRate; k++)
        {
            if (k % 97 != 50)
            {
                nirsTimes.Add(t0 + (k / NirsRate) + ((random.NextDouble() - 0.5) * 0.4 / NirsRate));
            }
        }
        string[] labels = ["S1-D1 760", "S1-D1 850", "S2-D2 760", "S2-D2 850"];
        double[] nirs = new double[nirsTimes.Count * 4];
        for (int f = 0; f < nirsTimes.Count; f++)
        {
            double t = nirsTimes[f];
            // Injected at the frame's true time: +1 µM ΔHbO / −0.3 µM ΔHbR per needle, plus a 1.1 Hz cardiac pulse and noise.
            double response = markerTimes.Sum(m => Hrf(t - m));
            double hbo = response + (0.3 * Math.Sin(2 * Math.PI * 1.1 * t)) + (0.05 * (random.NextDouble() - 0.5));
            double hbr = (-0.3 * response) + (0.1 * Math.Sin(2 * Math.PI * 1.1 * t));
            for (int p = 0; p < 2; p++)
            {
                for (int w = 0; w < 2; w++)
                {
                    double od = BeerLambert.ToOpticalDensity(hbo * 1e-6, hbr * 1e-6, w == 0 ? 760 : 850, 3.0, 6.0);
                    nirs[(4 * f) + (2 * p) + w] = (0.8 + (0.1 * p)) * Math.Pow(10, -od);
                }
            }
        }
        // EEG: regular 250 Hz, a 10 µV bump 200 ms after each needle on noise.
        int eegCount = (int)(duration * EegRate);
        double[] eegTimes = [.. Enumerable.Range(0, eegCount).Select(i => t0 + (i / EegRate))];
        double[] eeg = new double[eegCount];
        for (int i = 0; i < eegCount; i++)
        {
            double t = eegTimes[i];
            eeg[i] = markerTimes.Sum(m => 10 * Math.Exp(-Math.Pow(t - m - 0.2, 2) / (2 * 0.03 * 0.03))) + (2 * (random.NextDouble() - 0.5));
        }

        StreamDescriptor eegStream = TestStreams.Signal("eeg", EegRate, "Cz");
        var nirsStream = new StreamDescriptor("nirs", StreamKind.Signal, "jittery fNIRS", "NIRS", [.. labels.Select(l => new ChannelDescriptor(l, "V", "NIRS"))], NirsRate, ChannelFormat.Float32);
        StreamDescriptor markerStream = TestStreams.Markers("needle");
        var source = new ScriptedSource("devices", [eegStream, nirsStream, markerStream], async (self, output, ct) =>
        {
            // Everything in time order of arrival: EEG in 0.1 s chunks, fNIRS two frames at a time, markers as they happen.
            var items = new List<(double Time, SourceItem Item)>();
            items.AddRange(TestStreams.Chunked(self.Index(0), 1, eegTimes, eeg, 25).Select(i => (i.Chunk!.LastTimestamp, i)));
            items.AddRange(TestStreams.Chunked(self.Index(1), 4, [.. nirsTimes], nirs, 2).Select(i => (i.Chunk!.LastTimestamp, i)));
            items.AddRange(markerTimes.Select(m => (m, TestStreams.Mark(self.Index(2), m, "needle/insert;site=ST36;kind=real"))));
            foreach ((_, SourceItem item) in items.OrderBy(i => i.Time))
            {
                await output.WriteAsync(item, ct);
            }
        });
        var plan = new SessionPlan
        {
            Conditions = [new ConditionRule("insert/real", "^needle/insert;.*kind=real")],
            Aligner = new AlignerOptions { MaxLagSeconds = 0 },
            Haemoglobin = new HaemoglobinOptions { Convention = BeerLambertConvention.ModifiedBeerLambert, PathlengthFactor1 = 6, PathlengthFactor2 = 6 },
        };
        var session = new AcquisitionSession([source], plan, Path.Combine(_root, "session"), new SessionMetadata(), () => t0);

        SessionSummary summary = await session.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.Empty(summary.Errors);
        // Irregular timing and single missing frames are not gaps: jitter is judged against the stream's own timeline.
        Assert.Equal(0, summary.Streams.Single(s => s.Key == "nirs").Gaps);
        Assert.Equal(nirsTimes.Count, summary.Streams.Single(s => s.Key == "nirs").Samples);
        // One marker, two epochs: an ERP epoch on the EEG and a haemodynamic epoch on the fNIRS stream.
        Assert.Equal(Events, session.Erp.Accepted);
        EpochOutcome[] hrfOutcomes = [.. session.Nirs.Outcomes];
        Assert.Equal(Events, hrfOutcomes.Length);
        Assert.All(hrfOutcomes, o => Assert.True(o.Accepted, o.Reason?.ToString()));
        string[] rows = [.. File.ReadLines(Path.Combine(_root, "session", DropLogWriter.FileName)).Skip(1)];
        Assert.Equal(Events, rows.Count(r => r.Contains(",eeg,", StringComparison.Ordinal) && r.Contains(",epoch,", StringComparison.Ordinal)));
        Assert.Equal(Events, rows.Count(r => r.Contains(",nirs,", StringComparison.Ordinal) && r.Contains(",epoch,", StringComparison.Ordinal)));
        // Each haemodynamic epoch is locked to the first fNIRS frame at or after its marker.
        for (int e = 0; e < Events; e++)
        {
            int expected = nirsTimes.FindIndex(t => t >= markerTimes[e]);
            Assert.Equal(expected, hrfOutcomes[e].SampleIndex);
        }

        ConditionAverage average = session.Nirs.Averages.Single();
        Assert.Equal(Events, average.Count);
        double[] times = [.. average.Times];
        double[] recovered = average.MeanOf(0).ToArray(); // S1-D1 hbo
        double[] injected = [.. times.Select(Hrf)];
        double r = Correlation(recovered, injected);
        output.WriteLine($"r = {r:F4}, peak {recovered.Max():F3} µM, {nirsTimes.Count} frames");
        Assert.True(r >= 0.9, $"recovered vs injected HRF r = {r:F3}");
        // And the amplitude is about right (µM): the peak of the average near the injected 1 µM (the causal low-pass delays and damps it a little).
        Assert.InRange(recovered.Max(), 0.8, 1.1);
    }

    private static double Correlation(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average();
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.Sqrt(saa * sbb);
    }
}
