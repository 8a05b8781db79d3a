using System.Globalization;
using AcqService.Core.Model;
using AcqService.Sources.Serial;
using AcqService.Sources.Simulation;
using Xunit.Abstractions;

namespace AcqService.Sources.Tests.Serial;

/// <summary>
/// Arrival-time jitter of the simulated 250 Hz Cyton stream over a real pseudo-terminal and SerialPort, before and
/// after <see cref="ArrivalDejitter"/>, against the ideal timeline (packet n due at origin + n/250 s). Prints the
/// figures recorded in docs/benchmarks.md; asserts nothing about speed. Duration: ACQ_SERIAL_BENCH_SECONDS (default 10).
/// </summary>
[Collection(SerialIsolation.Name)]
public sealed class SerialTimestampBenchmark(ITestOutputHelper output)
{
    private sealed class Recorder(ArrivalDejitter fit) : ICytonFrameSink
    {
        public double Arrival { get; set; }

        public List<(int Counter, double Arrival, double Smoothed)> Frames { get; } = [];

        public int Counter { get; set; }

        private long _index = -1;

        public void OnFrame(ReadOnlySpan<double> microvolts, int missingBefore)
        {
            _index = _index < 0 ? 0 : _index + 1 + missingBefore;
            Frames.Add((Counter, Arrival, fit.Next(_index, Arrival)));
        }
    }

    private sealed class CounterTap(CytonFrameAssembler next, Recorder recorder) : ICytonPacketSink
    {
        public void OnPacket(CytonPacket packet)
        {
            recorder.Counter = packet.SampleNumber;
            next.OnPacket(packet);
        }
    }

    [SkippableFact]
    [Trait("Category", "Benchmark")]
    public void ArrivalJitter_SimulatedCytonOverPty_BeforeAndAfterDejitter()
    {
        Skip.IfNot(SerialTestKit.PtyAvailable(), "no pseudo-terminals on this platform");
        double seconds = double.TryParse(Environment.GetEnvironmentVariable("ACQ_SERIAL_BENCH_SECONDS"), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) ? s : 10;
        using var rig = new SerialSimulationRig(new SimulationSettings(), daisy: false, seconds + 1, LocalClock.Now, leadSeconds: 1.0);
        using var transport = new SerialPortTransport(SerialTestKit.Port(rig.CytonPort, readTimeoutMs: 100));
        transport.Open();
        var fit = new ArrivalDejitter(250, 30);
        var recorder = new Recorder(fit);
        var assembler = new CytonFrameAssembler(false, [.. Enumerable.Repeat(24.0, 8)], recorder);
        var tap = new CounterTap(assembler, recorder);
        var decoder = new CytonPacketDecoder();
        transport.Write("svcb"u8);
        rig.Start();
        byte[] buffer = new byte[4096];
        long reads = 0;
        while (!rig.Cyton.Finished || recorder.Frames.Count < rig.Cyton.PacketsSent)
        {
            int n = transport.Read(buffer);
            if (n == 0 && rig.Cyton.Finished)
            {
                break;
            }
            recorder.Arrival = LocalClock.Now();
            reads++;
            decoder.Push(buffer.AsSpan(0, n), tap);
        }
        // Frame k is packet (lost-before-start + k): packets before 'b' reached the simulator were not sent.
        long first = rig.Cyton.PacketsLost;
        var raw = new List<double>();
        var smooth = new List<double>();
        for (int k = 0; k < recorder.Frames.Count; k++)
        {
            double ideal = rig.Origin + ((first + k) / 250.0);
            raw.Add(recorder.Frames[k].Arrival - ideal);
            smooth.Add(recorder.Frames[k].Smoothed - ideal);
        }
        // Skip the first 2 s: the fit is still converging (nominal slope only).
        int skip = Math.Min(500, raw.Count / 2);
        (double rawMean, double rawRms, double rawMax) = Stats(raw.Skip(skip));
        (double fitMean, double fitRms, double fitMax) = Stats(smooth.Skip(skip));
        output.WriteLine($"{recorder.Frames.Count} frames over {seconds} s in {reads} reads ({(double)recorder.Frames.Count / reads:F2} frames/read), {rig.Cyton.PacketsSent} sent");
        output.WriteLine($"raw arrival − ideal:   mean {rawMean * 1000:F3} ms, RMS about mean {rawRms * 1000:F3} ms, max |dev| {rawMax * 1000:F3} ms");
        output.WriteLine($"dejittered − ideal:    mean {fitMean * 1000:F3} ms, RMS about mean {fitRms * 1000:F3} ms, max |dev| {fitMax * 1000:F3} ms");
        output.WriteLine($"fitted rate {1 / fit.Period:F4} Hz");
        Assert.Equal(rig.Cyton.PacketsSent, recorder.Frames.Count);
    }

    private static (double Mean, double Rms, double Max) Stats(IEnumerable<double> values)
    {
        double[] v = [.. values];
        double mean = v.Average();
        double rms = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / v.Length);
        double max = v.Max(x => Math.Abs(x - mean));
        return (mean, rms, max);
    }
}
