using System.Xml.Linq;
using AcqService.Core.Analysis;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Lsl;
using AcqService.Lsl.Managed;
using AcqService.Sessions;
using AcqService.Sinks;
using AcqService.Sinks.Lsl;
using AcqService.Sources.Profiles;
using AcqService.Sources.Simulation;
using AcqService.Sources.Tests.Lsl;

namespace AcqService.Sources.Tests.Nirs;

/// <summary>The result publisher's haemoglobin outlet carries exactly the ΔHbO/ΔHbR the live stage computed.</summary>
[Collection("lsl")]
public sealed class NirsResultOutletTests
{
    [Fact]
    public async Task HaemoglobinOutlet_InletReceivesEveryFrameTheStageComputed_WithLabelsUnitRateAndMontage()
    {
        using ManagedLslBackend backend = LslTestKit.Backend();
        string id = Guid.NewGuid().ToString("N");
        var rig = new SimulationRig(new SimulationSettings(), NirsTestKit.SmallEeg(), TestRig.Needle(), NirsTestKit.Nirs(), SimulationPace.Fast, 40, backend.LocalClock);
        DeviceProfile profile = LslTestKit.LslNeedlingProfile("unused", "unused");
        var plan = new SessionPlan { Conditions = ProfileLoader.Conditions(profile), Regions = [] };
        var session = new AcquisitionSession(rig.Sources, plan, TestRig.TempFolder(), new SessionMetadata(), backend.LocalClock);
        var computed = new Capture();
        session.Nirs.AddSink(computed);
        using var results = new LslResultPublisher(backend, session.Streams, session.Alpha, plan.Alpha, "Test " + id, "test-" + id, nirs: session.Nirs);
        session.AddResultSink(results);

        LslStreamInfo info = backend.Resolve($"source_id='test-{id}-haemoglobin-nirs'", 1, TimeSpan.FromSeconds(5)).Single();
        Assert.Equal(("Haemoglobin", 16, 10.0, ChannelFormat.Double64), (info.Type, info.ChannelCount, info.NominalSrate, info.ChannelFormat));
        using ILslInlet inlet = backend.CreateInlet(info);
        LslStreamInfo full = inlet.GetFullInfo(TimeSpan.FromSeconds(5));
        Assert.Equal(["S1_D1 hbo", "S1_D1 hbr"], full.ChannelLabels.Take(2));
        Assert.Equal("S8_D8 hbr", full.ChannelLabels[15]);
        XElement first = full.Desc.Element("channels")!.Elements("channel").First();
        Assert.Equal(("HbO", "µM", "1", "1"), ((string)first.Element("type")!, (string)first.Element("unit")!, (string)first.Element("source")!, (string)first.Element("detector")!));
        Assert.Equal(8, full.Desc.Element("montage")!.Element("optodes")!.Element("sources")!.Elements("source").Count());
        inlet.Open(TimeSpan.FromSeconds(5));

        await session.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(400, computed.Times.Count); // 40 s at 10 Hz
        double[] values = new double[400 * 16];
        double[] times = new double[400];
        int have = 0;
        long deadline = Environment.TickCount64 + 10_000;
        while (have < 400 && Environment.TickCount64 < deadline)
        {
            have += inlet.PullChunk(values.AsSpan(have * 16), times.AsSpan(have), TimeSpan.FromMilliseconds(200));
        }
        Assert.Equal(400, have);
        Assert.Equal(400, results.HaemoglobinPushed);
        Assert.Equal(computed.Times, times);
        Assert.Equal(computed.Values, values); // double64 end to end: bit-identical
        Assert.Contains(values, v => Math.Abs(v) > 0.05); // µM-sized haemodynamics, not zeros
    }

    private sealed class Capture : IHaemoglobinSink
    {
        public List<double> Values { get; } = [];

        public List<double> Times { get; } = [];

        public void Write(string streamKey, ReadOnlySpan<double> haemoglobin, ReadOnlySpan<double> times)
        {
            Values.AddRange(haemoglobin.ToArray());
            Times.AddRange(times.ToArray());
        }
    }
}
