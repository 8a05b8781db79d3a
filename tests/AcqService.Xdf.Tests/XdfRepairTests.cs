namespace AcqService.Xdf.Tests;

public sealed class XdfRepairTests
{
    [Fact]
    public void Repair_TruncatedAtManyPositions_WritesCleanFileWithCorrectFooters()
    {
        var bytes = XdfSampleFiles.Build(5);
        var input = XdfTestFiles.NewTempFile("in.xdf");
        var output = Path.Combine(Path.GetDirectoryName(input)!, "out.xdf");
        for (var cut = 200; cut < bytes.Length; cut += 37)
        {
            File.WriteAllBytes(input, bytes[..cut]);
            var recovered = XdfFile.Load(input, new XdfLoadOptions { SynchronizeClocks = false, DejitterTimestamps = false });

            var report = XdfRepair.Repair(input, output);
            var (chunks, diagnostics) = XdfTestFiles.ReadAll(output);
            var repaired = XdfFile.Load(output, new XdfLoadOptions { SynchronizeClocks = false, DejitterTimestamps = false });

            Assert.Empty(diagnostics);
            Assert.Equal(recovered.Streams.Count, repaired.Streams.Count);
            var footers = chunks.OfType<XdfStreamFooterChunk>().ToDictionary(f => f.StreamId, f => f.Footer);
            foreach (var stream in repaired.Streams)
            {
                var original = recovered.FindStream(stream.StreamId)!;
                Assert.Equal(original.Timestamps, stream.Timestamps);
                Assert.Equal(original.NumericValues ?? [], stream.NumericValues ?? []);
                Assert.Equal(original.StringValues ?? [], stream.StringValues ?? []);
                Assert.Equal(original.ClockValues, stream.ClockValues);
                Assert.Equal(stream.SampleCount, footers[stream.StreamId].SampleCount);
                Assert.Equal(stream.SampleCount, report.SamplesPerStream[stream.StreamId]);
                if (stream.SampleCount > 0)
                {
                    Assert.Equal(stream.Timestamps[^1], footers[stream.StreamId].LastTimestamp);
                }
            }

            Assert.False(report.InputWasClean && cut < bytes.Length - 1);
        }
    }

    [Fact]
    public void Repair_CleanFile_ReportsCleanAndKeepsHeaders()
    {
        var input = XdfTestFiles.NewTempFile("clean.xdf");
        File.WriteAllBytes(input, XdfSampleFiles.Build(2));
        var output = Path.Combine(Path.GetDirectoryName(input)!, "out.xdf");

        var report = XdfRepair.Repair(input, output);

        Assert.True(report.InputWasClean);
        Assert.Equal(2, report.BoundaryCount);
        Assert.Equal(2, report.ClockOffsetCount);
        var before = XdfTestFiles.ReadAll(input).Chunks;
        var after = XdfTestFiles.ReadAll(output).Chunks;
        Assert.Equal(before.OfType<XdfFileHeaderChunk>().Single().Xml, after.OfType<XdfFileHeaderChunk>().Single().Xml);
        Assert.Equal(before.OfType<XdfStreamHeaderChunk>().Select(h => h.Header.Xml), after.OfType<XdfStreamHeaderChunk>().Select(h => h.Header.Xml));
    }

    [Theory]
    [InlineData("minimal.xdf")]
    [InlineData("eeglab_test.xdf")]
    [InlineData("edge_cases/chunk_length_lie.xdf")]
    [InlineData("edge_cases/out_of_order_clock_offsets.xdf")]
    [InlineData("edge_cases/out_of_order_sample_chunk.xdf")]
    public void Repair_RealOrFuzzedFile_OutputReadsWithoutDiagnostics(string name)
    {
        var output = XdfTestFiles.NewTempFile("repaired.xdf");

        var report = XdfRepair.Repair(XdfTestFiles.Get(name), output);
        var (chunks, diagnostics) = XdfTestFiles.ReadAll(output);

        Assert.Empty(diagnostics);
        Assert.Equal(report.Streams.Count, chunks.OfType<XdfStreamFooterChunk>().Count());
        Assert.Equal(report.SamplesPerStream.Values.Sum(), chunks.OfType<XdfSamplesChunk>().Sum(c => (long)c.SampleCount));
    }

    [Fact]
    public void Repair_EeglabTest_FixesTheOffByOneFooter()
    {
        var output = XdfTestFiles.NewTempFile("eeglab.xdf");

        XdfRepair.Repair(XdfTestFiles.Get("eeglab_test.xdf"), output);

        var footer = XdfTestFiles.ReadAll(output).Chunks.OfType<XdfStreamFooterChunk>().Single().Footer;
        Assert.Equal(9520, footer.SampleCount);
        Assert.Equal(88687.51177, footer.LastTimestamp!.Value, 1e-4);
    }
}
