using AcqService.Core.Model;
using AcqService.Sources.Serial;
using AcqService.Sources.Simulation;

namespace AcqService.Sources.Tests.Serial;

/// <summary>Cyton+Daisy end to end over a pseudo-terminal: 16-channel frames at 125 Hz equal to the simulator's signal.</summary>
[Collection(SerialIsolation.Name)]
public sealed class DaisyPtyTests
{
    [SkippableFact]
    public async Task CytonDaisyRun_OverPty_FramesMatchGroundTruthWithinQuantisation()
    {
        Skip.IfNot(SerialTestKit.PtyAvailable(), "no pseudo-terminals on this platform");
        var settings = new SimulationSettings { FirstInsertionSeconds = 1 };
        using var rig = new SerialSimulationRig(settings, daisy: true, 4, LocalClock.Now, SerialTestKit.TempFolder(), leadSeconds: 1.5);
        StreamDescriptor stream = SerialTestKit.CytonStream(rig.Labels, 125);
        SerialTestKit.Register(stream);
        var source = new CytonSource(stream, new CytonOptions { Serial = SerialTestKit.Port(rig.CytonPort), Daisy = true, Gains = [.. Enumerable.Repeat(24.0, 16)] }, LocalClock.Now);
        var collector = new ItemCollector();
        using var stop = new CancellationTokenSource();
        Task run = source.RunAsync(collector.Edge, stop.Token);
        rig.Start();
        Assert.True(rig.WaitFinished(TimeSpan.FromSeconds(20)));
        Assert.True(await ItemCollector.UntilAsync(() => source.Decoder.Packets == rig.Cyton.PacketsSent, TimeSpan.FromSeconds(10)));
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        collector.Edge.Complete();
        await collector.Drain;

        // Ground truth: the same generator, 16 channels at 250 Hz; packet n carries the average of samples n−1 and n
        // of its board (odd n: channels 1–8, even n: 9–16), and a frame is an odd packet with the even one after it.
        var truth = new EegSimulator(settings, rig.Schedule, [.. rig.Labels.Select(l => new ChannelDescriptor(l, "uV", "EEG"))], 250);
        long total = rig.Cyton.PacketsLost + rig.Cyton.PacketsSent;
        double[] samples = new double[(total + 1) * 16];
        truth.Generate(samples, (int)total);
        long firstOdd = rig.Cyton.PacketsLost | 1;
        Assert.Equal((total - firstOdd) / 2, collector.Frames.Count);
        Assert.Empty(collector.Gaps);
        double step = CytonProtocol.MicrovoltsPerCount(24);
        double worst = 0;
        for (int k = 0; k < collector.Frames.Count; k++)
        {
            long n = firstOdd + (2 * k);
            for (int c = 0; c < 16; c++)
            {
                long at = c < 8 ? n : n + 1;
                int ch = c;
                double expected = (samples[((at - 1) * 16) + ch] + samples[(at * 16) + ch]) / 2;
                worst = Math.Max(worst, Math.Abs(collector.Frames[k][c] - expected));
            }
        }
        // Rounding to 24-bit counts: at most half a count.
        Assert.True(worst <= (step / 2) + 1e-9, $"worst {worst} µV");
        // Timestamps step by 8 ms (125 Hz) on average.
        double span = collector.Times[^1] - collector.Times[0];
        Assert.Equal(8.0, span / (collector.Times.Count - 1) * 1000, 0);
    }
}
