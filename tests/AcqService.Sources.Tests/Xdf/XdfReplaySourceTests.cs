using System.Diagnostics;
using AcqService.Core.Analysis;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sinks;
using AcqService.Sources.Xdf;
using Xunit.Abstractions;
using AcqService.Sessions;
using AcqService.Sinks.Xdf;

namespace AcqService.Sources.Tests.Xdf;

/// <summary>Replaying recordings through the real pipeline.</summary>
public sealed class XdfReplaySourceTests(ITestOutputHelper output)
{
    private static async Task<AcquisitionSession> ReplayAsync(string path, SessionPlan plan, XdfReplayOptions? options = null)
    {
        XdfReplaySource source = XdfReplayFactory.Open(path, options);
        var session = new AcquisitionSession([source], plan, TestRig.TempFolder(), new SessionMetadata { Mode = "analyze" }, () => XdfTestSessions.Clock);
        await session.RunAsync(CancellationToken.None);
        Assert.Empty(session.Errors);
        return session;
    }

    /// <summary>Replays <paramref name="path"/> straight into an edge, with no session, and returns every item in order.</summary>
    private static async Task<(XdfReplaySource Source, List<SourceItem> Items)> ReplayItemsAsync(string path, XdfReplayOptions? options = null)
    {
        XdfReplaySource source = XdfReplayFactory.Open(path, options);
        var registry = new StreamRegistry();
        foreach (StreamDescriptor d in source.Streams)
        {
            registry.Add(d);
        }
        // Read only after the replay has finished: an edge that never waits (the recorder's, 16384 items).
        Edge<SourceItem> output = new EdgeFactory(new PipelineOptions()).Recorder<SourceItem>("out");
        await source.RunAsync(output, CancellationToken.None);
        output.Complete();
        var items = new List<SourceItem>();
        await foreach (SourceItem item in output.Reader.ReadAllAsync())
        {
            items.Add(item);
        }
        return (source, items);
    }

    [Fact]
    public async Task Replay_RecordedFastSession_ErpAlphaAndDropLogIdenticalToLive()
    {
        // double64 EEG: the simulator's values are not float32-exact, and the file keeps the stream's own format.
        SessionPlan plan = XdfTestSessions.Plan();
        // A tight rejection threshold so the drop log has both outcomes.
        plan.Epochs.RejectPeakToPeakMicrovolts = 45;
        XdfTestSessions.Recorded live = await XdfTestSessions.RecordAsync(300, ChannelFormat.Double64, plan);
        AcquisitionSession replay = await ReplayAsync(live.Path, plan);

        Assert.Equal(["eeg", "needle"], replay.Streams.Streams.Select(s => s.Key));
        Assert.Equal(TestRig.Labels32, replay.Streams[0].Channels.Select(c => c.Label));
        Assert.Equal(live.Session.Aligner.SampleCount(0), replay.Aligner.SampleCount(0));

        // ERP: same conditions, same epoch counts, every averaged value bit for bit.
        IReadOnlyList<ConditionAverage> expected = live.Session.Erp.Averages;
        IReadOnlyList<ConditionAverage> actual = replay.Erp.Averages;
        Assert.Equal(expected.Select(a => (a.Condition, a.StreamKey, a.Count)), actual.Select(a => (a.Condition, a.StreamKey, a.Count)));
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Times, actual[i].Times);
            double[] e = expected[i].Mean.ToArray(), a = actual[i].Mean.ToArray();
            Assert.Equal(e.Length, a.Length);
            for (int k = 0; k < e.Length; k++)
            {
                if (BitConverter.DoubleToInt64Bits(e[k]) != BitConverter.DoubleToInt64Bits(a[k]))
                {
                    Assert.Fail($"{expected[i].Condition} value {k}: live {e[k]:R} vs replay {a[k]:R}");
                }
            }
        }
        output.WriteLine($"live: {live.Session.Erp.Accepted} accepted, {live.Session.Erp.Dropped} dropped");
        Assert.True(live.Session.Erp.Accepted >= 20 && live.Session.Erp.Dropped >= 5, $"{live.Session.Erp.Accepted} accepted, {live.Session.Erp.Dropped} dropped");
        Assert.Equal(live.Session.Erp.Accepted, replay.Erp.Accepted);
        Assert.Equal(live.Session.Erp.Dropped, replay.Erp.Dropped);

        // Result files, row for row (drop log includes marker codes, which travel through the events stream).
        string[] liveDrops = File.ReadAllLines(Path.Combine(live.Session.Folder, DropLogWriter.FileName));
        string[] replayDrops = File.ReadAllLines(Path.Combine(replay.Folder, DropLogWriter.FileName));
        Assert.True(liveDrops.Length > 30, $"{liveDrops.Length} drop log lines");
        Assert.Contains(liveDrops, l => l.Contains(",dropped,", StringComparison.Ordinal));
        Assert.Equal(liveDrops, replayDrops);
        string liveAlpha = Path.Combine(live.Session.Folder, AlphaCsvWriter.FileNameFor("eeg"));
        string[] liveAlphaRows = File.ReadAllLines(liveAlpha);
        Assert.True(liveAlphaRows.Length > 100, $"{liveAlphaRows.Length} alpha rows");
        Assert.Equal(liveAlphaRows, File.ReadAllLines(Path.Combine(replay.Folder, AlphaCsvWriter.FileNameFor("eeg"))));
        Assert.Equal(File.ReadAllLines(Path.Combine(live.Session.Folder, SessionOutput.ErpCsvFile)), File.ReadAllLines(Path.Combine(replay.Folder, SessionOutput.ErpCsvFile)));
        Assert.Equal(File.ReadAllLines(Path.Combine(live.Session.Folder, SessionOutput.AlphaSummaryFile)), File.ReadAllLines(Path.Combine(replay.Folder, SessionOutput.AlphaSummaryFile)));
    }

    [Fact]
    public async Task Replay_SameFileTwice_ItemSequenceMatchesRecordedOne()
    {
        XdfTestSessions.Recorded live = await XdfTestSessions.RecordAsync(60);
        XdfReplaySource source = XdfReplayFactory.Open(live.Path);
        var capture = new RawCapture();
        var session = new AcquisitionSession([source], XdfTestSessions.Plan(), TestRig.TempFolder(), new SessionMetadata(), () => XdfTestSessions.Clock, [capture]);
        await session.RunAsync(CancellationToken.None);

        Assert.Equal("P001", source.Metadata!.SubjectId);
        Assert.Empty(source.Diagnostics);
        // Same chunks (float32 values as stored), same markers with codes, same offsets, in the same order;
        // the replay adds only the offsets the recorder repeated and the session's end-of-stream items.
        Assert.Equal(live.Capture.Chunks.Count, capture.Chunks.Count);
        for (int i = 0; i < capture.Chunks.Count; i++)
        {
            Assert.Equal(live.Capture.Chunks[i].Times, capture.Chunks[i].Times);
            Assert.Equal(live.Capture.Chunks[i].Values.Select(v => (double)(float)v), capture.Chunks[i].Values);
        }
        Assert.Equal(live.Capture.Markers, capture.Markers);
        Assert.All(capture.Markers, m => Assert.NotNull(m.Code));
        Assert.Equal(live.Capture.Offsets.Count + live.Recorder.RepeatedClockOffsets, capture.Offsets.Count);
        Assert.Equal(live.Capture.Kinds.Where(k => k != SourceItemKind.ClockOffset), capture.Kinds.Where(k => k != SourceItemKind.ClockOffset));
    }

    [Fact]
    public async Task Replay_MergeAdjacentChunks_SameSamplesSameItemOrderFewerChunksAndIdenticalResults()
    {
        SessionPlan plan = XdfTestSessions.Plan();
        plan.Epochs.RejectPeakToPeakMicrovolts = 45;
        XdfTestSessions.Recorded live = await XdfTestSessions.RecordAsync(120, ChannelFormat.Double64, plan);

        async Task<(RawCapture Capture, AcquisitionSession Session)> Run(bool merge)
        {
            XdfReplaySource source = XdfReplayFactory.Open(live.Path, new XdfReplayOptions { MergeAdjacentChunks = merge });
            var capture = new RawCapture();
            var session = new AcquisitionSession([source], plan, TestRig.TempFolder(), new SessionMetadata { Mode = "analyze" }, () => XdfTestSessions.Clock, [capture]);
            await session.RunAsync(CancellationToken.None);
            Assert.Empty(session.Errors);
            return (capture, session);
        }
        (RawCapture one, AcquisitionSession plain) = await Run(merge: false);
        (RawCapture merged, AcquisitionSession mergedSession) = await Run(merge: true);

        // Fewer, fuller chunks: the recorder wrote one file chunk per simulator chunk.
        int plainChunks = one.Chunks.Count, mergedChunks = merged.Chunks.Count;
        output.WriteLine($"{plainChunks} chunks replayed one for one, {mergedChunks} merged");
        Assert.True(mergedChunks * 3 < plainChunks, $"{mergedChunks} merged chunks vs {plainChunks}");
        Assert.All(merged.Chunks, c => Assert.True(c.Times.Length <= 100));
        // The same samples, bit for bit.
        Assert.Equal(one.Timestamps(0), merged.Timestamps(0));
        Assert.Equal(one.Values(0), merged.Values(0));
        Assert.Equal(one.Markers, merged.Markers);
        Assert.Equal(one.Offsets, merged.Offsets);
        // Every other item leaves after exactly as many samples as before: markers and offsets are not reordered.
        Assert.Equal(Placement(one), Placement(merged));

        // The results: ERP averages bit for bit, and the result files line for line.
        Assert.Equal(plain.Erp.Averages.Select(a => (a.Condition, a.Count)), mergedSession.Erp.Averages.Select(a => (a.Condition, a.Count)));
        for (int i = 0; i < plain.Erp.Averages.Count; i++)
        {
            Assert.Equal(plain.Erp.Averages[i].Mean.ToArray().Select(BitConverter.DoubleToInt64Bits), mergedSession.Erp.Averages[i].Mean.ToArray().Select(BitConverter.DoubleToInt64Bits));
        }
        Assert.True(plain.Erp.Accepted >= 5 && plain.Erp.Dropped >= 1, $"{plain.Erp.Accepted} accepted, {plain.Erp.Dropped} dropped");
        foreach (string file in new[] { DropLogWriter.FileName, AlphaCsvWriter.FileNameFor("eeg"), SessionOutput.ErpCsvFile, SessionOutput.AlphaSummaryFile })
        {
            string[] expected = File.ReadAllLines(Path.Combine(plain.Folder, file));
            Assert.True(expected.Length > 2, $"{file}: {expected.Length} lines");
            Assert.Equal(expected, File.ReadAllLines(Path.Combine(mergedSession.Folder, file)));
        }

        // (kind, samples before it) for every item that is not samples.
        static List<(SourceItemKind, int)> Placement(RawCapture capture)
        {
            var placement = new List<(SourceItemKind, int)>();
            int chunk = 0, samples = 0;
            foreach (SourceItemKind kind in capture.Kinds)
            {
                if (kind == SourceItemKind.Samples)
                {
                    samples += capture.Chunks[chunk++].Times.Length;
                }
                else
                {
                    placement.Add((kind, samples));
                }
            }
            return placement;
        }
    }

    [Fact]
    public async Task Replay_LivePaceSpeed10_TakesAboutATenthOfTheDuration()
    {
        XdfTestSessions.Recorded live = await XdfTestSessions.RecordAsync(30);
        var watch = Stopwatch.StartNew();
        AcquisitionSession replay = await ReplayAsync(live.Path, XdfTestSessions.Plan(), new XdfReplayOptions { Pace = ReplayPace.Live, SpeedFactor = 10 });
        watch.Stop();
        output.WriteLine($"30 s at ×10 took {watch.Elapsed.TotalSeconds:F2} s");
        Assert.Equal(15_000, replay.Aligner.SampleCount(0));
        // Only a lower bound: a loaded CI machine may be slower, never faster than the pacing allows.
        Assert.True(watch.Elapsed.TotalSeconds >= 0.5 * 3.0, $"took {watch.Elapsed.TotalSeconds:F2} s");
    }

    [Fact]
    public void Open_NotAnXdfFile_ErrorNamesTheFile()
    {
        string path = XdfTestSessions.TempXdf("notes.xdf");
        File.WriteAllText(path, "this is not XDF");
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => XdfReplayFactory.Open(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("not an XDF file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_StreamSelection_ByTypeAndByNameOverride()
    {
        XdfTestSessions.Recorded live = await XdfTestSessions.RecordAsync(10);
        XdfReplaySource byType = XdfReplayFactory.Open(live.Path);
        Assert.Equal([(StreamKind.Signal, "SimEEG", 500.0), (StreamKind.Markers, "SimNeedle", 0.0)], byType.Streams.Select(s => (s.Kind, s.Name, s.NominalRateHz)));
        Assert.Equal("uV", byType.Streams[0].Channels[5].Unit);
        Assert.Equal(ChannelFormat.Float32, byType.Streams[0].Format);

        XdfReplaySource noMarkers = XdfReplayFactory.Open(live.Path, new XdfReplayOptions { MarkerStreamNames = ["simeeg"], SignalStreamNames = ["SIMEEG"] });
        Assert.Equal(["SimEEG"], noMarkers.Streams.Select(s => s.Name));

        InvalidDataException missing = Assert.Throws<InvalidDataException>(() => XdfReplayFactory.Open(live.Path, new XdfReplayOptions { SignalTypes = ["NIRS"] }));
        Assert.Contains("'SimEEG' (EEG, float32, 500 Hz)", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_MergeAdjacentChunksAcrossATimestampJump_GapFoundAndResultsIdentical()
    {
        // A live session's items written again with every timestamp from the middle on 3 s later: a data gap with no gap
        // event, so the aligner finds it from the timestamps. Merged, the samples before and after the jump share a chunk.
        SessionPlan plan = XdfTestSessions.Plan();
        plan.Epochs.RejectPeakToPeakMicrovolts = 45;
        XdfTestSessions.Recorded live = await XdfTestSessions.RecordAsync(120, ChannelFormat.Double64, plan);
        StreamDescriptor[] streams = [.. live.Rig.Sources.SelectMany(src => src.Streams)];
        RawCapture captured = live.Capture;
        // At a chunk's first sample: a jump inside a file chunk is damage (the chunk is skipped), not a gap.
        double jumpAt = captured.Chunks.Where(c => c.Stream == 0).ElementAt(captured.Chunks.Count(c => c.Stream == 0) / 2).Times[0];
        double Later(double t) => t >= jumpAt ? t + 3 : t;
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Recorder<SourceItem>("rewrite");
        // Clock offsets are left out: the recorder repeats them at every boundary, and an item between the two sides of
        // the jump would end the merged chunk there.
        int chunk = 0, marker = 0;
        foreach (SourceItemKind kind in captured.Kinds)
        {
            switch (kind)
            {
                case SourceItemKind.Samples:
                    (int stream, double[] times, double[] values) = captured.Chunks[chunk++];
                    var sample = new SampleChunk(stream, values.Length / times.Length, times.Length) { Count = times.Length };
                    times.Select(Later).ToArray().CopyTo(sample.Timestamps, 0);
                    values.CopyTo(sample.Data, 0);
                    await edge.WriteAsync(SourceItem.ForSamples(sample), CancellationToken.None);
                    break;
                case SourceItemKind.Marker:
                    Marker m = captured.Markers[marker++];
                    await edge.WriteAsync(SourceItem.ForMarker(m with { Timestamp = Later(m.Timestamp) }), CancellationToken.None);
                    break;
            }
        }
        edge.Complete();
        string path = XdfTestSessions.TempXdf();
        await new XdfRecorderSink(path, streams).RunAsync(edge, CancellationToken.None);

        async Task<AcquisitionSession> Run(bool merge)
        {
            AcquisitionSession session = await ReplayAsync(path, plan, new XdfReplayOptions { MergeAdjacentChunks = merge });
            Assert.Equal(1, session.Aligner.Statistics(0).Gaps);
            return session;
        }
        AcquisitionSession plain = await Run(merge: false);
        AcquisitionSession merged = await Run(merge: true);
        // The case this test is for: one merged chunk holds samples from both sides of the jump.
        bool spans = false;
        foreach (SourceItem item in (await ReplayItemsAsync(path, new XdfReplayOptions { MergeAdjacentChunks = true })).Items)
        {
            if (item.Chunk is SampleChunk c)
            {
                double[] t = c.Times.ToArray();
                spans |= t.Zip(t.Skip(1)).Any(p => p.Second - p.First > 2);
                c.Release();
            }
        }
        Assert.True(spans, "no merged chunk spans the timestamp jump");

        Assert.Equal(plain.Aligner.SampleCount(0), merged.Aligner.SampleCount(0));
        Assert.Equal(plain.Erp.Averages.Select(a => (a.Condition, a.Count)), merged.Erp.Averages.Select(a => (a.Condition, a.Count)));
        for (int i = 0; i < plain.Erp.Averages.Count; i++)
        {
            Assert.Equal(plain.Erp.Averages[i].Mean.ToArray().Select(BitConverter.DoubleToInt64Bits), merged.Erp.Averages[i].Mean.ToArray().Select(BitConverter.DoubleToInt64Bits));
        }
        Assert.True(plain.Erp.Accepted >= 5, $"{plain.Erp.Accepted} accepted");
        foreach (string file in new[] { DropLogWriter.FileName, AlphaCsvWriter.FileNameFor("eeg"), SessionOutput.ErpCsvFile, SessionOutput.AlphaSummaryFile })
        {
            Assert.Equal(File.ReadAllLines(Path.Combine(plain.Folder, file)), File.ReadAllLines(Path.Combine(merged.Folder, file)));
        }
    }

    [Fact]
    public async Task Replay_ForwardJumpConfirmedByTheNextChunk_HeldChunkComesOutWithItsOwnValues()
    {
        // Equal-sized chunks: the reader decodes the chunk after the jump into the same arrays as the held one, so the
        // held chunk must have been copied.
        var registry = new StreamRegistry();
        StreamDescriptor eeg = registry.Add(XdfTestSessions.Eeg(ChannelFormat.Int16));
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Recorder<SourceItem>("test");
        double[] starts = [50, 50.008, 60, 60.008, 60.016];
        for (int k = 0; k < starts.Length; k++)
        {
            var chunk = new SampleChunk(eeg.Index, 32, 4) { Count = 4 };
            for (int i = 0; i < 4; i++)
            {
                chunk.Timestamps[i] = starts[k] + (i / 500.0);
                chunk.Frame(i).Fill((k * 10) + i);
            }
            await edge.WriteAsync(SourceItem.ForSamples(chunk), CancellationToken.None);
        }
        edge.Complete();
        string path = XdfTestSessions.TempXdf();
        await new XdfRecorderSink(path, registry.Streams).RunAsync(edge, CancellationToken.None);

        foreach (bool merge in new[] { false, true })
        {
            (XdfReplaySource source, List<SourceItem> items) = await ReplayItemsAsync(path, new XdfReplayOptions { MergeAdjacentChunks = merge });
            var times = new List<double>();
            var firstChannel = new List<double>();
            foreach (SourceItem item in items)
            {
                if (item.Chunk is SampleChunk c)
                {
                    times.AddRange(c.Times.ToArray());
                    firstChannel.AddRange(c.Values.ToArray().Where((_, i) => i % 32 == 0));
                    c.Release();
                }
            }
            Assert.Empty(source.Diagnostics);
            Assert.Equal(starts.SelectMany(t => Enumerable.Range(0, 4).Select(i => t + (i / 500.0))), times);
            Assert.Equal(Enumerable.Range(0, starts.Length).SelectMany(k => Enumerable.Range(0, 4).Select(i => (double)((k * 10) + i))), firstChannel);
        }
    }

    [Fact]
    public async Task Replay_GapAndChangingCodes_ComeBackAsGapItemAndMarkerCodes()
    {
        var registry = new StreamRegistry();
        StreamDescriptor eeg = registry.Add(XdfTestSessions.Eeg(ChannelFormat.Int16));
        StreamDescriptor needle = registry.Add(TestRig.Needle());
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Recorder<SourceItem>("test");
        var chunk = new SampleChunk(eeg.Index, 32, 4) { Count = 4 };
        for (int i = 0; i < 4; i++)
        {
            chunk.Timestamps[i] = 50 + (i / 500.0);
            chunk.Frame(i).Fill(-3 * i);
        }
        var gap = new StreamGap(eeg.Index, 50.006, 52.0, 997, "amplifier reconnect");
        SourceItem[] items =
        [
            SourceItem.ForMarker(new Marker(needle.Index, 50.001, "x", 1)),
            SourceItem.ForSamples(chunk),
            SourceItem.ForGap(gap),
            SourceItem.ForMarker(new Marker(needle.Index, 52.001, "x", 2)),
            SourceItem.ForMarker(new Marker(needle.Index, 52.002, "x")),
        ];
        foreach (SourceItem item in items)
        {
            await edge.WriteAsync(item, CancellationToken.None);
        }
        edge.Complete();
        string path = XdfTestSessions.TempXdf();
        await new XdfRecorderSink(path, registry.Streams).RunAsync(edge, CancellationToken.None);

        (XdfReplaySource source, List<SourceItem> replayed) = await ReplayItemsAsync(path);
        Assert.Equal(ChannelFormat.Int16, source.Streams[0].Format);

        Assert.Equal([SourceItemKind.Marker, SourceItemKind.Samples, SourceItemKind.Gap, SourceItemKind.Marker, SourceItemKind.Marker], replayed.Select(r => r.Kind));
        Assert.Equal([1, 2, (int?)null], replayed.Where(r => r.Kind == SourceItemKind.Marker).Select(r => r.Marker.Code));
        Assert.Equal(gap, replayed[2].Gap);
        Assert.Equal([0.0, -3, -6, -9], replayed[1].Chunk!.Values.ToArray().Where((_, k) => k % 32 == 0));
        replayed[1].Chunk!.Release();
    }
}
