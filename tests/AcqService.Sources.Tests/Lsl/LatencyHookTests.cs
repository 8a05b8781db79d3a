using AcqService.Core.Analysis;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Lsl;
using AcqService.Lsl.Managed;
using AcqService.Sessions;
using AcqService.Sinks;
using AcqService.Sinks.Lsl;
using AcqService.Sources.Lsl;
using AcqService.Sources.Profiles;
using AcqService.Sources.Simulation;

namespace AcqService.Sources.Tests.Lsl;

/// <summary>
/// The hooks <c>bench latency</c> measures with: <see cref="SampleChunk.ReceivedAt"/> stamped by the LSL source, and
/// the session's and result publisher's observation hooks, which must fire once per row or push, after it is visible.
/// </summary>
public sealed class LatencyHookTests
{
    [Fact]
    public void ReceivedAt_IsNaNUntilASourceSetsIt_AndResetWhenAPooledChunkIsRentedAgain()
    {
        Assert.True(double.IsNaN(new SampleChunk(0, 4, 8).ReceivedAt));
        var pool = new ChunkPool(0, 4, 8);
        SampleChunk chunk = pool.Rent();
        chunk.ReceivedAt = 123.5;
        chunk.Release();
        SampleChunk again = pool.Rent();
        Assert.Same(chunk, again);
        Assert.True(double.IsNaN(again.ReceivedAt), $"rented chunk kept ReceivedAt = {again.ReceivedAt}");
        again.Release();
    }

    [Fact]
    public async Task ReceivedAt_IsTheLocalClockWhenTheSourcePulledTheChunk()
    {
        using ManagedLslBackend backend = LslTestKit.Backend();
        string name = LslTestKit.Unique("eeg-received");
        using ILslOutlet outlet = backend.CreateOutlet(LslTestKit.Info(name, 4, 1000, ChannelFormat.Float32).WithChannels(new[] { "C3", "Cz", "C4", "Pz" }.Select(l => (l, "uV", "EEG"))));
        // The repository's LSL profile narrowed to this stream; onMismatch=warn takes the outlet's 4 channels and rate.
        StreamProfile profile = LslTestKit.LslNeedlingProfile(name, "unused").Streams.Single(s => s.Kind == "signal");
        profile.Source.OnMismatch = "warn";
        profile.Source.ResolveTimeoutSeconds = 5;
        using LslSignalSource source = await LslSignalSource.ConnectAsync(profile, backend);
        new StreamRegistry().Add(source.Stream);
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Data<SourceItem>("test", singleWriter: false);
        using var stop = new CancellationTokenSource();
        Task running = source.RunAsync(edge, stop.Token);
        Assert.True(outlet.WaitForConsumers(TimeSpan.FromSeconds(5)));

        // The source reports a clock offset before it pulls: wait until a first sample is through, so that the timed
        // pushes below meet a source that is already pulling.
        outlet.PushChunk(new float[4], [6999.0]);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (true)
        {
            SourceItem first = await edge.Reader.ReadAsync(deadline.Token);
            if (first.Chunk is SampleChunk primed)
            {
                primed.Release();
                break;
            }
        }

        // 20 pushes of 5 samples, 20 ms apart, each stamped with the local clock just before it was pushed.
        const int Pushes = 20, PerPush = 5;
        double[] pushedAt = new double[Pushes];
        Task pushing = Task.Run(async () =>
        {
            float[] values = new float[PerPush * 4];
            double[] times = new double[PerPush];
            for (int p = 0; p < Pushes; p++)
            {
                for (int i = 0; i < PerPush; i++)
                {
                    times[i] = 7000 + (((p * PerPush) + i) / 1000.0);
                }
                pushedAt[p] = LocalClock.Now();
                outlet.PushChunk(values, times);
                await Task.Delay(20);
            }
        });
        var chunks = new List<(int LastSample, double ReceivedAt, double ReadAt)>();
        int samples = 0;
        while (samples < Pushes * PerPush)
        {
            SourceItem item = await edge.Reader.ReadAsync(deadline.Token);
            if (item.Kind == SourceItemKind.Samples)
            {
                SampleChunk chunk = item.Chunk!;
                samples += chunk.Count;
                chunks.Add(((int)Math.Round((chunk.LastTimestamp - 7000) * 1000), chunk.ReceivedAt, LocalClock.Now()));
                chunk.Release();
            }
        }
        await pushing;
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(Pushes * PerPush, samples);
        // Pushes 20 ms apart mostly arrive as pulls of their own (a loaded machine may merge a few).
        Assert.True(chunks.Count >= Pushes / 2, $"{chunks.Count} chunks for {Pushes} pushes 20 ms apart");
        foreach ((int last, double receivedAt, double readAt) in chunks)
        {
            double pushed = pushedAt[last / PerPush];
            // Not before the push that carried its last sample, not after the consumer read it, and within a second.
            Assert.True(receivedAt >= pushed, $"sample {last}: received {receivedAt:F6} before it was pushed at {pushed:F6}");
            Assert.True(receivedAt <= readAt, $"sample {last}: received {receivedAt:F6} after it was read at {readAt:F6}");
            Assert.True(receivedAt - pushed < 1, $"sample {last}: {receivedAt - pushed:F3} s from push to pull");
        }
    }

    [Fact]
    public async Task LiveSessionOverLsl_ReceivedAtReachesTheTaps_AndEveryHookFiresOncePerVisibleRowOrPush()
    {
        (DeviceProfile profile, string source, string json) = DefaultProfile.Load(null);
        var settings = new AppSettings();
        settings.Session.Record = false;
        settings.Simulation.FirstInsertionSeconds = 1;
        double[] interval = [0.5, 0.7];
        settings.Simulation.ManipulationDelaySeconds = interval;
        settings.Simulation.ManipulationIntervalSeconds = interval;
        settings.Simulation.RemovalDelaySeconds = interval;
        settings.Simulation.RestSeconds = interval;
        string folder = Path.Combine(Path.GetTempPath(), LslTestKit.Unique("latency-hooks"));
        var factory = new SessionFactory(null, () => LslTestKit.Backend());
        Session session = await factory.CreateAsync(new SessionRequest
        {
            Input = new SessionInput.Devices(profile, source, json),
            Settings = settings,
            OutputFolder = folder,
            DurationSeconds = 6,
            Pace = SimulationPace.Live,
            Transport = SimulatedTransport.Lsl,
        });
        try
        {
            await using (session)
            {
                AcquisitionSession pipeline = session.Pipeline;
                LslResultPublisher publisher = session.ResultPublisher!;
                var tap = new ReceivedTap(pipeline.Streams.Find("eeg")!.Index);
                pipeline.AddDisplayTap(tap);
                // Each hook checks, when it fires, that the row is already in the file (flushed): header + rows so far.
                int outcomes = 0, alphaRows = 0, outcomesPushed = 0, alphaPushed = 0;
                var notVisible = new List<string>();
                pipeline.OutcomeWritten = _ =>
                {
                    outcomes++;
                    int lines = Lines(Path.Combine(folder, DropLogWriter.FileName));
                    if (lines != outcomes + 1)
                    {
                        lock (notVisible)
                        {
                            notVisible.Add($"drop log: {lines} lines after outcome {outcomes}");
                        }
                    }
                };
                pipeline.AlphaWritten = u =>
                {
                    alphaRows++;
                    int lines = Lines(Path.Combine(folder, AlphaCsvWriter.FileNameFor(u.StreamKey)));
                    if (lines != alphaRows + 1)
                    {
                        lock (notVisible)
                        {
                            notVisible.Add($"alpha CSV: {lines} lines after update {alphaRows}");
                        }
                    }
                };
                publisher.EpochPublished = _ => outcomesPushed++;
                publisher.AlphaPublished = _ => alphaPushed++;

                SessionSummary summary = await session.RunAsync(CancellationToken.None);

                Assert.Empty(summary.Errors);
                Assert.Empty(notVisible);
                // Every EEG chunk reached the display tap with the time the LSL source received it.
                long samples = summary.Streams.Single(s => s.Key == "eeg").Samples;
                Assert.True(samples >= 6 * 500, $"{samples} samples in 6 s at 500 Hz");
                // A display edge may drop chunks when its reader is late (counted); what it delivers must all be stamped.
                long tapDropped = pipeline.Edges.Edges.Single(e => e.Name == "aligner→" + tap.Name).Dropped;
                Assert.True(tapDropped > 0 ? tap.Samples < samples && tap.Samples > samples / 2 : tap.Samples == samples,
                    $"tap saw {tap.Samples} of {samples} samples with {tapDropped} chunks dropped");
                Assert.Equal(0, tap.WithoutReceivedAt);
                Assert.True(tap.NonMonotonic == 0, $"{tap.NonMonotonic} chunks received before the one in front of them");
                // One call per drop-log row, alpha row and push (10 markers in 6 s; alpha every 0.5 s from 2 s on).
                Assert.Equal(File.ReadAllLines(Path.Combine(folder, DropLogWriter.FileName)).Length - 1, outcomes);
                Assert.Equal(File.ReadAllLines(Path.Combine(folder, AlphaCsvWriter.FileNameFor("eeg"))).Length - 1, alphaRows);
                Assert.InRange(outcomes, 4, 20);
                Assert.InRange(alphaRows, 6, 10);
                Assert.Equal(publisher.EpochsPushed, outcomesPushed);
                Assert.Equal(publisher.AlphaPushed, alphaPushed);
                Assert.Equal(outcomes, outcomesPushed);
                Assert.Equal(alphaRows, alphaPushed);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Lines in a file another writer holds open.</summary>
    private static int Lines(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        int lines = 0;
        while (reader.ReadLine() is not null)
        {
            lines++;
        }
        return lines;
    }

    /// <summary>Notes, per EEG chunk, whether it carries a receive time and whether those times run forward.</summary>
    private sealed class ReceivedTap(int stream) : IRawSink
    {
        private double _last = double.NegativeInfinity;

        public long Samples { get; private set; }

        public int WithoutReceivedAt { get; private set; }

        public int NonMonotonic { get; private set; }

        public string Name => "received tap";

        public async Task RunAsync(Edge<SourceItem> input, CancellationToken cancellationToken)
        {
            while (await input.Reader.WaitToReadAsync(cancellationToken))
            {
                while (input.Reader.TryRead(out SourceItem item))
                {
                    if (item.Chunk is SampleChunk chunk)
                    {
                        if (chunk.Stream == stream)
                        {
                            Samples += chunk.Count;
                            if (!double.IsFinite(chunk.ReceivedAt))
                            {
                                WithoutReceivedAt++;
                            }
                            else if (chunk.ReceivedAt < _last)
                            {
                                NonMonotonic++;
                            }
                            _last = double.IsFinite(chunk.ReceivedAt) ? chunk.ReceivedAt : _last;
                        }
                        chunk.Release();
                    }
                }
            }
        }
    }
}
