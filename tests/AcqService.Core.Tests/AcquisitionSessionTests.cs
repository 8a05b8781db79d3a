using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sinks;
using static AcqService.Core.Tests.TestStreams;
using AcqService.Sessions;

namespace AcqService.Core.Tests;

public sealed class AcquisitionSessionTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "acq-core-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static SessionPlan Plan() => new() { Conditions = [new ConditionRule("stim", "^stim")] };

    private AcquisitionSession Session(params ISource[] sources) => Session(sources, []);

    private AcquisitionSession Session(ISource[] sources, IRawSink[] sinks) =>
        new(sources, Plan(), Path.Combine(_root, "session"), new SessionMetadata(), () => 1000.0, sinks);

    private static double[] Noise(int frames, int channels, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, frames * channels).Select(_ => (random.NextDouble() - 0.5) * 10)];
    }

    private static string[] SplitCsv(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        bool quoted = false;
        foreach (char c in line)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        fields.Add(current.ToString());
        return [.. fields];
    }

    [Fact]
    public async Task RunAsync_MarkersWithEveryKindOfOutcome_DropLogHasExactlyOneRowPerMarkerAndStream()
    {
        // eeg: 250 Hz with a gap from 19.996 s to 21 s and a 500 µV burst at 18.5 s; eeg2: 500 Hz, continuous.
        double[] eegTimes = [.. Times(2500, 250), .. Times(2000, 250, 21)];
        double[] eegValues = Noise(4500, 2, 1);
        for (int i = 2125; i < 2150; i++)
        {
            eegValues[i * 2] += 500;
        }
        double[] eeg2Times = Times(9500, 500);
        double[] eeg2Values = Noise(9500, 2, 2);
        (double Time, string Label)[] markers =
        [
            .. new[] { 11, 12.5, 13.3, 14, 15.1, 16, 17.2, 22, 24.4, 26 }.Select((t, i) => (t, $"stim-{i}")),
            (18.4, "stim-burst"), (12, "other-1"), (23, "other-2"), (25, "other-3"),
            (20.5, "stim-gap-1"), (20.3, "stim-gap-2"), (19.9, "stim-gap-epoch"),
            (28.5, "stim-near-end"), (30, "stim-after-end"), (9, "stim-before-start"),
        ];
        var source = new ScriptedSource("scripted", [Signal("eeg", 250, "Cz", "Pz"), Signal("eeg2", 500, "Cz", "Pz"), Markers()], async (self, output, ct) =>
        {
            List<SourceItem> items = [.. Chunked(self.Index(0), 2, eegTimes, eegValues, 10).Concat(Chunked(self.Index(1), 2, eeg2Times, eeg2Values, 16))
                .OrderBy(i => i.Chunk!.FirstTimestamp)];
            foreach ((double t, string label) in markers.OrderBy(m => m.Time))
            {
                // Each marker arrives 50 ms after its time, as from a real marker device.
                int at = items.FindIndex(i => i.Kind == SourceItemKind.Samples && i.Chunk!.FirstTimestamp > t + 0.05);
                items.Insert(at < 0 ? items.Count : at, Mark(self.Index(2), t, label));
            }
            await ScriptedSource.WriteAllAsync(output, items, ct);
        });
        AcquisitionSession session = Session(source);

        SessionSummary summary = await session.RunAsync(CancellationToken.None).WaitAsync(Timeout);

        string[][] rows = [.. File.ReadAllLines(Path.Combine(session.Folder, DropLogWriter.FileName)).Skip(1).Select(SplitCsv)];
        Assert.Equal(2 * markers.Length, rows.Length);
        Assert.All(rows.GroupBy(r => (Stream: r[2], Label: r[3])), g => Assert.Single(g));
        Assert.All(rows, r => Assert.Contains(r[6], new[] { "epoch", "dropped" }));
        Assert.All(rows.Where(r => r[6] == "dropped"), r => Assert.False(string.IsNullOrEmpty(r[7])));
        Assert.Equal(10, rows.Count(r => r[2] == "eeg" && r[6] == "epoch"));
        Assert.Equal(14, rows.Count(r => r[2] == "eeg2" && r[6] == "epoch"));
        Assert.StartsWith("peak-to-peak", rows.Single(r => r[2] == "eeg" && r[3] == "stim-burst")[7], StringComparison.Ordinal);
        Assert.Equal("data gap inside the epoch", rows.Single(r => r[2] == "eeg" && r[3] == "stim-gap-epoch")[7]);
        Assert.Equal("recording ended before the epoch was complete", rows.Single(r => r[2] == "eeg2" && r[3] == "stim-near-end")[7]);
        Assert.Equal(24, session.Erp.Accepted);
        Assert.Equal(16, session.Erp.Dropped);
        Assert.Equal(16, summary.DropsByReason.Values.Sum());
        Assert.Equal(20, summary.Markers["markers"]);
        Assert.Empty(summary.Errors);
    }

    [Fact]
    public async Task RunAsync_SourceThrows_ItsStreamsEndSessionContinuesAndErrorIsListed()
    {
        double[] times = Times(5000, 250);
        double[] values = Noise(5000, 2, 3);
        var eeg = new ScriptedSource("eeg amp", [Signal("eeg", 250, "Cz", "Pz")], async (self, output, ct) =>
        {
            foreach (SourceItem item in Chunked(self.Index(0), 2, times, values, 25))
            {
                await output.WriteAsync(item, ct);
                await Task.Yield();
            }
        });
        var trigger = new ScriptedSource("trigger box", [Markers()], async (self, output, ct) =>
        {
            foreach (double t in new[] { 12.0, 15.0, 18.0 })
            {
                await output.WriteAsync(Mark(self.Index(0), t), ct);
            }
            throw new InvalidOperationException("serial port closed");
        });
        AcquisitionSession session = Session(eeg, trigger);

        SessionSummary summary = await session.RunAsync(CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(["source 'trigger box' failed: serial port closed"], summary.Errors);
        Assert.Equal(5000, session.Aligner.SampleCount(0));
        Assert.Equal(5000, summary.Streams.Single().Samples);
        Assert.Equal(3, summary.Markers["markers"]);
        Assert.Equal(3, session.Erp.Accepted);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(session.Folder, DropLogWriter.FileName)).Length - 1);
    }

    [Fact]
    public async Task RunAsync_StageFaults_SourcesAreStoppedAndSessionEndsWithTheError()
    {
        double[] values = Noise(10, 2, 4);
        long written = 0;
        var endless = new ScriptedSource("endless amp", [Signal("eeg", 250, "Cz", "Pz")], async (self, output, ct) =>
        {
            for (long chunk = 0; ; chunk++)
            {
                ct.ThrowIfCancellationRequested();
                double[] times = Times(10, 250, 10 + (chunk * 0.04));
                await output.WriteAsync(SourceItem.ForSamples(Chunk(self.Index(0), 2, times, values, 0, 10)), ct);
                Interlocked.Increment(ref written);
                await Task.Yield();
            }
        });
        AcquisitionSession session = Session([endless], [new FailingSink(50)]);

        SessionSummary summary = await session.RunAsync(CancellationToken.None).WaitAsync(Timeout);

        Assert.Contains("stage 'failing recorder' failed: disk full", summary.Errors);
        Assert.True(Interlocked.Read(ref written) >= 50, $"source wrote {written} chunks");
        // Everything the source wrote before it was stopped went through the aligner.
        Assert.Equal(Interlocked.Read(ref written) * 10, session.Aligner.SampleCount(0));
    }
}
