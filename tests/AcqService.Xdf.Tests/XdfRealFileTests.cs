using AcqService.Core.Model;

namespace AcqService.Xdf.Tests;

/// <summary>Facts about the real files in shared/data/xdf (data/README.md, formats.md §2, pyxdf's test_data.py).</summary>
public sealed class XdfRealFileTests
{
    private static readonly XdfLoadOptions Raw = new() { SynchronizeClocks = false, DejitterTimestamps = false };

    [Fact]
    public void Load_MinimalRaw_HasTwoStreamsWithPyxdfValues()
    {
        var file = XdfFile.Load(XdfTestFiles.Get("minimal.xdf"), Raw);

        Assert.Empty(file.Diagnostics);
        Assert.Equal([0u, 0x02C0FFEEu], file.Streams.Select(s => s.StreamId));
        var eeg = file.Streams[0];
        Assert.Equal(("SendDataC", "EEG", 3, 10.0, ChannelFormat.Int16), (eeg.Header.Name, eeg.Header.Type, eeg.ChannelCount, eeg.Header.NominalSrate, eeg.Header.ChannelFormat));
        Assert.Equal(9, eeg.SampleCount);
        for (var i = 0; i < 9; i++)
        {
            Assert.Equal(5.1 + (0.1 * i), eeg.Timestamps[i], 1e-9);
        }

        Assert.Equal([192.0, 255, 238], eeg.NumericValues![..3]);
        Assert.Equal([12.0, 22, 32, 13, 23, 33, 14, 24, 34, 15, 25, 35, 12, 22, 32, 13, 23, 33, 14, 24, 34, 15, 25, 35], eeg.NumericValues[3..]);
        Assert.Equal([6.1, 7.1], eeg.ClockTimes);
        Assert.Equal([-0.1, -0.1], eeg.ClockValues);

        var strings = file.Streams[1];
        Assert.Equal(("SendDataString", ChannelFormat.String), (strings.Header.Name, strings.Header.ChannelFormat));
        Assert.Equal(9, strings.SampleCount);
        Assert.Equal(321, strings.StringValues![0].Length);
        Assert.StartsWith("<?xml", strings.StringValues[0], StringComparison.Ordinal);
        Assert.Equal(["Hello", "World", "from", "LSL", "Hello", "World", "from", "LSL"], strings.StringValues[1..]);
        for (var i = 0; i < 9; i++)
        {
            Assert.Equal(5.1 + (0.1 * i), strings.Timestamps[i], 1e-9);
        }
    }

    [Fact]
    public void Load_MinimalFooter_KeepsTheDeliberatelyInconsistentValues()
    {
        var footer = XdfFile.Load(XdfTestFiles.Get("minimal.xdf"), Raw).Streams[0].Footer!;

        Assert.Equal(5.1, footer.FirstTimestamp);
        Assert.Equal(5.9, footer.LastTimestamp);
        Assert.Equal(9, footer.SampleCount);
        Assert.Equal(new XdfClockOffset(50979.76, -0.01), footer.ClockOffsets[0]);
    }

    [Fact]
    public void Read_Minimal_DeducesTheOmittedTimestamps()
    {
        var (chunks, _) = XdfTestFiles.ReadAll(XdfTestFiles.Get("minimal.xdf"));

        var eegChunks = chunks.OfType<XdfSamplesChunk>().Where(c => c.StreamId == 0).ToList();
        Assert.Equal(5, eegChunks.Sum(c => c.DeducedTimestampCount));
        Assert.Equal(9, eegChunks.Sum(c => c.SampleCount));
        Assert.Equal(2, chunks.OfType<XdfBoundaryChunk>().Count());
        Assert.Equal(2, chunks.OfType<XdfStreamFooterChunk>().Count());
    }

    [Fact]
    public void Load_MinimalWithSync_ShiftsStream0ByMinusPoint1AndLeavesStringsAlone()
    {
        var file = XdfFile.Load(XdfTestFiles.Get("minimal.xdf"));

        var eeg = file.Streams[0];
        for (var i = 0; i < 9; i++)
        {
            Assert.Equal(5.0 + (0.1 * i), eeg.Timestamps[i], 1e-9);
        }

        Assert.Equal([new XdfSegment(0, 8)], eeg.ClockSegments);
        Assert.Equal([new XdfSegment(0, 8)], eeg.Segments);
        Assert.Equal(10, eeg.EffectiveSrate, 1e-6);
        var strings = file.Streams[1];
        Assert.Equal(5.1, strings.Timestamps[0], 1e-9);
        Assert.Empty(strings.ClockSegments);
        Assert.Equal(10, strings.EffectiveSrate, 1e-6);
    }

    [Fact]
    public void Load_EmptyStreams_ReportsCountsInHeaderOrder()
    {
        var file = XdfFile.Load(XdfTestFiles.Get("empty_streams.xdf"));

        Assert.Empty(file.Diagnostics);
        Assert.Equal([3u, 4u, 1u, 2u], file.Streams.Select(s => s.StreamId));
        Assert.Equal([0, 10, 1, 0], file.Streams.Select(s => s.SampleCount));
        Assert.All(file.Streams, s => Assert.Equal(7, s.ClockTimes.Length));
        var empty = file.FindStream(3u)!;
        Assert.Equal(ChannelFormat.Float32, empty.Header.ChannelFormat);
        Assert.Empty(empty.NumericValues!);
        Assert.Empty(empty.Segments);
        Assert.Empty(empty.ClockSegments);
        Assert.Equal(0, empty.EffectiveSrate);
        Assert.Empty(file.FindStream(2u)!.StringValues!);
        var ctrl = file.FindStream(1u)!;
        Assert.Equal("{\"state\": 2}", ctrl.StringValues![0]);
        Assert.Equal([new XdfSegment(0, 0)], ctrl.Segments);
    }

    [Fact]
    public void Load_EmptyStreamsInt32_HasValues0To9AtOneHertz()
    {
        var raw = XdfFile.Load(XdfTestFiles.Get("empty_streams.xdf"), Raw).FindStream(4u)!;
        var synced = XdfFile.Load(XdfTestFiles.Get("empty_streams.xdf")).FindStream(4u)!;

        Assert.Equal(ChannelFormat.Int32, raw.Header.ChannelFormat);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (double)i), raw.NumericValues!);
        Assert.Equal(91725.21394789, raw.Timestamps[0], 1e-6);
        // pytest.approx(1) is a 1e-6 relative tolerance.
        Assert.Equal(1, synced.EffectiveSrate, 1e-6);
        Assert.Equal([new XdfSegment(0, 9)], synced.Segments);
        var diffs = synced.Timestamps.Zip(synced.Timestamps.Skip(1), (a, b) => b - a).ToArray();
        var mean = diffs.Average();
        Assert.True(Math.Sqrt(diffs.Select(d => (d - mean) * (d - mean)).Average()) < 6e-11);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(raw.Timestamps[i], synced.Timestamps[i], 4);
        }

        Assert.Equal(91735.21394789348, raw.Footer!.LastTimestamp!.Value, 1e-8);
    }

    [Fact]
    public void Load_ClockResetsRaw_HasPyxdfSampleCounts()
    {
        var file = XdfFile.Load(XdfTestFiles.Get("clock_resets.xdf"), Raw);

        Assert.Empty(file.Diagnostics);
        var markers = file.FindStream("MyMarkerStream")!;
        var eeg = file.FindStream("BioSemi")!;
        Assert.Equal(175, markers.SampleCount);
        Assert.Equal(27815, eeg.SampleCount);
        Assert.Equal((8, ChannelFormat.Float32, 100.0), (eeg.ChannelCount, eeg.Header.ChannelFormat, eeg.Header.NominalSrate));
        Assert.Equal([new XdfSegment(0, 27814)], eeg.Segments);
    }

    [Fact]
    public void Load_ClockResetsSynced_FindsPyxdfClockSegmentsAndEffectiveRate()
    {
        var file = XdfFile.Load(XdfTestFiles.Get("clock_resets.xdf"));

        var markers = file.FindStream("MyMarkerStream")!;
        var eeg = file.FindStream("BioSemi")!;
        Assert.Equal([new XdfSegment(0, 90), new XdfSegment(91, 174)], markers.ClockSegments);
        Assert.Equal([new XdfSegment(0, 174)], markers.Segments);
        Assert.Equal(0, markers.EffectiveSrate);
        Assert.Equal([new XdfSegment(0, 12875), new XdfSegment(12876, 27814)], eeg.ClockSegments);
        Assert.Equal([new XdfSegment(0, 12875), new XdfSegment(12876, 27814)], eeg.Segments);
        Assert.Equal(92.934, eeg.EffectiveSrate, 1e-3);
    }

    [Fact]
    public void Load_ClockResetsDejitteredOnly_MatchesTheExampleFilesReadmeTable()
    {
        // The example-files README lists BioSemi timestamps dejittered in the stream's own clock (not synchronised).
        var eeg = XdfFile.Load(XdfTestFiles.Get("clock_resets.xdf"), new XdfLoadOptions { SynchronizeClocks = false }).FindStream("BioSemi")!;

        Assert.Equal(653150.314061, eeg.Timestamps[0], 1e-6);
        Assert.Equal(653150.324786, eeg.Timestamps[1], 1e-6);
        // The README's last rows (…261.986272, values 0.061…0.481) do not match this file's last samples, so only the
        // first segment's stamps are asserted; the raw last stamp is the footer's 261.9267033.
        Assert.Equal(0.142, eeg.GetValue(0, 0), 5e-4);
        Assert.Equal(261.9267033, XdfFile.Load(XdfTestFiles.Get("clock_resets.xdf"), Raw).FindStream("BioSemi")!.Timestamps[^1], 1e-6);
    }

    [Fact]
    public void Load_ClockResetsSyncedWithoutDejitter_EffectiveRateDiffers()
    {
        var eeg = XdfFile.Load(XdfTestFiles.Get("clock_resets.xdf"), new XdfLoadOptions { DejitterTimestamps = false }).FindStream("BioSemi")!;

        Assert.Equal([new XdfSegment(0, 27814)], eeg.Segments);
        Assert.NotEqual(92.934, eeg.EffectiveSrate, 1e-3);
        Assert.Equal([new XdfSegment(0, 12875), new XdfSegment(12876, 27814)], eeg.ClockSegments);
    }

    [Fact]
    public void Load_EeglabTest_Has9520SamplesAndFooterSays9519()
    {
        var file = XdfFile.Load(XdfTestFiles.Get("eeglab_test.xdf"), Raw);

        Assert.Empty(file.Diagnostics);
        var eeg = Assert.Single(file.Streams);
        Assert.Equal(("obci_neeg1", "EEG", 8, 1000.0, ChannelFormat.Float32), (eeg.Header.Name, eeg.Header.Type, eeg.ChannelCount, eeg.Header.NominalSrate, eeg.Header.ChannelFormat));
        Assert.Equal(9520, eeg.SampleCount);
        Assert.Equal(9519, eeg.Footer!.SampleCount);
        Assert.Equal(2, eeg.ClockTimes.Length);
        Assert.Equal(88687.51177, eeg.Timestamps[^1], 1e-4);
        Assert.Equal(999.2, XdfDejitter.RawEffectiveSrate(eeg.Timestamps), 0.1);
    }

    [Fact]
    public void Read_EeglabTest_Has21SampleChunksAndHalfTheStampsOmitted()
    {
        var (chunks, diagnostics) = XdfTestFiles.ReadAll(XdfTestFiles.Get("eeglab_test.xdf"));

        Assert.Empty(diagnostics);
        var samples = chunks.OfType<XdfSamplesChunk>().ToList();
        Assert.Equal(21, samples.Count);
        Assert.Equal(4760, samples.Sum(c => c.DeducedTimestampCount));
    }

    [Fact]
    public void Load_EeglabTestDejittered_IsMonotonicWithAFittedRate()
    {
        var eeg = XdfFile.Load(XdfTestFiles.Get("eeglab_test.xdf")).Streams[0];

        Assert.All(eeg.Timestamps.Zip(eeg.Timestamps.Skip(1)), pair => Assert.True(pair.Second > pair.First));
        Assert.Equal([new XdfSegment(0, 9519)], eeg.Segments);
        Assert.InRange(eeg.EffectiveSrate, 990, 1010);
    }
}
