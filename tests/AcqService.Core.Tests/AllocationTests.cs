using AcqService.Core.Analysis;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using static AcqService.Core.Tests.TestStreams;

namespace AcqService.Core.Tests;

public sealed class AllocationTests
{
    /// <summary>
    /// The warm-up holds two needle markers of two conditions: one at 10 s whose pre/post alpha summary completes during
    /// the warm-up, and one at 35 s whose post interval (+10 s) ends inside the measured window, so the measured chunks
    /// include the first summary of a condition but no marker and no epoch.
    /// </summary>
    [Fact]
    public void Process_SteadyStatePerChunkPath_AllocatesNothing()
    {
        const double rate = 500;
        const int channels = 32, frames = 10;
        string[] labels = [.. Enumerable.Range(0, channels).Select(c => $"E{c}")];
        StreamRegistry registry = Registry(Signal("eeg", rate, labels), Markers());
        Aligner aligner = Aligner(registry, null, new ConditionRule("a", "^stim-a"), new ConditionRule("b", "^stim-b"));
        var erp = new ErpAnalyzer(registry, new EpochOptions());
        var alpha = new AlphaAnalyzer(registry, new AlphaOptions(), new Dictionary<string, List<string>> { ["first"] = ["E0", "E1"], ["rest"] = [.. labels.Skip(2)] });
        var pool = new ChunkPool(0, channels, frames);
        var random = new Random(1);
        double[] pattern = [.. Enumerable.Range(0, 50 * frames * channels).Select(_ => (random.NextDouble() - 0.5) * 40)];
        var aligned = new List<AlignedItem>(16);
        var outcomes = new List<EpochOutcome>(16);
        var updates = new List<AlphaUpdate>(16);
        long next = 0;
        long updateCount = 0;
        double[] markerTimes = [110, 135];
        int markerCursor = 0;

        void ProcessChunk()
        {
            SampleChunk chunk = pool.Rent();
            int block = (int)(next / frames % 50);
            pattern.AsSpan(block * frames * channels, frames * channels).CopyTo(chunk.Data);
            for (int i = 0; i < frames; i++)
            {
                chunk.Timestamps[i] = 100 + ((next + i) / rate);
            }
            chunk.Count = frames;
            next += frames;
            aligned.Clear();
            if (markerCursor < markerTimes.Length && markerTimes[markerCursor] <= chunk.LastTimestamp)
            {
                aligner.Process(Mark(1, markerTimes[markerCursor], markerCursor++ == 0 ? "stim-a" : "stim-b"), aligned);
            }
            aligner.Process(SourceItem.ForSamples(chunk), aligned);
            for (int n = 0; n < aligned.Count; n++)
            {
                AlignedItem item = aligned[n];
                // Fan-out to the two analyzers, as the aligner stage does: one reference each.
                item.Chunk?.Retain();
                outcomes.Clear();
                erp.Process(item, outcomes);
                updates.Clear();
                alpha.Process(item, updates);
                updateCount += updates.Count;
            }
        }

        // Warm-up: fill the alpha window, grow the scratch buffers, let the JIT tier up.
        for (int i = 0; i < 2000; i++)
        {
            ProcessChunk();
        }
        Assert.Equal(2, markerCursor);
        Assert.Equal(2, erp.Accepted);
        long chunksBefore = pool.Allocated;
        long updatesBefore = updateCount;

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2000; i++)
        {
            ProcessChunk();
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // 2000 chunks = 40 s of signal: one alpha update per 0.5 s.
        Assert.Equal(80, updateCount - updatesBefore);
        Assert.Equal(chunksBefore, pool.Allocated);
        Assert.Equal(2, erp.Accepted);
        Assert.Equal(["a", "b"], alpha.Summaries().Where(s => s.Region == "first").Select(s => s.Condition));
        Assert.All(alpha.Summaries(), s => Assert.Equal(1, s.Events));
        Assert.Equal(0, allocated);
    }
}
