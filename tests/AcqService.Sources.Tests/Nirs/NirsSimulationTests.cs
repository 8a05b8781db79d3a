using AcqService.Core.Model;
using AcqService.Sources.Simulation;
using AcqService.Dsp;
using Xunit.Abstractions;

namespace AcqService.Sources.Tests.Nirs;

/// <summary>The simulated fNIRS device: determinism, stream interleaving and recovery of the injected haemodynamics.</summary>
public sealed class NirsSimulationTests(ITestOutputHelper output)
{
    private const double Clock = 1000.0;

    private static SimulationRig Rig(SimulationSettings settings, double seconds) =>
        new(settings, NirsTestKit.SmallEeg(), TestRig.Needle(), NirsTestKit.Nirs(), SimulationPace.Fast, seconds, () => Clock);

    [Fact]
    public async Task SameSeed_GivesIdenticalItemsInIdenticalOrder()
    {
        List<NirsTestKit.Item> a = await NirsTestKit.DriveAsync(Rig(new SimulationSettings { VariableChunks = true }, 60));
        List<NirsTestKit.Item> b = await NirsTestKit.DriveAsync(Rig(new SimulationSettings { VariableChunks = true }, 60));
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Kind, b[i].Kind);
            Assert.Equal(a[i].Stream, b[i].Stream);
            Assert.Equal(a[i].Times, b[i].Times);
            Assert.Equal(a[i].Values, b[i].Values);
            Assert.Equal(a[i].Label, b[i].Label);
        }
        List<NirsTestKit.Item> c = await NirsTestKit.DriveAsync(Rig(new SimulationSettings { Seed = 7, VariableChunks = true }, 60));
        Assert.NotEqual(NirsValues(a), NirsValues(c));
    }

    [Fact]
    public async Task FastPace_NirsFramesComplete_InTimeOrder_AroundOneVolt_WithClockOffsets()
    {
        SimulationRig rig = Rig(new SimulationSettings { VariableChunks = true }, 61.55);
        List<NirsTestKit.Item> items = await NirsTestKit.DriveAsync(rig);
        int nirs = rig.Nirs!.Stream.Index;
        double[] times = [.. items.Where(i => i.Kind == SourceItemKind.Samples && i.Stream == nirs).SelectMany(i => i.Times)];
        // round(61.55 × 10) frames, the last one possibly just past the last EEG sample.
        Assert.Equal(616, times.Length);
        Assert.True(times.Zip(times.Skip(1)).All(p => p.Second > p.First), "fNIRS timestamps not increasing");
        Assert.InRange(times[0] - rig.Origin, -0.001, 0.001);
        Assert.Equal(13, items.Count(i => i.Kind == SourceItemKind.ClockOffset && i.Stream == nirs));
        double[] values = NirsValues(items);
        Assert.InRange(values.Min(), 0.7, 1.3);
        Assert.InRange(values.Max(), 0.7, 1.3);
        // Interleaving: every fNIRS chunk is written no later than the EEG chunk that covers its time.
        int eeg = rig.Eeg.Stream.Index;
        double eegEnd = double.NegativeInfinity;
        foreach (NirsTestKit.Item item in items.Where(i => i.Kind == SourceItemKind.Samples))
        {
            if (item.Stream == eeg)
            {
                eegEnd = item.Times[^1];
            }
            else if (item.Stream == nirs)
            {
                Assert.True(item.Times[^1] <= eegEnd + 0.1 + 1e-3 || item.Times[^1] >= rig.Origin + 61.5, $"fNIRS frame at {item.Times[^1] - rig.Origin:F2} s written long after EEG at {eegEnd - rig.Origin:F2} s");
                Assert.True(item.Times[0] <= eegEnd + (1.0 / 250) + 1e-3 || item.Times[^1] >= rig.Origin + 61.5, $"fNIRS frame at {item.Times[0] - rig.Origin:F2} s written before EEG reached it ({eegEnd - rig.Origin:F2} s)");
            }
        }
    }

    [Fact]
    public async Task LivePace_ProducesEveryFrameOnItsOwnTimer()
    {
        var rig = new SimulationRig(new SimulationSettings { NirsChunkSamples = 2 }, NirsTestKit.SmallEeg(), TestRig.Needle(), NirsTestKit.Nirs(), SimulationPace.Live, 1.5, LocalClock.Now);
        List<NirsTestKit.Item> items = await NirsTestKit.DriveAsync(rig);
        int nirs = rig.Nirs!.Stream.Index;
        double[] times = [.. items.Where(i => i.Kind == SourceItemKind.Samples && i.Stream == nirs).SelectMany(i => i.Times)];
        Assert.Equal(15, times.Length);
        Assert.Equal(15, rig.Nirs.Produced);
        Assert.InRange(times[^1] - rig.Origin, 1.39, 1.41);
    }

    [Fact]
    public void Hrf_PeaksNearSixSeconds_AndStepResponseSettlesToOne()
    {
        var sim = new NirsSimulator(new SimulationSettings(), NeedleSchedule.Create(new SimulationSettings(), 100), NirsTestKit.Nirs().Channels, 10);
        double[] h = [.. Enumerable.Range(1, 3000).Select(i => (sim.StepResponse((i + 0.5) * 0.01) - sim.StepResponse((i - 0.5) * 0.01)) / 0.01)];
        double peak = (Array.IndexOf(h, h.Max()) + 1) * 0.01;
        Assert.InRange(peak, 5.5, 6.1);
        Assert.Equal(0, sim.StepResponse(-1));
        Assert.Equal(1, sim.StepResponse(80), 6);
        // The undershoot makes the step response overshoot 1 before settling.
        Assert.True(sim.StepResponse(12) > 1);
    }

    [Fact]
    public void UnparsableOrUntabulatedLabels_AreRejected()
    {
        var settings = new SimulationSettings();
        NeedleSchedule schedule = NeedleSchedule.Create(settings, 100);
        Assert.Throws<ArgumentException>(() => new NirsSimulator(settings, schedule, [new ChannelDescriptor("Fp1", "V", "NIRS"), new ChannelDescriptor("Fp2", "V", "NIRS")], 10));
        var ex = Assert.Throws<ArgumentException>(() => new NirsSimulator(settings, schedule, [new ChannelDescriptor("S1-D1 735", "V", "NIRS"), new ChannelDescriptor("S1-D1 850", "V", "NIRS")], 10));
        Assert.Contains("735 nm", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new NirsSimulator(settings, schedule, [new ChannelDescriptor("S1-D1 760", "V", "NIRS")], 10));
        Assert.True(NirsSimulator.TryParseLabel("S12-D3:850nm", out string pair, out int nm) && pair == "S12-D3" && nm == 850);
    }

    [Fact]
    public void Settings_InvalidNirsValues_AreReported()
    {
        Assert.Empty(new SimulationSettings().Validate());
        Assert.Contains(new SimulationSettings { NirsDpf = 0 }.Validate(), p => p.Contains("nirsDpf", StringComparison.Ordinal));
        Assert.Contains(new SimulationSettings { NirsHrfUndershootSeconds = 4 }.Validate(), p => p.Contains("nirsHrfUndershootSeconds", StringComparison.Ordinal));
        Assert.Contains(new SimulationSettings { NirsChunkSamples = 0 }.Validate(), p => p.Contains("nirsChunkSamples", StringComparison.Ordinal));
        Assert.Contains(new SimulationSettings { NirsHbORealMicromolar = double.NaN }.Validate(), p => p.Contains("nirsHbORealMicromolar", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Recovery_BlockAveragedHbO_MatchesInjectedWithin20Percent_RealAboveSham()
    {
        const double seconds = 1200, fs = 10;
        var settings = new SimulationSettings();
        SimulationRig rig = Rig(settings, seconds);
        List<NirsTestKit.Item> items = await NirsTestKit.DriveAsync(rig);
        NirsSimulator sim = rig.Nirs!.Simulator;
        int channels = NirsTestKit.Labels16.Length;
        double[] raw = NirsValues(items);
        int frames = raw.Length / channels;
        Assert.Equal((int)(seconds * fs), frames);

        // I0 = mean of the quiet seconds before the first needle, per channel.
        int baselineFrames = (int)(settings.FirstInsertionSeconds * fs);
        double[] i0 = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            for (int f = 0; f < baselineFrames; f++)
            {
                i0[c] += raw[(f * channels) + c] / baselineFrames;
            }
        }
        // ΔHbO/ΔHbR (µM) per frame, averaged over the 8 pairs (channels come as 760, 850 per pair).
        double[] hbo = new double[frames], hbr = new double[frames];
        for (int f = 0; f < frames; f++)
        {
            for (int p = 0; p < channels / 2; p++)
            {
                double od760 = BeerLambert.OpticalDensity(raw[(f * channels) + (2 * p)], i0[2 * p]);
                double od850 = BeerLambert.OpticalDensity(raw[(f * channels) + (2 * p) + 1], i0[(2 * p) + 1]);
                (double o, double r) = BeerLambert.ToConcentrations(od760, od850, 760, 850, settings.NirsDistanceCm, settings.NirsDpf, settings.NirsDpf);
                hbo[f] += o * 1e6 / (channels / 2);
                hbr[f] += r * 1e6 / (channels / 2);
            }
        }
        double[] expectedHbO = [.. Enumerable.Range(0, frames).Select(f => sim.ExpectedHbO(f / fs))];
        double[] expectedHbR = [.. Enumerable.Range(0, frames).Select(f => sim.ExpectedHbR(f / fs))];

        foreach (bool real in new[] { true, false })
        {
            NeedleEvent[] inserts = [.. rig.Schedule.Events.Where(e => e.Action == NeedleAction.Insert && e.Real == real && e.Time + 10 < seconds)];
            Assert.True(inserts.Length >= 15, $"only {inserts.Length} {(real ? "real" : "sham")} insertions");
            double recoveredO = BlockAverage(hbo, inserts, fs), injectedO = BlockAverage(expectedHbO, inserts, fs);
            double recoveredR = BlockAverage(hbr, inserts, fs), injectedR = BlockAverage(expectedHbR, inserts, fs);
            output.WriteLine($"{(real ? "real" : "sham")}: n = {inserts.Length}, ΔHbO 4–10 s {recoveredO:F4} µM (injected {injectedO:F4}), ΔHbR {recoveredR:F4} µM (injected {injectedR:F4})");
            Assert.True(Math.Abs(recoveredO - injectedO) <= 0.2 * Math.Abs(injectedO), $"{(real ? "real" : "sham")} ΔHbO {recoveredO:F4} vs injected {injectedO:F4}");
            Assert.True(injectedO > 0 && injectedR < 0);
        }
        NeedleEvent[] realInserts = [.. rig.Schedule.Events.Where(e => e.Action == NeedleAction.Insert && e.Real && e.Time + 10 < seconds)];
        NeedleEvent[] shamInserts = [.. rig.Schedule.Events.Where(e => e.Action == NeedleAction.Insert && !e.Real && e.Time + 10 < seconds)];
        Assert.True(BlockAverage(hbo, realInserts, fs) > BlockAverage(hbo, shamInserts, fs) + 0.1, "real ΔHbO response not larger than sham");
        Assert.True(BlockAverage(hbr, realInserts, fs) < BlockAverage(hbr, shamInserts, fs), "real ΔHbR response not more negative than sham");
    }

    /// <summary>Mean over insertions of (mean 4–10 s after) − (mean 2 s before), the usual fNIRS block average.</summary>
    private static double BlockAverage(double[] x, NeedleEvent[] events, double fs)
    {
        double sum = 0;
        foreach (NeedleEvent e in events)
        {
            sum += Mean(x, e.Time + 4, e.Time + 10, fs) - Mean(x, e.Time - 2, e.Time, fs);
        }
        return sum / events.Length;
    }

    private static double Mean(double[] x, double from, double to, double fs)
    {
        int a = (int)Math.Ceiling(from * fs), b = (int)Math.Floor(to * fs);
        double sum = 0;
        for (int i = a; i <= b; i++)
        {
            sum += x[i];
        }
        return sum / (b - a + 1);
    }

    private static double[] NirsValues(List<NirsTestKit.Item> items)
    {
        int nirs = items.First(i => i.Kind == SourceItemKind.Samples && i.Values.Length % NirsTestKit.Labels16.Length == 0 && i.Times.Length * NirsTestKit.Labels16.Length == i.Values.Length).Stream;
        return [.. items.Where(i => i.Kind == SourceItemKind.Samples && i.Stream == nirs).SelectMany(i => i.Values)];
    }
}
