using System.Xml.Linq;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Xdf;
using AcqService.Xdf;
using AcqService.Sinks.Xdf;

namespace AcqService.Sources.Tests.Xdf;

/// <summary>The recorder against the file it writes, read back with the XDF library.</summary>
public sealed class XdfRecorderSinkTests
{
    private static readonly XdfLoadOptions Raw = new() { SynchronizeClocks = false, DejitterTimestamps = false };

    [Fact]
    public async Task RunAsync_FastSimulatedSession300s_FileHoldsEverySampleMarkerOffsetAndFooter()
    {
        XdfTestSessions.Recorded rec = await XdfTestSessions.RecordAsync(300);
        XdfFile file = XdfFile.Load(rec.Path, Raw);

        Assert.Empty(file.Diagnostics);
        Assert.Equal(["SimEEG", "SimNeedle", "AcqService events"], file.Streams.Select(s => s.Header.Name));

        // File header: session metadata with a millisecond start time.
        XElement header = XDocument.Parse(file.FileHeaderXml!).Root!;
        Assert.Equal("1.0", header.Element("version")!.Value);
        XElement acq = header.Element("acqservice")!;
        Assert.Equal("P001", acq.Element("subject")!.Value);
        Assert.Equal("S002", acq.Element("session")!.Value);
        Assert.Equal("needling-erp", acq.Element("protocol")!.Value);
        Assert.Equal("2026-03-04T10:11:12.345Z", acq.Element("start_utc")!.Value);
        Assert.Equal(6, acq.Element("conditions")!.Elements("rule").Count());
        Assert.StartsWith("AcqService ", acq.Element("software")!.Value, StringComparison.Ordinal);
        Assert.Equal("P001", RecordingMetadata.FromFileHeader(file.FileHeaderXml)!.SubjectId);

        // EEG: LSL layout header, channels, every sample with its exact raw timestamp, float32 values.
        XdfStream eeg = file.Streams[0];
        Assert.Equal(ChannelFormat.Float32, eeg.Header.ChannelFormat);
        Assert.Equal(32, eeg.Header.ChannelCount);
        Assert.Equal(500.0, eeg.Header.NominalSrate);
        XElement info = eeg.Header.ParseXml()!;
        Assert.Equal("sim-eeg", info.Element("source_id")!.Value);
        Assert.Equal("EEG", info.Element("type")!.Value);
        XElement[] channels = [.. info.Element("desc")!.Element("channels")!.Elements("channel")];
        Assert.Equal(TestRig.Labels32, channels.Select(c => c.Element("label")!.Value));
        Assert.All(channels, c => Assert.Equal("uV", c.Element("unit")!.Value));
        Assert.All(channels, c => Assert.Equal("EEG", c.Element("type")!.Value));
        Assert.Equal("eeg", info.Element("desc")!.Element("acqservice")!.Element("key")!.Value);

        Assert.Equal(150_000, rec.Rig.Eeg.Produced);
        Assert.Equal(rec.Rig.Eeg.Produced, eeg.SampleCount);
        double[] sentTimes = rec.Capture.Timestamps(0);
        Assert.Equal(sentTimes.Length, eeg.SampleCount);
        Assert.Equal(sentTimes, eeg.Timestamps);
        double[] sentValues = rec.Capture.Values(0);
        double[] stored = eeg.NumericValues!;
        Assert.Equal(sentValues.Length, stored.Length);
        for (int i = 0; i < sentValues.Length; i++)
        {
            if ((double)(float)sentValues[i] != stored[i])
            {
                Assert.Fail($"value {i}: stored {stored[i]} ≠ float32({sentValues[i]})");
            }
        }
        Assert.Equal(rec.Capture.Chunks.Count(c => c.Stream == 0), rec.Recorder.ChunksWritten - rec.Capture.Markers.Count);

        // Markers: one string sample per marker, labels and raw timestamps as the schedule / source sent them.
        XdfStream needle = file.Streams[1];
        Assert.Equal(ChannelFormat.String, needle.Header.ChannelFormat);
        Assert.Equal(0.0, needle.Header.NominalSrate);
        Assert.Equal(rec.Rig.Schedule.Events.Select(e => e.Label), needle.StringValues!);
        Assert.True(needle.SampleCount >= 40, $"only {needle.SampleCount} markers");
        Assert.Equal(rec.Capture.Markers.Select(m => m.Timestamp), needle.Timestamps);
        Assert.Equal(rec.Rig.Origin + rec.Rig.Schedule.Events[0].Time - 0.25, needle.Timestamps[0]);

        // Clock offsets: every ≤ 5 s per stream over the data, collection times increasing, values as reported.
        foreach ((XdfStream stream, double offset) in new[] { (eeg, 0.0), (needle, 0.25) })
        {
            Assert.All(stream.ClockValues, v => Assert.Equal(offset, v));
            double[] local = [.. stream.ClockTimes.Zip(stream.ClockValues, (t, v) => t + v)];
            Assert.True(local.Length >= 300 / 5, $"{stream.Header.Name}: {local.Length} offsets");
            Assert.True(local[0] <= rec.Rig.Origin + 1e-9, $"{stream.Header.Name}: first offset at {local[0] - rec.Rig.Origin} s");
            // Every EEG sample (the session's data time) has an offset of this stream at most 5 s before it, plus one
            // sample period and 0.5 ms of stamp jitter: when the data stops just short of the 5 s mark, the source's
            // own report (made at the start of its next chunk) is what comes next, a period later.
            int k = 0;
            foreach (double t in eeg.Timestamps)
            {
                while (k + 1 < local.Length && local[k + 1] <= t)
                {
                    k++;
                }
                if (t - local[k] > XdfRecorderSink.ClockOffsetIntervalSeconds + 0.0025)
                {
                    Assert.Fail($"{stream.Header.Name}: sample at {t - rec.Rig.Origin:F3} s has its latest offset {t - local[k]:F4} s earlier");
                }
            }
            // Between offsets: 5 s, or slightly more when the source's own report came a chunk (≤ 40 ms) after the 5 s mark.
            double maxInterval = local.Zip(local.Skip(1), (a, b) => b - a).Max();
            Assert.True(maxInterval <= XdfRecorderSink.ClockOffsetIntervalSeconds + 0.04, $"{stream.Header.Name}: {maxInterval} s between offsets");
            Assert.All(local.Zip(local.Skip(1)), p => Assert.True(p.Second >= p.First));
            Assert.True(rec.Rig.Origin + 300 - local[^1] <= 5, $"{stream.Header.Name}: last offset {rec.Rig.Origin + 300 - local[^1]} s before the end");
        }

        // Footers agree with the data.
        foreach (XdfStream stream in file.Streams)
        {
            Assert.NotNull(stream.Footer);
            Assert.Equal(stream.SampleCount, stream.Footer!.SampleCount);
            Assert.Equal(stream.ClockTimes.Length, stream.Footer.ClockOffsets.Count);
            if (stream.SampleCount > 0)
            {
                Assert.Equal(stream.Timestamps[0], stream.Footer.FirstTimestamp);
                Assert.Equal(stream.Timestamps[^1], stream.Footer.LastTimestamp);
            }
        }

        // Boundaries: one per ≤ 10 s of data.
        using XdfReader reader = XdfReader.Open(rec.Path);
        int boundaries = reader.ReadChunks().Count(c => c is XdfBoundaryChunk);
        Assert.InRange(boundaries, 29, 31);
        Assert.Equal(boundaries, rec.Recorder.BoundariesWritten);

        // Marker codes went to the events stream (one entry per distinct label).
        XdfStream events = file.Streams[2];
        Assert.Equal(rec.Rig.Schedule.Events.Select(e => e.Label).Distinct().Count(), events.SampleCount);
        Assert.All(events.StringValues!, e => Assert.Contains("\"event\":\"code\"", e, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_PooledChunksGapAndCodedMarkers_EveryChunkReturnedAndEventsWritten()
    {
        var registry = new StreamRegistry();
        StreamDescriptor eeg = registry.Add(XdfTestSessions.Eeg(ChannelFormat.Double64));
        StreamDescriptor needle = registry.Add(TestRig.Needle());
        var edges = new EdgeFactory(new PipelineOptions { RecorderEdge = new EdgePolicy(4096, EdgeMode.FailWhenFull) });
        Edge<SourceItem> edge = edges.Recorder<SourceItem>("test");
        var pool = new ChunkPool(eeg.Index, 32, 10);
        for (int n = 0; n < 100; n++)
        {
            SampleChunk chunk = pool.Rent();
            for (int i = 0; i < 10; i++)
            {
                chunk.Timestamps[i] = 100 + (((n * 10) + i) / 500.0);
                chunk.Frame(i).Fill(n);
            }
            chunk.Count = 10;
            await edge.WriteAsync(SourceItem.ForSamples(chunk), CancellationToken.None);
            if (n == 50)
            {
                await edge.WriteAsync(SourceItem.ForGap(new StreamGap(eeg.Index, 101.0, double.NaN, 0, "device reconnect")), CancellationToken.None);
                await edge.WriteAsync(SourceItem.ForMarker(new Marker(needle.Index, 101.01, "a", 7)), CancellationToken.None);
                await edge.WriteAsync(SourceItem.ForMarker(new Marker(needle.Index, 101.02, "a", 7)), CancellationToken.None);
                await edge.WriteAsync(SourceItem.ForMarker(new Marker(needle.Index, 101.03, "a", 8)), CancellationToken.None);
                await edge.WriteAsync(SourceItem.ForMarker(new Marker(needle.Index, 101.04, "b")), CancellationToken.None);
            }
        }
        edge.Complete();
        string path = XdfTestSessions.TempXdf();
        var recorder = new XdfRecorderSink(path, registry.Streams);
        await recorder.RunAsync(edge, CancellationToken.None);

        // All 100 chunks came back to the pool: renting 100 more allocates nothing new.
        long allocated = pool.Allocated;
        SampleChunk[] again = [.. Enumerable.Range(0, 100).Select(_ => pool.Rent())];
        Assert.Equal(allocated, pool.Allocated);
        Assert.Equal(100, allocated);

        XdfFile file = XdfFile.Load(path, Raw);
        Assert.Equal(1000, file.Streams[0].SampleCount);
        Assert.Equal(ChannelFormat.Double64, file.Streams[0].Header.ChannelFormat);
        Assert.Equal(["a", "a", "a", "b"], file.Streams[1].StringValues!);
        // One gap, code 7 for "a", then 8 for "a"; "b" has no code and needs no entry.
        string[] events = file.Streams[2].StringValues!;
        Assert.Equal(3, events.Length);
        Assert.Contains("\"event\":\"gap\"", events[0], StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"device reconnect\"", events[0], StringComparison.Ordinal);
        Assert.Contains("\"code\":7", events[1], StringComparison.Ordinal);
        Assert.Contains("\"code\":8", events[2], StringComparison.Ordinal);
        Assert.Equal(3, recorder.EventsWritten);
    }
}
