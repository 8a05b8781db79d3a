using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Xdf;
using AcqService.Xdf;
using AcqService.Sinks.Xdf;

namespace AcqService.Sources.Tests.Xdf;

/// <summary>
/// A recording cut short (kill -9, power loss) keeps everything up to its last whole chunk. Simulated by
/// truncating a finished recording at several points; a real kill -9 of a recording process is not tested
/// here because there is no host executable to run as a child process yet.
/// </summary>
public sealed class XdfCrashSafetyTests
{
    private static readonly XdfLoadOptions Raw = new() { SynchronizeClocks = false, DejitterTimestamps = false };

    [Fact]
    public async Task Truncated_AtSeveralPoints_LoadReplayAndRepairRecoverEveryWholeChunk()
    {
        XdfTestSessions.Recorded rec = await XdfTestSessions.RecordAsync(60);
        byte[] bytes = await File.ReadAllBytesAsync(rec.Path);
        XdfFile full = XdfFile.Load(rec.Path, Raw);
        List<(long Start, long End, XdfChunk Chunk)> chunks = ChunkExtents(rec.Path, bytes.Length);
        long dataStart = chunks.First(c => c.Chunk is XdfSamplesChunk).Start;

        // Mid-chunk cuts spread over the data, one exactly between two chunks, and one that loses only the footers.
        var cuts = new List<long>();
        for (int i = 1; i <= 6; i++)
        {
            cuts.Add(dataStart + ((bytes.Length - dataStart) * i / 7) + 3);
        }
        cuts.Add(chunks[chunks.Count / 2].Start);
        cuts.Add(chunks.First(c => c.Chunk is XdfStreamFooterChunk).Start);

        foreach (long cut in cuts)
        {
            string truncated = XdfTestSessions.TempXdf($"cut{cut}.xdf");
            await File.WriteAllBytesAsync(truncated, bytes.AsMemory(0, (int)cut).ToArray());
            bool midChunk = !chunks.Any(c => c.Start == cut);
            var whole = chunks.Where(c => c.End <= cut).Select(c => c.Chunk).ToList();
            int[] expected = [.. full.Streams.Select(s => whole.OfType<XdfSamplesChunk>().Where(c => c.StreamId == s.StreamId).Sum(c => c.SampleCount))];

            // The XDF library: every whole chunk, one diagnostic for the partial one.
            XdfFile loaded = XdfFile.Load(truncated, Raw);
            Assert.Equal(expected, loaded.Streams.Select(s => s.SampleCount));
            Assert.Equal(full.Streams[0].Timestamps.Take(expected[0]), loaded.Streams[0].Timestamps);
            Assert.Equal(full.Streams[1].StringValues!.Take(expected[1]), loaded.Streams[1].StringValues!);
            // A partial last chunk is reported (at or after its start), never anything before it.
            long partialStart = chunks.Where(c => c.End <= cut).Select(c => c.End).DefaultIfEmpty(0).Max();
            Assert.Equal(midChunk, loaded.Diagnostics.Count > 0);
            Assert.All(loaded.Diagnostics, d => Assert.True(d.Offset >= partialStart, d.ToString()));
            if (midChunk)
            {
                Assert.Contains("truncated", loaded.Diagnostics[0].Message, StringComparison.Ordinal);
            }

            // The replay source: the same samples and markers, the diagnostic kept.
            (long samples, int markers, XdfReplaySource source) = await DrainAsync(truncated);
            Assert.Equal(expected[0], samples);
            Assert.Equal(expected[1], markers);
            Assert.Equal(loaded.Diagnostics, source.Diagnostics);

            // XdfRepair: a clean file with footers that match what was recovered.
            string repaired = XdfTestSessions.TempXdf($"repaired{cut}.xdf");
            XdfRepairReport report = XdfRepair.Repair(truncated, repaired);
            Assert.Equal(expected[0], report.SamplesPerStream[1]);
            XdfFile clean = XdfFile.Load(repaired, Raw);
            Assert.Empty(clean.Diagnostics);
            Assert.Equal(expected, clean.Streams.Select(s => s.SampleCount));
            Assert.All(clean.Streams, s => Assert.Equal(s.SampleCount, s.Footer!.SampleCount));
            Assert.True(XdfRepair.Repair(repaired, XdfTestSessions.TempXdf()).InputWasClean);
        }
    }

    [Fact]
    public async Task Recording_WhileRunning_FileOnDiskIsReadableUpToLastFlush()
    {
        // Flushed at least once a second: a reader opening the file mid-session (as after a crash) finds data.
        string path = XdfTestSessions.TempXdf();
        var registry = new StreamRegistry();
        StreamDescriptor eeg = registry.Add(XdfTestSessions.Eeg(ChannelFormat.Float32));
        var edges = new EdgeFactory(new PipelineOptions());
        Edge<SourceItem> edge = edges.Recorder<SourceItem>("test");
        var recorder = new XdfRecorderSink(path, registry.Streams);
        Task run = recorder.RunAsync(edge, CancellationToken.None);
        var chunk = new SampleChunk(eeg.Index, 32, 50) { Count = 50 };
        for (int i = 0; i < 50; i++)
        {
            chunk.Timestamps[i] = 10 + (i / 500.0);
        }
        await edge.WriteAsync(SourceItem.ForSamples(chunk), CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        XdfFile midway = XdfFile.Load(path, Raw);
        Assert.Equal(50, midway.Streams[0].SampleCount);
        Assert.Null(midway.Streams[0].Footer);
        Assert.Empty(midway.Diagnostics);

        edge.Complete();
        await run;
        Assert.NotNull(XdfFile.Load(path, Raw).Streams[0].Footer);
    }

    private static async Task<(long Samples, int Markers, XdfReplaySource Source)> DrainAsync(string path)
    {
        XdfReplaySource source = XdfReplayFactory.Open(path);
        var registry = new StreamRegistry();
        foreach (StreamDescriptor stream in source.Streams)
        {
            registry.Add(stream);
        }
        var edges = new EdgeFactory(new PipelineOptions());
        Edge<SourceItem> edge = edges.Data<SourceItem>("replay");
        long samples = 0;
        int markers = 0;
        Task drain = Task.Run(async () =>
        {
            await foreach (SourceItem item in edge.Reader.ReadAllAsync())
            {
                if (item.Kind == SourceItemKind.Samples)
                {
                    samples += item.Chunk!.Count;
                    item.Chunk.Release();
                }
                else if (item.Kind == SourceItemKind.Marker)
                {
                    markers++;
                }
            }
        });
        await source.RunAsync(edge, CancellationToken.None);
        edge.Complete();
        await drain;
        return (samples, markers, source);
    }

    private static List<(long Start, long End, XdfChunk Chunk)> ChunkExtents(string path, long length)
    {
        using XdfReader reader = XdfReader.Open(path);
        List<XdfChunk> all = [.. reader.ReadChunks()];
        return [.. all.Select((c, i) => (c.Offset, i + 1 < all.Count ? all[i + 1].Offset : length, c))];
    }
}
