using System.Globalization;
using AcqService.Core.Analysis;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sessions;
using AcqService.Sinks;
using AcqService.Sources.Serial;
using AcqService.Sources.Simulation;
using Xunit.Abstractions;

namespace AcqService.Sources.Tests.Serial;

/// <summary>
/// Simulated Cyton + trigger box → pseudo-terminals → SerialPort → decoders → a real <see cref="AcquisitionSession"/>,
/// compared with the simulator's ground truth. Real time (the serial path is stamped with the host clock), so the
/// schedule is compressed: a needle event about every 1.1 s.
/// </summary>
[Collection(SerialIsolation.Name)]
public sealed class SerialSessionTests(ITestOutputHelper output)
{
    private const double Rate = 250;

    private static SimulationSettings FastSchedule() => new()
    {
        BackgroundRmsMicrovolts = 0.7,
        AlphaAmplitudeMicrovolts = 4,
        AlphaFluctuation = 0,
        AlphaGainReal = 0,
        AlphaGainSham = 0,
        LineNoiseMicrovolts = 0,
        FirstInsertionSeconds = 1.5,
        ManipulationDelaySeconds = [1.0, 1.2],
        ManipulationIntervalSeconds = [1.0, 1.2],
        RemovalDelaySeconds = [1.0, 1.2],
        RestSeconds = [1.0, 1.3],
    };

    private static (CytonSource Cyton, TriggerBoxSource Trigger) Sources(SerialSimulationRig rig)
    {
        StreamDescriptor eeg = SerialTestKit.CytonStream(rig.Labels, Rate);
        StreamDescriptor needle = SerialTestKit.MarkerStream();
        var cyton = new CytonSource(eeg, new CytonOptions { Serial = SerialTestKit.Port(rig.CytonPort, silenceMs: 3000), Gains = [.. Enumerable.Repeat(24.0, 8)] }, LocalClock.Now);
        var trigger = new TriggerBoxSource(needle, new TriggerBoxOptions { Serial = SerialTestKit.Port(rig.TriggerPort), Codes = rig.TriggerCodes }, LocalClock.Now);
        return (cyton, trigger);
    }

    private static SessionPlan Plan()
    {
        var plan = new SessionPlan
        {
            Conditions = [new("needle", "^needle/")],
            Regions = new() { ["parietal-occipital"] = ["Pz", "O1", "Oz", "O2"], ["central"] = ["C3", "Cz", "C4"] },
        };
        plan.Epochs.Filter.Enabled = false;
        plan.Epochs.RejectPeakToPeakMicrovolts = null;
        return plan;
    }

    [SkippableFact]
    public async Task Session_SimulatedCytonAndTriggerBoxOverPty_ErpAndAlphaMatchGroundTruth()
    {
        Skip.IfNot(SerialTestKit.PtyAvailable(), "no pseudo-terminals on this platform");
        const double seconds = 22;
        using var rig = new SerialSimulationRig(FastSchedule(), daisy: false, seconds, LocalClock.Now, SerialTestKit.TempFolder(), leadSeconds: 2.0);
        (CytonSource cyton, TriggerBoxSource trigger) = Sources(rig);
        string folder = TestRig.TempFolder();
        var timing = new TimingSink();
        var session = new AcquisitionSession([cyton, trigger], Plan(), folder, new SessionMetadata(), LocalClock.Now, [timing]);
        using var stop = new CancellationTokenSource();
        rig.Start();
        Task<SessionSummary> run = session.RunAsync(stop.Token);
        Assert.True(rig.WaitFinished(TimeSpan.FromSeconds(seconds + 10)), "simulation did not finish");
        await Task.Delay(500);
        await stop.CancelAsync();
        SessionSummary summary = await run.WaitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine(summary.ToText());
        output.WriteLine($"bytes dropped by the terminal {rig.CytonTerminal.DroppedBytes}; markers sent {rig.Trigger.Sent}, received {trigger.Markers}; packets sent {rig.Cyton.PacketsSent}, lost before start {rig.Cyton.PacketsLost}, decoded {cyton.Decoder.Packets}, skipped bytes {cyton.Decoder.SkippedBytes}, gaps {cyton.Gaps}");
        Assert.Empty(summary.Errors);
        Assert.Equal(rig.Cyton.PacketsSent, cyton.Frames);
        Assert.Equal(0, cyton.Gaps);
        // Timing against the ideal timeline (sample n at origin + n/250, event at origin + time): both devices are
        // stamped on arrival, so both carry the same transport latency and the ERP lock is unaffected by it.
        // Packets due before the source sent 'b' were never sent: the first frame is packet number PacketsLost.
        long first = rig.Cyton.PacketsLost;
        double eegLatency = timing.EegTimes.Select((t, k) => t - (rig.Origin + ((k + first) / Rate))).Average();
        double[] markerLatency = [.. timing.MarkerTimes.Select((t, i) => t - (rig.Origin + rig.Schedule.Events[i].Time))];
        output.WriteLine($"latency vs ideal: EEG (dejittered) {eegLatency * 1000:F3} ms, markers mean {markerLatency.Average() * 1000:F3} ms (min {markerLatency.Min() * 1000:F3}, max {markerLatency.Max() * 1000:F3})");
        Assert.Equal(rig.Schedule.Events.Count, trigger.Markers);
        Assert.Equal(0, trigger.UnknownCodes);

        ConditionAverage average = session.Erp.Averages.Single();
        // Events whose epoch (to +0.8 s) ends before the signal does.
        NeedleEvent[] epoched = [.. rig.Schedule.Events.Where(e => e.Time + 0.8 + (2 / Rate) < seconds)];
        Assert.Equal(epoched.Length, average.Count);
        Assert.True(average.Count >= 14, $"only {average.Count} epochs");
        foreach (string label in new[] { "C3", "Cz", "C4" })
        {
            int c = rig.Labels.ToList().IndexOf(label);
            double[] expected = ExpectedAverage(rig, epoched, average, label);
            double[] recovered = average.MeanOf(c).ToArray();
            double r = Correlation(recovered, expected);
            int lag = TestRig.BestLag(recovered, expected, 10);
            output.WriteLine($"{label}: r = {r:F4}, peak {average.Times[TestRig.ArgMax(recovered)]:F3} s vs {average.Times[TestRig.ArgMax(expected)]:F3} s, lag {lag} samples, n = {average.Count}");
            Assert.True(r >= 0.95, $"{label}: correlation {r:F4} < 0.95");
            // Latency of the whole waveform (cross-correlation) within one sample.
            Assert.InRange(lag, -1, 1);
        }
        // Peak latency of the central response within one sample (mean of C3, Cz, C4: the peak is broad, σ 25 ms,
        // so one channel's arg-max moves with 0.1 µV of residual noise).
        double[] centralExpected = new double[average.TimePoints], centralRecovered = new double[average.TimePoints];
        foreach (string label in new[] { "C3", "Cz", "C4" })
        {
            int c = rig.Labels.ToList().IndexOf(label);
            double[] e = ExpectedAverage(rig, epoched, average, label);
            ReadOnlySpan<double> m = average.MeanOf(c);
            for (int k = 0; k < e.Length; k++)
            {
                centralExpected[k] += e[k] / 3;
                centralRecovered[k] += m[k] / 3;
            }
        }
        Assert.InRange(TestRig.ArgMax(centralRecovered) - TestRig.ArgMax(centralExpected), -1, 1);

        // Alpha: a constant 4 µV 10 Hz sine × channel weight → A²/2 in the 8–13 Hz band (8 µV² at O1/Oz/O2, 5.8 µV² at Pz).
        string[] lines = File.ReadAllLines(Path.Combine(folder, "alpha_power_eeg.csv"));
        string[] header = lines[0].Split(',');
        foreach ((string label, double weight) in new[] { ("O1", 1.0), ("Oz", 1.0), ("Pz", 0.85), ("Cz", 0.35) })
        {
            int column = Array.IndexOf(header, $"{label}_abs_uV2");
            double[] values = [.. lines.Skip(1).Select(l => double.Parse(l.Split(',')[column], CultureInfo.InvariantCulture)).Order()];
            double median = values[values.Length / 2];
            double truth = Math.Pow(4 * weight, 2) / 2;
            output.WriteLine($"alpha {label}: median {median:F2} µV² vs {truth:F2} µV² over {values.Length} updates");
            Assert.InRange(median, truth * 0.85, (truth * 1.15) + 0.3);
        }
    }

    [SkippableFact]
    public async Task Session_CytonUnpluggedMidStream_GapReportedAndStreamRecovers()
    {
        Skip.IfNot(SerialTestKit.PtyAvailable(), "no pseudo-terminals on this platform");
        const double seconds = 8;
        using var rig = new SerialSimulationRig(FastSchedule(), daisy: false, seconds, LocalClock.Now, SerialTestKit.TempFolder(), leadSeconds: 2.0);
        (CytonSource cyton, TriggerBoxSource trigger) = Sources(rig);
        var session = new AcquisitionSession([cyton, trigger], Plan(), TestRig.TempFolder(), new SessionMetadata(), LocalClock.Now);
        using var stop = new CancellationTokenSource();
        rig.Start();
        Task<SessionSummary> run = session.RunAsync(stop.Token);
        Assert.True(await ItemCollector.UntilAsync(() => cyton.Frames > 250, TimeSpan.FromSeconds(10)), "no data before unplugging");
        long before = cyton.Frames;
        rig.CytonTerminal.Unplug();
        await Task.Delay(1200);
        long during = cyton.Frames;
        rig.CytonTerminal.Plug();
        Assert.True(rig.WaitFinished(TimeSpan.FromSeconds(seconds + 10)), "simulation did not finish");
        await Task.Delay(500);
        await stop.CancelAsync();
        SessionSummary summary = await run.WaitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine(summary.ToText());
        output.WriteLine($"bytes dropped by the terminal {rig.CytonTerminal.DroppedBytes}; frames before {before}, when replugged {during}, total {cyton.Frames}, reconnects {cyton.Reconnects}, gaps {cyton.Gaps}, lost packets {rig.Cyton.PacketsLost}");
        Assert.Empty(summary.Errors);
        Assert.Equal(1, cyton.Reconnects);
        // One gap for the unplugged second ("device lost"); a packet cut in half by the re-plug seam can add one more,
        // reported as a sample-counter jump (seen once in several CI runs). More than that would be a real fault.
        Assert.InRange(cyton.Gaps, 1, 2);
        StreamStatistics eeg = summary.Streams.Single(s => s.Key == "eeg");
        Assert.Equal(cyton.Gaps, eeg.Gaps);
        // Data came back after the re-plug: at least 2 s of the remaining signal.
        Assert.True(cyton.Frames - during > 500, $"only {cyton.Frames - during} frames after re-plugging");
        // Every packet the simulator sent while plugged in arrived, except what was still in the old terminal's buffer
        // when it was closed (lost with the "cable"; one packet was seen in one run).
        Assert.InRange(rig.Cyton.PacketsSent - cyton.Frames, 0, 5);
    }

    private static double[] ExpectedAverage(SerialSimulationRig rig, NeedleEvent[] events, ConditionAverage average, string label)
    {
        double[] expected = new double[average.TimePoints];
        foreach (NeedleEvent e in events)
        {
            double lockTime = Math.Ceiling(e.Time * Rate) / Rate;
            double gain = EegSimulator.EventGain(rig.Settings, e) * EegSimulator.ChannelEvokedWeight(label);
            for (int k = 0; k < expected.Length; k++)
            {
                expected[k] += gain * EegSimulator.EvokedWaveform(rig.Settings, lockTime + average.Times[k] - e.Time) / events.Length;
            }
        }
        return expected;
    }

    /// <summary>Raw sink that keeps the EEG and marker timestamps as the sources sent them.</summary>
    private sealed class TimingSink : IRawSink
    {
        public List<double> EegTimes { get; } = [];

        public List<double> MarkerTimes { get; } = [];

        public string Name => "timing";

        public async Task RunAsync(Edge<SourceItem> input, CancellationToken cancellationToken)
        {
            await foreach (SourceItem item in input.Reader.ReadAllAsync(cancellationToken))
            {
                if (item.Kind == SourceItemKind.Samples)
                {
                    EegTimes.AddRange(item.Chunk!.Times.ToArray());
                    item.Chunk.Release();
                }
                else if (item.Kind == SourceItemKind.Marker)
                {
                    MarkerTimes.Add(item.Marker.Timestamp);
                }
            }
        }
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
