using System.Buffers.Binary;

namespace AcqService.Xdf.Tests;

public sealed class XdfReaderTests
{
    [Fact]
    public void Constructor_BadMagic_ThrowsFormatExceptionAtOffset0()
    {
        var bytes = XdfSampleFiles.Build(1);
        bytes[3] = (byte)'!';

        var error = Assert.Throws<XdfFormatException>(() => new XdfReader(new MemoryStream(bytes)));

        Assert.Equal(0, error.Offset);
    }

    [Fact]
    public void Constructor_EmptyStream_ThrowsFormatException()
    {
        Assert.Throws<XdfFormatException>(() => new XdfReader(new MemoryStream()));
    }

    [Fact]
    public void TryReadChunk_AnyLengthWidth_IsAccepted()
    {
        // Re-encode every chunk's length with 8 bytes: a reader must not assume LabRecorder's minimal widths.
        var original = XdfSampleFiles.Build(2);
        var bounds = XdfSampleFiles.ChunkBounds(original);
        var widened = new MemoryStream();
        widened.Write(original, 0, 4);
        for (var i = 0; i < bounds.Length - 1; i++)
        {
            var start = (int)bounds[i];
            var width = original[start];
            var payload = original.AsSpan(start + 1 + width, (int)(bounds[i + 1] - start - 1 - width));
            widened.WriteByte(8);
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)payload.Length);
            widened.Write(length);
            widened.Write(payload);
        }

        var (expected, _) = XdfTestFiles.ReadAll(original);
        var (actual, diagnostics) = XdfTestFiles.ReadAll(widened.ToArray());

        Assert.Empty(diagnostics);
        Assert.Equal(expected.Select(Describe), actual.Select(Describe));
    }

    [Fact]
    public void TryReadChunk_ReuseSampleArrays_SameValuesAndTheArraysOfAnEqualSizedChunkAreReused()
    {
        int[] sizes = [10, 10, 7, 10, 7, 3, 10];
        var stream = new MemoryStream();
        using (var writer = new XdfWriter(stream, leaveOpen: true))
        {
            writer.AddStream(1, XdfWriter.CreateStreamInfoXml("eeg", "EEG", 3, 100, AcqService.Core.Model.ChannelFormat.Float32), AcqService.Core.Model.ChannelFormat.Float32, 3, 100);
            writer.AddStream(2, XdfWriter.CreateStreamInfoXml("trig", "Markers", 1, 0, AcqService.Core.Model.ChannelFormat.Double64), AcqService.Core.Model.ChannelFormat.Double64, 1, 0);
            int n = 0;
            foreach (int size in sizes)
            {
                double[] times = [.. Enumerable.Range(n, size).Select(i => 5 + (i / 100.0))];
                float[] values = [.. Enumerable.Range(n * 3, size * 3).Select(i => i * 0.5f)];
                writer.WriteSamples(1, times, values);
                writer.WriteSamples(2, [times[0]], [(double)size]);
                n += size;
            }
        }
        byte[] bytes = stream.ToArray();

        // Copy each chunk before the next read, as the contract asks.
        static List<(uint Stream, double[] Times, double[] Values, double[] TimesArray)> Read(byte[] file, bool reuse)
        {
            var chunks = new List<(uint, double[], double[], double[])>();
            using var reader = new XdfReader(new MemoryStream(file), new XdfReaderOptions { ReuseSampleArrays = reuse });
            while (reader.TryReadChunk(out XdfChunk? chunk))
            {
                if (chunk is XdfSamplesChunk s)
                {
                    chunks.Add((s.StreamId, [.. s.Timestamps], [.. s.NumericValues!], s.Timestamps));
                }
            }
            return chunks;
        }
        var fresh = Read(bytes, reuse: false);
        var reused = Read(bytes, reuse: true);

        Assert.Equal(sizes.Length * 2, reused.Count);
        Assert.Equal(fresh.Select(c => (c.Stream, c.Times, c.Values)), reused.Select(c => (c.Stream, c.Times, c.Values)));
        var eeg = reused.Where(c => c.Stream == 1).ToList();
        // Chunks 0, 1, 3 and 6 have 10 samples: one pair of arrays; the 7-sample chunks share another; without reuse none do.
        Assert.Same(eeg[0].TimesArray, eeg[1].TimesArray);
        Assert.Same(eeg[0].TimesArray, eeg[6].TimesArray);
        Assert.Same(eeg[2].TimesArray, eeg[4].TimesArray);
        Assert.NotSame(eeg[0].TimesArray, eeg[2].TimesArray);
        Assert.NotSame(fresh[0].TimesArray, fresh[2].TimesArray);
        Assert.Equal(10, eeg[6].Times.Length);
        Assert.Equal(Enumerable.Range(47 * 3, 30).Select(i => i * 0.5), eeg[6].Values); // after 10+10+7+10+7+3 samples
    }

    [Fact]
    public void TryReadChunk_NonSeekableStream_ReadsTheSameChunks()
    {
        var bytes = XdfSampleFiles.Build();
        var (expected, _) = XdfTestFiles.ReadAll(bytes);

        var (actual, diagnostics) = XdfTestFiles.ReadAll(new NonSeekableStream(new MemoryStream(bytes)));

        Assert.Empty(diagnostics);
        Assert.Equal(expected.Select(Describe), actual.Select(Describe));
    }

    [Fact]
    public void TryReadChunk_TruncatedAtEveryByte_ReturnsEveryCompleteChunkAndNamesTheCut()
    {
        var bytes = XdfSampleFiles.Build(3);
        var bounds = XdfSampleFiles.ChunkBounds(bytes);
        var (all, _) = XdfTestFiles.ReadAll(bytes);

        for (var cut = 4; cut < bytes.Length; cut++)
        {
            var (chunks, diagnostics) = XdfTestFiles.ReadAll(bytes[..cut]);

            var complete = bounds.Count(b => b <= cut) - 1;
            Assert.Equal(all.Take(complete).Select(Describe), chunks.Select(Describe));
            if (bounds.Contains(cut))
            {
                Assert.Empty(diagnostics);
            }
            else
            {
                Assert.NotEmpty(diagnostics);
                Assert.Equal(bounds[complete], diagnostics[0].Offset);
            }
        }
    }

    [Fact]
    public void TryReadChunk_TruncatedNonSeekable_ReturnsCompleteChunksAndDiagnostic()
    {
        var bytes = XdfSampleFiles.Build(3);
        var bounds = XdfSampleFiles.ChunkBounds(bytes);
        var cut = (int)((bounds[10] + bounds[11]) / 2);

        var (chunks, diagnostics) = XdfTestFiles.ReadAll(new NonSeekableStream(new MemoryStream(bytes[..cut])));

        Assert.Equal(10, chunks.Count);
        Assert.Equal(bounds[10], Assert.Single(diagnostics).Offset);
    }

    [Fact]
    public void TryReadChunk_InvalidLengthWidth_ResynchronisesAtTheNextBoundary()
    {
        var bytes = XdfSampleFiles.Build(4);
        var (all, _) = XdfTestFiles.ReadAll(bytes);
        var victim = all.OfType<XdfSamplesChunk>().ElementAt(2);
        bytes[victim.Offset] = 3;

        var (chunks, diagnostics) = XdfTestFiles.ReadAll(bytes);

        Assert.Equal(victim.Offset, diagnostics[0].Offset);
        Assert.Contains("width 3", diagnostics[0].Message, StringComparison.Ordinal);
        // Everything up to the victim, then everything after the next boundary chunk.
        var nextBoundary = all.OfType<XdfBoundaryChunk>().First(b => b.Offset > victim.Offset);
        // Offsets and tags only: deduced stamps after the lost chunk continue from the last decoded one (inherent to XDF).
        var expected = all.Where(c => c.Offset < victim.Offset || c.Offset > nextBoundary.Offset).Select(c => (c.Offset, c.Tag));
        Assert.Equal(expected, chunks.Select(c => (c.Offset, c.Tag)));
    }

    [Fact]
    public void TryReadChunk_LengthPastEndOfFile_RecoversChunksAfterTheSwallowedBoundary()
    {
        var bytes = XdfSampleFiles.Build(4);
        var (all, _) = XdfTestFiles.ReadAll(bytes);
        var victim = all.OfType<XdfClockOffsetChunk>().ElementAt(1);
        // Clock offsets use a 1-byte length; turn it into a 4-byte field claiming 0xFFFFFF... is impossible in place,
        // so make the 1-byte length 255, which runs far into later chunks.
        bytes[victim.Offset + 1] = 255;

        var (chunks, diagnostics) = XdfTestFiles.ReadAll(bytes);

        Assert.Equal(victim.Offset, diagnostics[0].Offset);
        var nextBoundary = all.OfType<XdfBoundaryChunk>().First(b => b.Offset > victim.Offset);
        var expected = all.Where(c => c.Offset < victim.Offset || c.Offset > nextBoundary.Offset).Select(Describe);
        Assert.Equal(expected, chunks.Select(Describe));
    }

    [Fact]
    public void TryReadChunk_HugeLength_ReportsPastEndOfFileAndResynchronises()
    {
        var bytes = XdfSampleFiles.Build(3);
        var (all, _) = XdfTestFiles.ReadAll(bytes);
        var victim = all.OfType<XdfSamplesChunk>().First();
        Assert.Equal(1, bytes[victim.Offset]);
        // Rebuild with an 8-byte length of 2^40 at the victim.
        var corrupted = new MemoryStream();
        corrupted.Write(bytes, 0, (int)victim.Offset);
        corrupted.WriteByte(8);
        corrupted.Write(BitConverter.GetBytes(1L << 40));
        corrupted.Write(bytes, (int)victim.Offset + 2, bytes.Length - (int)victim.Offset - 2);

        using var reader = new XdfReader(new MemoryStream(corrupted.ToArray()));
        var chunks = reader.ReadChunks().ToList();

        Assert.Contains("exceeds the", reader.Diagnostics[0].Message, StringComparison.Ordinal);
        Assert.Equal(victim.Offset, reader.Diagnostics[0].Offset);
        Assert.Equal(all.Count - 4, chunks.Count);
    }

    [Fact]
    public void TryReadChunk_ChunkAboveConfiguredLimit_IsReportedAndSkipped()
    {
        var bytes = XdfSampleFiles.Build(3, samplesPerBlock: 200);

        using var reader = new XdfReader(new MemoryStream(bytes), new XdfReaderOptions { MaxChunkBytes = 1000 });
        var chunks = reader.ReadChunks().ToList();

        Assert.Contains(reader.Diagnostics, d => d.Message.Contains("limit of 1000", StringComparison.Ordinal));
        // Each oversized EEG chunk sends the reader to the block's boundary, past that block's marker and offset.
        Assert.Empty(chunks.OfType<XdfSamplesChunk>());
        Assert.Equal(2, chunks.OfType<XdfStreamFooterChunk>().Count());
        Assert.Equal(2, chunks.OfType<XdfStreamHeaderChunk>().Count());
    }

    [Fact]
    public void TryReadChunk_SampleCountMismatch_ReportsAndResynchronises()
    {
        var bytes = XdfSampleFiles.Build(4);
        var (all, _) = XdfTestFiles.ReadAll(bytes);
        var victim = all.OfType<XdfSamplesChunk>().First(c => c.StreamId == XdfSampleFiles.EegId && c.Offset > all[5].Offset);
        // Layout: width(1) length(4 or 1) tag(2) id(4) count-width(1) count.
        var lengthWidth = bytes[victim.Offset];
        var countAt = victim.Offset + 1 + lengthWidth + 2 + 4 + 1;
        bytes[countAt] += 1;

        var (chunks, diagnostics) = XdfTestFiles.ReadAll(bytes);

        Assert.Equal(victim.Offset, diagnostics[0].Offset);
        Assert.Contains("does not match its header", diagnostics[0].Message, StringComparison.Ordinal);
        Assert.DoesNotContain(chunks, c => c.Offset == victim.Offset);
        Assert.Equal(all.OfType<XdfStreamFooterChunk>().Count(), chunks.OfType<XdfStreamFooterChunk>().Count());
    }

    [Fact]
    public void TryReadChunk_UndeclaredStream_ReportsAndResynchronises()
    {
        var bytes = XdfSampleFiles.Build(4);
        var (all, _) = XdfTestFiles.ReadAll(bytes);
        var victim = all.OfType<XdfSamplesChunk>().ElementAt(3);
        var idAt = victim.Offset + 1 + bytes[victim.Offset] + 2;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)idAt), 99);

        var (chunks, diagnostics) = XdfTestFiles.ReadAll(bytes);

        Assert.Equal(victim.Offset, diagnostics[0].Offset);
        Assert.Contains("undeclared stream 99", diagnostics[0].Message, StringComparison.Ordinal);
        Assert.All(chunks.OfType<XdfSamplesChunk>(), c => Assert.NotEqual(99u, c.StreamId));
    }

    [Fact]
    public void TryReadChunk_UnknownTag_IsSkippedWithADiagnostic()
    {
        var bytes = XdfSampleFiles.Build(2);
        var (all, _) = XdfTestFiles.ReadAll(bytes);
        var victim = all.OfType<XdfClockOffsetChunk>().First();
        bytes[victim.Offset + 2] = 77;

        var (chunks, diagnostics) = XdfTestFiles.ReadAll(bytes);

        Assert.Contains("unknown chunk tag 77", Assert.Single(diagnostics).Message, StringComparison.Ordinal);
        Assert.Equal(all.Count - 1, chunks.Count);
    }

    [Fact]
    public void TryReadChunk_DeducedTimestamps_CarryAcrossChunks()
    {
        var (chunks, _) = XdfTestFiles.ReadAll(XdfSampleFiles.Build(3));

        var eeg = chunks.OfType<XdfSamplesChunk>().Where(c => c.StreamId == XdfSampleFiles.EegId).ToList();
        Assert.All(eeg, c => Assert.True(c.DeducedTimestampCount >= 0));
        var stamps = eeg.SelectMany(c => c.Timestamps).ToArray();
        for (var i = 0; i < stamps.Length; i++)
        {
            Assert.Equal(1000.0 + (0.01 * i), stamps[i], 1e-9);
        }
    }

    [Theory]
    [InlineData("chunk_length_lie.xdf")]
    [InlineData("out_of_order_clock_offsets.xdf")]
    [InlineData("out_of_order_sample_chunk.xdf")]
    public async Task ReadChunks_FuzzerEdgeCase_EndsWithDiagnosticsOrDataWithoutThrowing(string name)
    {
        var path = XdfTestFiles.Get(Path.Combine("edge_cases", name));

        var read = Task.Run(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                using var reader = XdfReader.Open(path);
                var chunks = reader.ReadChunks().ToList();
                return (chunks.Count, reader.Diagnostics.Count, Allocated: GC.GetAllocatedBytesForCurrentThread() - before, Error: (Exception?)null);
            }
            catch (XdfFormatException e)
            {
                return (0, 0, GC.GetAllocatedBytesForCurrentThread() - before, e);
            }
        });
        var finished = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(10)));

        Assert.Same(read, finished);
        var (count, diagnosticCount, allocated, error) = await read;
        Assert.True(error is not null || count > 0 || diagnosticCount > 0);
        Assert.True(allocated < 8 * 1024 * 1024, $"allocated {allocated} bytes for a {new FileInfo(path).Length}-byte file");
    }

    [Theory]
    [InlineData("chunk_length_lie.xdf")]
    [InlineData("out_of_order_clock_offsets.xdf")]
    [InlineData("out_of_order_sample_chunk.xdf")]
    public async Task Load_FuzzerEdgeCase_ReportsDiagnosticsWithinTheTimeout(string name)
    {
        var path = XdfTestFiles.Get(Path.Combine("edge_cases", name));

        var load = Task.Run(() => XdfFile.Load(path));
        var finished = await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(10)));

        Assert.Same(load, finished);
        var file = await load;
        Assert.NotEmpty(file.Diagnostics);
    }

    private static string Describe(XdfChunk chunk) => chunk switch
    {
        XdfSamplesChunk s => $"{s.Tag}:{s.StreamId}:{string.Join(",", s.Timestamps)}:{string.Join(",", s.NumericValues ?? [])}:{string.Join(",", s.StringValues ?? [])}",
        XdfClockOffsetChunk o => $"{o.Tag}:{o.StreamId}:{o.CollectionTime}:{o.OffsetValue}",
        XdfStreamHeaderChunk h => $"{h.Tag}:{h.StreamId}:{h.Header.Xml}",
        XdfStreamFooterChunk f => $"{f.Tag}:{f.StreamId}:{f.Footer.Xml}",
        XdfFileHeaderChunk h => $"{h.Tag}:{h.Xml}",
        _ => chunk.Tag.ToString(),
    };
}
