using AcqService.Core.Analysis;
using AcqService.Core.Pipeline;
using AcqService.Sinks;
using AcqService.Sources.Simulation;
using AcqService.Sessions;

namespace AcqService.Sources.Tests.Lsl;

/// <summary>The session's result-sink hook: a slow sink only drops (counted), a failing one is an error, neither stops the session.</summary>
public sealed class ResultSinkHookTests
{
    private sealed class SlowSink(bool fail) : IResultSink
    {
        public int Alpha;

        public string Name => fail ? "failing" : "slow";

        public async Task RunAsync(Edge<AlphaUpdate> alpha, Edge<EpochOutcome> epochs, CancellationToken cancellationToken)
        {
            if (fail)
            {
                throw new InvalidOperationException("sink broke");
            }
            Task drainEpochs = StageRunner.DrainAsync(epochs, _ => { }, cancellationToken);
            while (await alpha.Reader.WaitToReadAsync(cancellationToken))
            {
                while (alpha.Reader.TryRead(out _))
                {
                    Alpha++;
                    await Task.Delay(50, cancellationToken);
                }
            }
            await drainEpochs;
        }
    }

    [Fact]
    public async Task SlowAndFailingSinks_DoNotSlowOrStopTheSession()
    {
        var rig = new SimulationRig(new SimulationSettings(), TestRig.Eeg(), TestRig.Needle(), SimulationPace.Fast, 300, () => 1000.0);
        string folder = TestRig.TempFolder();
        var session = new AcquisitionSession(rig.Sources, new SessionPlan { Conditions = TestRig.DefaultConditions(), Regions = TestRig.Regions() }, folder, new SessionMetadata(), () => 1000.0);
        var slow = new SlowSink(fail: false);
        session.AddResultSink(slow);
        session.AddResultSink(new SlowSink(fail: true));

        SessionSummary summary = await session.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        int rows = File.ReadLines(Path.Combine(folder, AlphaCsvWriter.FileNameFor("eeg"))).Count() - 1;
        Assert.True(rows > 500, $"{rows} alpha rows");
        EdgeStatistics edge = summary.Edges.Single(e => e.Name == "alpha→slow");
        Assert.Equal(rows, edge.Written);
        Assert.True(edge.Dropped > 0, "a 50 ms/update sink kept up with a fast session?");
        Assert.Equal(rows, slow.Alpha + edge.Dropped);
        Assert.Contains(summary.Errors, e => e.Contains("result sink 'failing' failed: sink broke", StringComparison.Ordinal));
        Assert.Throws<InvalidOperationException>(() => session.AddResultSink(slow));
    }
}
