using System.Buffers.Binary;
using System.Globalization;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sessions;
using AcqService.Sinks;
using AcqService.Sources.Xdf;
using AcqService.Xdf;
using Xunit.Abstractions;

namespace AcqService.Sources.Tests.Xdf;

/// <summary>Damaged recordings: the damage is reported with offsets and counts, and nothing impossible reaches the pipeline.</summary>
public sealed class XdfDamageTests(ITestOutputHelper output)
{
    private sealed record Replayed(XdfReplaySource Source, List<(int Stream, double Time, double[] Values)> Frames, List<(double Time, string Label)> Markers);

    [Fact]
    public async Task RandomBitFlips_DamageReported_AlphaStaysPhysical()
    {
        XdfTestSessions.Recorded live = await XdfTestSessions.RecordAsync(60);
        byte[] bytes = await File.ReadAllBytesAsync(live.Path);
        // 300 single-bit flips anywhere after the headers, from a fixed seed: the same damaged file on every run.
        var random = new Random(7);
        for (int i = 0; i < 300; i++)
        {
            bytes[random.Next(4096, bytes.Length)] ^= (byte)(1 << random.Next(8));
        }
        string damaged = XdfTestSessions.TempXdf("flipped.xdf");
        await File.WriteAllBytesAsync(damaged, bytes);

        Replayed raw = await ReplayRawAsync(damaged);
        XdfReplaySource source = XdfReplayFactory.Open(damaged);
        var session = new AcquisitionSession([source], XdfTestSessions.Plan(), TestRig.TempFolder(), new SessionMetadata { Mode = "analyze" }, () => XdfTestSessions.Clock);
        await session.RunAsync(CancellationToken.None);
        var clean = new AcquisitionSession([XdfReplayFactory.Open(live.Path)], XdfTestSessions.Plan(), TestRig.TempFolder(), new SessionMetadata { Mode = "analyze" }, () => XdfTestSessions.Clock);
        await clean.RunAsync(CancellationToken.None);

        output.WriteLine($"{source.Diagnostics.Count} diagnostics, {source.DamagedChunks} damaged chunks, {source.SkippedSamples} samples and {source.SkippedBytes} bytes skipped");
        foreach (XdfDiagnostic d in source.Diagnostics.Take(10))
        {
            output.WriteLine(d.ToString());
        }
        Assert.True(source.IsDamaged);
        Assert.True(source.DamagedChunks > 0);
        Assert.All(source.Diagnostics, d => Assert.InRange(d.Offset, 0, bytes.Length));
        // Nothing impossible was handed on: every value finite and below 10 V (in µV), every timestamp finite.
        Assert.All(raw.Frames, f => Assert.True(double.IsFinite(f.Time) && f.Values.All(v => double.IsFinite(v) && Math.Abs(v) <= 1e7), $"frame at {f.Time}"));
        double maxDamaged = MaxAlpha(session.Folder), maxClean = MaxAlpha(clean.Folder);
        output.WriteLine($"max alpha: clean {maxClean:G4} µV², damaged {maxDamaged:G4} µV²");
        // Flips that scale a value by 2, 4 or 16 cannot be told from signal, but none reaches 8e69 µV² (or 1e6).
        Assert.InRange(maxDamaged, 0, 2 * maxClean);
    }

    [Fact]
    public async Task ImpossibleValueInOneChunk_OnlyThatChunkSkipped_EverythingElseAsClean()
    {
        XdfTestSessions.Recorded live = await XdfTestSessions.RecordAsync(20);
        (long offset, int sampleCount, int valueAt) = EegChunk(live.Path, 20, channel: 4);
        byte[] bytes = await File.ReadAllBytesAsync(live.Path);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(valueAt), 3.2e35f);
        string damaged = XdfTestSessions.TempXdf("value.xdf");
        await File.WriteAllBytesAsync(damaged, bytes);

        Replayed clean = await ReplayRawAsync(live.Path);
        Replayed bad = await ReplayRawAsync(damaged);

        XdfDiagnostic diagnostic = Assert.Single(bad.Source.Diagnostics);
        Assert.Equal(offset, diagnostic.Offset);
        Assert.Contains("channel F7", diagnostic.Message);
        Assert.Contains("impossible", diagnostic.Message);
        Assert.Equal(1, bad.Source.DamagedChunks);
        Assert.Equal(sampleCount, bad.Source.SkippedSamples);
        AssertSameExceptSkipped(clean, bad, sampleCount);
    }

    [Fact]
    public async Task TimestampFlippedFarAhead_ChunkSkipped_MarkerFarOffTimelineSkipped()
    {
        XdfTestSessions.Recorded live = await XdfTestSessions.RecordAsync(30);
        (long offset, int sampleCount, _) = EegChunk(live.Path, 25, channel: 0);
        byte[] bytes = await File.ReadAllBytesAsync(live.Path);
        int stampAt = FirstTimestampPosition(bytes, offset);
        double stamp = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(stampAt));
        // The whole chunk 512 s ahead (what the highest mantissa bit of a timestamp near 1000 s is worth): well-formed
        // and internally consistent, so only the next chunk (back on the old timeline) shows it was damage.
        for (int i = 0; i < sampleCount; i++)
        {
            int at = stampAt + (i * (1 + 8 + (32 * 4)));
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at), BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(at)) + 512);
        }
        Assert.Equal(stamp + 512, BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(stampAt)));
        (long markerOffset, _) = FirstMarker(live.Path);
        int markerStampAt = FirstTimestampPosition(bytes, markerOffset);
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(markerStampAt), BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(markerStampAt)) + 1e5);
        string damaged = XdfTestSessions.TempXdf("stamp.xdf");
        await File.WriteAllBytesAsync(damaged, bytes);

        Replayed clean = await ReplayRawAsync(live.Path);
        Replayed bad = await ReplayRawAsync(damaged);

        foreach (XdfDiagnostic d in bad.Source.Diagnostics)
        {
            output.WriteLine(d.ToString());
        }
        Assert.Equal(2, bad.Source.Diagnostics.Count);
        // Held as a possible gap, then refused when the next chunk returned to the earlier timeline.
        Assert.Contains(bad.Source.Diagnostics, d => d.Offset == offset && d.Message.Contains("returns to the earlier timeline", StringComparison.Ordinal));
        Assert.Contains(bad.Source.Diagnostics, d => d.Offset == markerOffset && d.Message.Contains("marker 0", StringComparison.Ordinal));
        Assert.Equal(1, bad.Source.DamagedChunks);
        Assert.Equal(sampleCount + 1, bad.Source.SkippedSamples);
        Assert.Equal(clean.Markers.Skip(1), bad.Markers);
        AssertSameExceptSkipped(clean, bad, sampleCount);
    }

    /// <summary>The damaged replay equals the clean one with one run of <paramref name="skipped"/> consecutive EEG frames left out.</summary>
    private static void AssertSameExceptSkipped(Replayed clean, Replayed bad, int skipped)
    {
        Assert.Equal(clean.Frames.Count - skipped, bad.Frames.Count);
        int first = 0;
        while (first < bad.Frames.Count && clean.Frames[first].Time == bad.Frames[first].Time)
        {
            first++;
        }
        for (int i = 0; i < bad.Frames.Count; i++)
        {
            var expected = clean.Frames[i < first ? i : i + skipped];
            Assert.Equal(expected.Time, bad.Frames[i].Time);
            Assert.Equal(expected.Values, bad.Frames[i].Values);
        }
    }

    private static async Task<Replayed> ReplayRawAsync(string path)
    {
        XdfReplaySource source = XdfReplayFactory.Open(path);
        var registry = new StreamRegistry();
        foreach (StreamDescriptor s in source.Streams)
        {
            registry.Add(s);
        }
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Data<SourceItem>("out");
        var frames = new List<(int, double, double[])>();
        var markers = new List<(double, string)>();
        Task reading = Task.Run(async () =>
        {
            await foreach (SourceItem item in edge.Reader.ReadAllAsync())
            {
                if (item.Kind == SourceItemKind.Samples)
                {
                    SampleChunk chunk = item.Chunk!;
                    for (int i = 0; i < chunk.Count; i++)
                    {
                        frames.Add((chunk.Stream, chunk.Timestamps[i], chunk.Frame(i).ToArray()));
                    }
                    chunk.Release();
                }
                else if (item.Kind == SourceItemKind.Marker)
                {
                    markers.Add((item.Marker.Timestamp, item.Marker.Label));
                }
            }
        });
        await source.RunAsync(edge, CancellationToken.None);
        edge.Complete();
        await reading;
        return new Replayed(source, frames, markers);
    }

    /// <summary>Offset and sample count of the <paramref name="index"/>-th EEG samples chunk, and where sample 0's value of <paramref name="channel"/> is.</summary>
    private static (long Offset, int Samples, int ValueAt) EegChunk(string path, int index, int channel)
    {
        using XdfReader reader = XdfReader.Open(path);
        uint eeg = uint.MaxValue;
        int seen = 0;
        byte[] bytes = File.ReadAllBytes(path);
        while (reader.TryReadChunk(out XdfChunk? chunk))
        {
            if (chunk is XdfStreamHeaderChunk h && h.Header.Type == "EEG")
            {
                eeg = h.StreamId;
            }
            else if (chunk is XdfSamplesChunk s && s.StreamId == eeg && seen++ == index)
            {
                return (s.Offset, s.SampleCount, FirstTimestampPosition(bytes, s.Offset) + 8 + (channel * 4));
            }
        }
        throw new InvalidOperationException("no such chunk");
    }

    private static (long Offset, int Samples) FirstMarker(string path)
    {
        using XdfReader reader = XdfReader.Open(path);
        uint markers = uint.MaxValue;
        while (reader.TryReadChunk(out XdfChunk? chunk))
        {
            if (chunk is XdfStreamHeaderChunk h && h.Header.Type == "Markers")
            {
                markers = h.StreamId;
            }
            else if (chunk is XdfSamplesChunk s && s.StreamId == markers)
            {
                return (s.Offset, s.SampleCount);
            }
        }
        throw new InvalidOperationException("no marker chunk");
    }

    /// <summary>Byte position of sample 0's 8-byte timestamp in the samples chunk at <paramref name="offset"/>.</summary>
    private static int FirstTimestampPosition(byte[] bytes, long offset)
    {
        int p = (int)offset;
        int width = bytes[p];
        p += 1 + width + 2 + 4; // length, tag, stream id
        p += 1 + bytes[p];      // sample count (variable length)
        Assert.Equal(8, bytes[p]); // the timestamp is stored, not deduced
        return p + 1;
    }

    private static double MaxAlpha(string folder)
    {
        string[] lines = File.ReadAllLines(Path.Combine(folder, "alpha_power_eeg.csv"));
        string[] header = lines[0].Split(',');
        int[] columns = [.. header.Select((h, i) => (h, i)).Where(x => x.h.EndsWith("_abs_uV2", StringComparison.Ordinal)).Select(x => x.i)];
        Assert.NotEmpty(columns);
        return lines.Skip(1).Select(l => l.Split(',')).SelectMany(cells => columns.Select(c => double.Parse(cells[c], CultureInfo.InvariantCulture))).Max();
    }
}
