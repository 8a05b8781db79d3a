using AcqService.Core.Model;

namespace AcqService.Xdf.Tests;

public sealed class XdfInspectorTests
{
    [Fact]
    public void Inspect_Minimal_SummarisesBothStreams()
    {
        var summary = XdfInspector.Inspect(XdfTestFiles.Get("minimal.xdf"));

        Assert.Empty(summary.Diagnostics);
        Assert.Equal(1950, summary.FileLength);
        Assert.Equal(15, summary.ChunkCount);
        var eeg = summary.Streams[0];
        Assert.Equal((9L, 5.1, 5.9), (eeg.SampleCount, eeg.FirstTimestamp!.Value, Math.Round(eeg.LastTimestamp!.Value, 9)));
        Assert.Equal(10, eeg.EffectiveSrate, 1e-6);
        Assert.Equal(0, eeg.GapCount);
        Assert.Equal((2, -0.1, -0.1, -0.1), (eeg.ClockOffsetCount, eeg.ClockOffsetMean!.Value, eeg.ClockOffsetMin!.Value, eeg.ClockOffsetMax!.Value));
        var markers = summary.Streams[1];
        Assert.Equal(9, markers.MarkerCount);
        Assert.Equal(["Hello", "World", "from", "LSL"], markers.FirstDistinctLabels.Skip(1));
        Assert.Equal(5, markers.FirstDistinctLabels.Count);
        Assert.Equal(0, markers.ClockOffsetCount);
        Assert.Null(markers.ClockOffsetMean);
    }

    [Fact]
    public void Inspect_ClockResets_CountsSamplesAndTheBackwardJump()
    {
        var summary = XdfInspector.Inspect(XdfTestFiles.Get("clock_resets.xdf"));

        var eeg = summary.Streams.Single(s => s.Header.Name == "BioSemi");
        Assert.Equal(27815, eeg.SampleCount);
        Assert.Equal(1, eeg.BackwardStepCount);
        Assert.Equal(653150.379117, eeg.FirstTimestamp!.Value, 1e-6);
        Assert.Equal(261.9267033, eeg.LastTimestamp!.Value, 1e-6);
        var markers = summary.Streams.Single(s => s.Header.Name == "MyMarkerStream");
        Assert.Equal(175, markers.MarkerCount);
        Assert.Contains("Test", markers.FirstDistinctLabels);
        Assert.Equal(-652340.284, markers.ClockOffsetMin!.Value, 1e-3);
        Assert.Equal(1121.166, markers.ClockOffsetMax!.Value, 1e-3);
    }

    [Fact]
    public void Inspect_EeglabTest_ReportsRawEffectiveRateAndFooter()
    {
        var summary = XdfInspector.Inspect(XdfTestFiles.Get("eeglab_test.xdf"));

        var eeg = Assert.Single(summary.Streams);
        Assert.Equal(9520, eeg.SampleCount);
        Assert.Equal(999.2, eeg.EffectiveSrate, 0.1);
        Assert.Equal(9519, eeg.Footer!.SampleCount);
        Assert.True(eeg.BackwardStepCount > 0);
        Assert.Contains("obci_neeg1", summary.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_GapLongerThanTwoPeriods_IsCounted()
    {
        var path = XdfTestFiles.NewTempFile("gap.xdf");
        using (var writer = XdfWriter.Create(path))
        {
            writer.AddStream(1, XdfWriter.CreateStreamInfoXml("s", "EEG", 1, 100, ChannelFormat.Float32), ChannelFormat.Float32, 1, 100);
            writer.WriteSamples(1, [0.0, 0.01, 0.02, 0.0401, 0.05, 0.5], [0.0, 0, 0, 0, 0, 0]);
        }

        var eeg = Assert.Single(XdfInspector.Inspect(path).Streams);

        Assert.Equal(2, eeg.GapCount);
        Assert.Equal(0.45, eeg.LargestInterval, 1e-12);
    }

    [Fact]
    public void Inspect_ManyDistinctMarkers_KeepsOnlyTheFirstLabels()
    {
        var path = XdfTestFiles.NewTempFile("markers.xdf");
        using (var writer = XdfWriter.Create(path))
        {
            writer.AddStream(1, XdfWriter.CreateStreamInfoXml("m", "Markers", 1, 0, ChannelFormat.String), ChannelFormat.String, 1, 0);
            for (var i = 0; i < 100; i++)
            {
                writer.WriteSamples(1, [i], [$"m{i % 50}"]);
            }
        }

        var markers = Assert.Single(XdfInspector.Inspect(path).Streams);

        Assert.Equal(100, markers.MarkerCount);
        Assert.Equal(Enumerable.Range(0, XdfInspector.MaxDistinctLabels).Select(i => $"m{i}"), markers.FirstDistinctLabels);
    }

    [Fact]
    public void Inspect_TruncatedFile_ReportsTheCutInDiagnostics()
    {
        var bytes = XdfSampleFiles.Build(3);
        var path = XdfTestFiles.NewTempFile("cut.xdf");
        File.WriteAllBytes(path, bytes[..^7]);

        var summary = XdfInspector.Inspect(path);

        Assert.NotEmpty(summary.Diagnostics);
        Assert.Equal(15, summary.Streams[0].SampleCount);
    }
}
