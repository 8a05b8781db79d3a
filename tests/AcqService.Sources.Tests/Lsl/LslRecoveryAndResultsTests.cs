using System.Globalization;
using AcqService.Core.Analysis;
using AcqService.Core.Pipeline;
using AcqService.Sources.Profiles;
using AcqService.Sinks;
using AcqService.Sources.Lsl;
using AcqService.Sources.Simulation;
using AcqService.Lsl;
using AcqService.Lsl.Managed;
using Xunit.Abstractions;
using AcqService.Sessions;
using AcqService.Sinks.Lsl;

namespace AcqService.Sources.Tests.Lsl;

/// <summary>A lost and re-created outlet mid-session; derived results published as LSL streams.</summary>
[Collection("lsl")]
public sealed class LslRecoveryAndResultsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task OutletRecreatedWithSameSourceId_GapRecordedAndDataContinues()
    {
        using ManagedLslBackend backend = LslTestKit.Backend();
        string id = Guid.NewGuid().ToString("N");
        var settings = new SimulationSettings();
        SimulationRig rig = LslTestKit.Rig(id, settings, SimulationPace.Live, 30, backend.LocalClock);
        using var publisher = new SimulatedLslPublisher(backend, rig);
        DeviceProfile profile = LslTestKit.LslNeedlingProfile(rig.Eeg.Stream.Name, rig.Markers.Stream.Name);
        (IReadOnlyList<ISource> sources, _) = await SourceBuilder.BuildAsync(profile, settings, SimulationPace.Live, null, backend.LocalClock, backend, null, CancellationToken.None);
        var eeg = (LslSignalSource)sources[0];
        var capture = new RawCapture();
        var session = new AcquisitionSession(sources, LslTestKit.Plan(profile), TestRig.TempFolder(), new SessionMetadata(), backend.LocalClock, [capture]);
        using var stop = new CancellationTokenSource();
        using var stopPublisher = new CancellationTokenSource();
        Task<SessionSummary> running = session.RunAsync(stop.Token);
        Task publishing = publisher.RunAsync(stopPublisher.Token);

        Assert.True(await LslTestKit.WaitUntilAsync(() => eeg.Received >= 1000, TimeSpan.FromSeconds(10)), $"only {eeg.Received} samples before the outage");
        publisher.SimulateOutage(TimeSpan.FromSeconds(1));
        Assert.True(await LslTestKit.WaitUntilAsync(() => eeg.Gaps >= 1, TimeSpan.FromSeconds(15)), "no gap after the outlet came back");
        long afterGap = eeg.Received;
        Assert.True(await LslTestKit.WaitUntilAsync(() => eeg.Received >= afterGap + 1000, TimeSpan.FromSeconds(10)), "data did not continue after recovery");
        stop.Cancel();
        SessionSummary summary = await running.WaitAsync(TimeSpan.FromSeconds(20));
        stopPublisher.Cancel();
        await publishing.WaitAsync(TimeSpan.FromSeconds(10));
        output.WriteLine(summary.ToText());
        foreach (var g in capture.Gaps)
        {
            output.WriteLine($"gap {g.Start:F3}..{g.End:F3} missing {g.MissingSamples}: {g.Reason}");
        }
        output.WriteLine($"dropped by the outage {publisher.SamplesDropped}");

        Assert.True(publisher.SamplesDropped > 0, "the outage dropped nothing");
        StreamStatistics stats = summary.Streams.Single(s => s.Key == "eeg");
        Assert.True(stats.Gaps >= 1, $"summary gap count {stats.Gaps}");
        Assert.Empty(summary.Errors);
        // One outage, one gap from the source (the aligner adds its own "timestamp jump" gap to the summary count).
        var gap = Assert.Single(capture.Gaps);
        Assert.Equal(LslConnection.RecoveredReason, gap.Reason);
        Assert.Equal(Math.Round((gap.End - gap.Start) * 500) - 1, gap.MissingSamples);
        // The gap spans the outage: at least the 1 s the outlet was gone, and the samples it cost are estimated.
        Assert.True(gap.End - gap.Start >= 1.0, $"gap {gap.Start}..{gap.End}");
        Assert.True(gap.MissingSamples >= 499, $"missing {gap.MissingSamples}");
        Assert.Equal(stats.Samples, eeg.Received);
    }

    [Fact]
    public async Task ResultPublisher_AlphaInletReceivesTheCsvRows_AndEpochOutcomesMatchTheSummary()
    {
        using ManagedLslBackend backend = LslTestKit.Backend();
        string id = Guid.NewGuid().ToString("N");
        SimulationRig rig = LslTestKit.Rig(id, new SimulationSettings(), SimulationPace.Fast, 60, backend.LocalClock);
        DeviceProfile profile = LslTestKit.LslNeedlingProfile("unused", "unused");
        SessionPlan plan = LslTestKit.Plan(profile);
        // A fast session produces updates far quicker than real time; a display edge that holds them all makes
        // "every CSV row arrives" deterministic on a loaded machine (drops are by design otherwise).
        plan.Pipeline.DisplayEdge = new EdgePolicy(1024, EdgeMode.DropOldest);
        string folder = TestRig.TempFolder();
        var session = new AcquisitionSession(rig.Sources, plan, folder, new SessionMetadata(), backend.LocalClock);
        using var results = new LslResultPublisher(backend, session.Streams, session.Alpha, plan.Alpha, "Test " + id, "test-" + id);
        session.AddResultSink(results);

        LslStreamInfo alphaInfo = backend.Resolve($"source_id='test-{id}-alpha-eeg'", 1, TimeSpan.FromSeconds(5)).Single();
        LslStreamInfo erpInfo = backend.Resolve($"source_id='test-{id}-erp'", 1, TimeSpan.FromSeconds(5)).Single();
        Assert.Equal(32 + (2 * 3), alphaInfo.ChannelCount);
        Assert.Equal(2.0, alphaInfo.NominalSrate);
        using ILslInlet alphaInlet = backend.CreateInlet(alphaInfo);
        using ILslInlet erpInlet = backend.CreateInlet(erpInfo);
        LslStreamInfo full = alphaInlet.GetFullInfo(TimeSpan.FromSeconds(5));
        Assert.Equal("Fp1_abs", full.ChannelLabels[0]);
        Assert.Equal("roi_parietal-occipital_abs", full.ChannelLabels[32]);
        Assert.Equal("roi_frontal_rel", full.ChannelLabels[37]);
        alphaInlet.Open(TimeSpan.FromSeconds(5));
        erpInlet.Open(TimeSpan.FromSeconds(5));

        SessionSummary summary = await session.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        string[] rows = [.. File.ReadLines(Path.Combine(folder, AlphaCsvWriter.FileNameFor("eeg"))).Skip(1)];
        Assert.True(rows.Length >= 100, $"only {rows.Length} alpha rows");
        int channels = alphaInfo.ChannelCount;
        double[] values = new double[rows.Length * channels];
        double[] times = new double[rows.Length];
        int have = 0;
        long deadline = Environment.TickCount64 + 10_000;
        while (have < rows.Length && Environment.TickCount64 < deadline)
        {
            have += alphaInlet.PullChunk(values.AsSpan(have * channels), times.AsSpan(have), TimeSpan.FromMilliseconds(200));
        }
        Assert.Equal(rows.Length, have);
        for (int r = 0; r < rows.Length; r++)
        {
            string[] fields = rows[r].Split(',');
            // CSV: time, session time, sample index, 32 abs, 32 rel, 3 roi abs, 3 roi rel. LSL: 32 abs, 3 roi abs, 3 roi rel.
            double[] expected = [.. fields.Skip(3).Take(32).Concat(fields.Skip(3 + 64).Take(6)).Select(f => double.Parse(f, CultureInfo.InvariantCulture))];
            Assert.True(Math.Abs(double.Parse(fields[0], CultureInfo.InvariantCulture) - times[r]) <= 1e-6, $"row {r} time {fields[0]} vs {times[r]}");
            for (int c = 0; c < channels; c++)
            {
                double actual = values[(r * channels) + c];
                Assert.True(Math.Abs(actual - expected[c]) <= 1e-8 * Math.Max(1, Math.Abs(expected[c])), $"row {r} channel {full.ChannelLabels[c]}: {actual} vs {expected[c]}");
            }
        }
        Assert.Equal(0, summary.Edges.Single(e => e.Name == "alpha→lsl results").Dropped);

        // ERP outcomes: one per marker; the last accepted count per condition equals the session's epochs.
        var outcomes = new List<string>();
        string[] text = new string[64];
        double[] stamps = new double[64];
        int expectedOutcomes = summary.Markers["needle"];
        deadline = Environment.TickCount64 + 10_000;
        while (outcomes.Count < expectedOutcomes && Environment.TickCount64 < deadline)
        {
            int n = erpInlet.PullChunk(text.AsSpan(), stamps.AsSpan(), TimeSpan.FromMilliseconds(200));
            outcomes.AddRange(text.Take(n));
        }
        Assert.Equal(expectedOutcomes, outcomes.Count);
        Assert.All(outcomes, o => Assert.StartsWith("erp;condition=", o));
        var accepted = outcomes.Where(o => o.Contains(";accepted=1;", StringComparison.Ordinal))
            .Select(o => o.Split(';').Skip(1).Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]))
            .GroupBy(f => f["condition"])
            .ToDictionary(g => g.Key, g => g.Max(f => int.Parse(f["n"], CultureInfo.InvariantCulture)));
        Assert.Equal(summary.EpochsPerCondition.OrderBy(p => p.Key), accepted.OrderBy(p => p.Key));
    }
}
