using System.Buffers.Binary;
using System.Text;
using System.Xml.Linq;
using AcqService.Core.Model;

namespace AcqService.Xdf.Tests;

public sealed class XdfWriterTests
{
    private static readonly DateTimeOffset FixedNow = new(2025, 1, 31, 0, 21, 17, 123, TimeSpan.FromHours(2));

    public static TheoryData<ChannelFormat, double[]> Extremes => new()
    {
        { ChannelFormat.Int8, [sbyte.MinValue, sbyte.MaxValue, 0, -1, 1, 42] },
        { ChannelFormat.Int16, [short.MinValue, short.MaxValue, 0, -1, 1, 12345] },
        { ChannelFormat.Int32, [int.MinValue, int.MaxValue, 0, -1, 1, 123456789] },
        { ChannelFormat.Int64, [long.MinValue, 9007199254740993.0 - 1, 0, -1, 1, -9007199254740992.0] },
        { ChannelFormat.Float32, [float.MinValue, float.MaxValue, float.Epsilon, -0.0, 1.5, double.NaN] },
        { ChannelFormat.Double64, [double.MinValue, double.MaxValue, double.Epsilon, double.NegativeInfinity, Math.PI, double.NaN] },
    };

    [Theory]
    [MemberData(nameof(Extremes))]
    public void WriteSamples_NumericFormatExtremes_ReadBackExactly(ChannelFormat format, double[] values)
    {
        var timestamps = new[] { 653150.314061, -1.0e-300, 1.0 / 3.0 };
        var bytes = Write(w =>
        {
            w.AddStream(7, XdfWriter.CreateStreamInfoXml("s", "EEG", 2, 250, format), format, 2, 250);
            w.WriteSamples(7, timestamps, values);
        });

        var (chunks, diagnostics) = XdfTestFiles.ReadAll(bytes);

        Assert.Empty(diagnostics);
        var samples = Assert.Single(chunks.OfType<XdfSamplesChunk>());
        Assert.Equal(timestamps, samples.Timestamps);
        var expected = format == ChannelFormat.Float32 ? values.Select(v => (double)(float)v).ToArray() : values;
        Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), samples.NumericValues!.Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void Float32_ManyChannels_ReadBackAsTheExactWidenedValues()
    {
        // 19 channels: whole vectors of floats are widened at once and the rest one by one; both must give (double)float.
        const int channels = 19;
        float[] special = [float.MinValue, float.MaxValue, float.Epsilon, -0.0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-40f];
        var random = new Random(19);
        float[] values = [.. Enumerable.Range(0, 5 * channels).Select(i => i < special.Length ? special[i] : (float)((random.NextDouble() - 0.5) * 2e5))];
        var bytes = Write(w =>
        {
            w.AddStream(3, XdfWriter.CreateStreamInfoXml("eeg", "EEG", channels, 1000, ChannelFormat.Float32), ChannelFormat.Float32, channels, 1000);
            w.WriteSamples(3, [1.0, 1.001, 1.002, 1.003, 1.004], values.AsSpan());
        });

        var (chunks, diagnostics) = XdfTestFiles.ReadAll(bytes);

        Assert.Empty(diagnostics);
        var samples = Assert.Single(chunks.OfType<XdfSamplesChunk>());
        Assert.Equal(values.Select(v => BitConverter.DoubleToInt64Bits(v)), samples.NumericValues!.Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void WriteSamples_Int64Extremes_StoresExactLongBits()
    {
        var bytes = Write(w =>
        {
            w.AddStream(1, XdfWriter.CreateStreamInfoXml("s", "x", 2, 0, ChannelFormat.Int64), ChannelFormat.Int64, 2, 0);
            w.WriteSamples(1, [1.0], [(double)long.MaxValue, (double)long.MinValue]);
        });

        var expected = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(expected, long.MaxValue);
        BinaryPrimitives.WriteInt64LittleEndian(expected.AsSpan(8), long.MinValue);
        Assert.True(bytes.AsSpan().IndexOf(expected) > 0, "saturated int64 extremes not found in the file");
    }

    [Fact]
    public void WriteSamples_IntegerConversion_RoundsHalfAwayFromZeroAndSaturates()
    {
        var bytes = Write(w =>
        {
            w.AddStream(1, XdfWriter.CreateStreamInfoXml("s", "x", 6, 0, ChannelFormat.Int16), ChannelFormat.Int16, 6, 0);
            w.WriteSamples(1, [1.0], [2.5, -2.5, 1e9, -1e9, double.NaN, 2.4]);
        });

        var samples = Assert.Single(XdfTestFiles.ReadAll(bytes).Chunks.OfType<XdfSamplesChunk>());
        Assert.Equal([3, -3, short.MaxValue, short.MinValue, 0, 2], samples.NumericValues!);
    }

    [Theory]
    [InlineData(ChannelFormat.Float32)]
    [InlineData(ChannelFormat.Int16)]
    [InlineData(ChannelFormat.Double64)]
    public void WriteSamples_FloatOverload_MatchesDoubleOverload(ChannelFormat format)
    {
        float[] values = [1.25f, -7f, 1e-3f, 300f, -0.5f, 12f];
        var viaFloat = Write(w =>
        {
            w.AddStream(1, XdfWriter.CreateStreamInfoXml("s", "x", 3, 10, format), format, 3, 10);
            w.WriteSamples(1, [1.0, 2.0], values.AsSpan());
        });
        var viaDouble = Write(w =>
        {
            w.AddStream(1, XdfWriter.CreateStreamInfoXml("s", "x", 3, 10, format), format, 3, 10);
            w.WriteSamples(1, [1.0, 2.0], values.Select(v => (double)v).ToArray().AsSpan());
        });

        Assert.Equal(viaDouble, viaFloat);
    }

    [Fact]
    public void WriteSamples_Strings_ReadBackExactly()
    {
        var big = string.Concat(Enumerable.Repeat("0123456789", 10_000));
        string[] values = ["", "Hello", "Grüße – 漢字 🧠", big, "<marker id=\"1\"/>", "x"];
        var bytes = Write(w =>
        {
            w.AddStream(2, XdfWriter.CreateStreamInfoXml("m", "Markers", 2, 0, ChannelFormat.String), ChannelFormat.String, 2, 0);
            w.WriteSamples(2, [10.5, 10.5, 11.0], values.AsSpan());
        });

        var (chunks, diagnostics) = XdfTestFiles.ReadAll(bytes);

        Assert.Empty(diagnostics);
        var samples = Assert.Single(chunks.OfType<XdfSamplesChunk>());
        Assert.Equal(values, samples.StringValues!);
        Assert.Equal([10.5, 10.5, 11.0], samples.Timestamps);
        Assert.Equal(100_000, Encoding.UTF8.GetByteCount(samples.StringValues![3]));
    }

    [Fact]
    public void WriteSamples_NullString_ReadsBackEmpty()
    {
        var bytes = Write(w =>
        {
            w.AddStream(2, XdfWriter.CreateStreamInfoXml("m", "Markers", 1, 0, ChannelFormat.String), ChannelFormat.String, 1, 0);
            w.WriteSamples(2, [1.0], new string[] { null! }.AsSpan());
        });

        Assert.Equal([string.Empty], Assert.Single(XdfTestFiles.ReadAll(bytes).Chunks.OfType<XdfSamplesChunk>()).StringValues!);
    }

    [Fact]
    public void WriteSamples_RegularTimestamps_OmitsDeducibleOnesAndDecodesExactly()
    {
        const double srate = 512;
        var timestamps = new double[1000];
        timestamps[0] = 91725.21394789;
        for (var i = 1; i < timestamps.Length; i++)
        {
            // Accumulated like a reader deduces them, so each one is exactly deducible.
            timestamps[i] = i == 500 ? timestamps[i - 1] + 0.25 : timestamps[i - 1] + (1.0 / srate);
        }

        var values = new double[timestamps.Length];
        byte[] MakeFile(bool omit) => Write(
            w =>
            {
                w.AddStream(1, XdfWriter.CreateStreamInfoXml("s", "EEG", 1, srate, ChannelFormat.Double64), ChannelFormat.Double64, 1, srate);
                w.WriteSamples(1, timestamps.AsSpan(0, 300), values.AsSpan(0, 300));
                w.WriteSamples(1, timestamps.AsSpan(300), values.AsSpan(300));
            },
            new XdfWriterOptions { OmitDeducibleTimestamps = omit, TimeProvider = new FixedTime(FixedNow) });

        var compact = MakeFile(omit: true);
        var full = MakeFile(omit: false);
        var compactSamples = XdfTestFiles.ReadAll(compact).Chunks.OfType<XdfSamplesChunk>().ToList();
        var fullSamples = XdfTestFiles.ReadAll(full).Chunks.OfType<XdfSamplesChunk>().ToList();

        Assert.Equal(timestamps, compactSamples.SelectMany(c => c.Timestamps));
        Assert.Equal(timestamps, fullSamples.SelectMany(c => c.Timestamps));
        // Stamps 0 and 500 (after the 0.25 s jump) must be written; the rest, including the first of chunk 2, are deduced.
        Assert.Equal(998, compactSamples.Sum(c => c.DeducedTimestampCount));
        Assert.Equal(0, fullSamples.Sum(c => c.DeducedTimestampCount));
        Assert.Equal(998 * 8, full.Length - compact.Length);
    }

    [Fact]
    public void Complete_WithClockOffsets_WritesFootersWithStatistics()
    {
        var bytes = Write(w =>
        {
            w.AddStream(1, XdfWriter.CreateStreamInfoXml("a", "EEG", 1, 100, ChannelFormat.Float32), ChannelFormat.Float32, 1, 100);
            w.AddStream(2, XdfWriter.CreateStreamInfoXml("b", "Markers", 1, 0, ChannelFormat.String), ChannelFormat.String, 1, 0);
            w.WriteSamples(1, [5.1, 5.2], [1.0, 2.0]);
            w.WriteClockOffset(1, 6.1, -0.1);
            w.WriteSamples(1, [5.3], [3.0]);
            w.WriteClockOffset(1, 7.1, -1.0 / 3.0);
        });

        var (chunks, diagnostics) = XdfTestFiles.ReadAll(bytes);

        Assert.Empty(diagnostics);
        Assert.Equal(
            [new XdfClockOffset(6.1, -0.1), new XdfClockOffset(7.1, -1.0 / 3.0)],
            chunks.OfType<XdfClockOffsetChunk>().Select(c => new XdfClockOffset(c.CollectionTime, c.OffsetValue)));
        var footers = chunks.OfType<XdfStreamFooterChunk>().ToDictionary(c => c.StreamId, c => c.Footer);
        Assert.Equal(5.1, footers[1].FirstTimestamp);
        Assert.Equal(5.3, footers[1].LastTimestamp);
        Assert.Equal(3, footers[1].SampleCount);
        Assert.Equal([new XdfClockOffset(6.1, -0.1), new XdfClockOffset(7.1, -1.0 / 3.0)], footers[1].ClockOffsets);
        Assert.Equal(0, footers[2].SampleCount);
        Assert.Equal(0, footers[2].FirstTimestamp);
        Assert.Empty(footers[2].ClockOffsets);
        Assert.IsType<XdfStreamFooterChunk>(chunks[^1]);
    }

    [Fact]
    public void Constructor_FileHeader_HasVersionDatetimeWithMillisecondsAndExtraElements()
    {
        var bytes = Write(
            _ => { },
            new XdfWriterOptions
            {
                TimeProvider = new FixedTime(FixedNow),
                HeaderElements = [new XElement("participant", "P001"), new XElement("session", new XElement("task", "rest"))],
            });

        var header = Assert.IsType<XdfFileHeaderChunk>(XdfTestFiles.ReadAll(bytes).Chunks[0]);
        var info = XElement.Parse(header.Xml);
        Assert.Equal("1.0", info.Element("version")!.Value);
        Assert.Equal("2025-01-31T00:21:17.123+0200", info.Element("datetime")!.Value);
        Assert.Equal("P001", info.Element("participant")!.Value);
        Assert.Equal("rest", info.Element("session")!.Element("task")!.Value);
        Assert.Equal("XDF:"u8.ToArray(), bytes[..4]);
    }

    [Fact]
    public void WriteBoundary_Always_WritesTheUuidChunk()
    {
        var bytes = Write(w => w.WriteBoundary());

        var boundary = Assert.Single(XdfTestFiles.ReadAll(bytes).Chunks.OfType<XdfBoundaryChunk>());
        Assert.Equal(
            new byte[] { 0x01, 0x12, 0x05, 0x00, 0x43, 0xA5, 0x46, 0xDC, 0xCB, 0xF5, 0x41, 0x0F, 0xB3, 0x0E, 0xD5, 0x46, 0x73, 0x83, 0xCB, 0xE4 },
            bytes.AsSpan((int)boundary.Offset, 20).ToArray());
    }

    [Fact]
    public void AddStream_XmlDisagreesWithArguments_Throws()
    {
        using var writer = new XdfWriter(new MemoryStream());
        var xml = XdfWriter.CreateStreamInfoXml("s", "EEG", 4, 250, ChannelFormat.Float32);

        Assert.Throws<ArgumentException>(() => writer.AddStream(1, xml, ChannelFormat.Float32, 8, 250));
    }

    [Fact]
    public void WriteSamples_ValueCountMismatch_Throws()
    {
        using var writer = new XdfWriter(new MemoryStream());
        writer.AddStream(1, XdfWriter.CreateStreamInfoXml("s", "EEG", 2, 0, ChannelFormat.Double64), ChannelFormat.Double64, 2, 0);

        Assert.Throws<ArgumentException>(() => writer.WriteSamples(1, [1.0, 2.0], [1.0, 2.0, 3.0]));
    }

    [Fact]
    public void WriteSamples_AfterComplete_Throws()
    {
        using var writer = new XdfWriter(new MemoryStream());
        writer.AddStream(1, XdfWriter.CreateStreamInfoXml("s", "EEG", 1, 0, ChannelFormat.Double64), ChannelFormat.Double64, 1, 0);
        writer.Complete();

        Assert.Throws<InvalidOperationException>(() => writer.WriteSamples(1, [1.0], [1.0]));
    }

    [Fact]
    public void WriteSamples_EachCall_LeavesOnlyCompleteChunksInTheStream()
    {
        var stream = new MemoryStream();
        using var writer = new XdfWriter(stream, leaveOpen: true);
        writer.AddStream(1, XdfWriter.CreateStreamInfoXml("s", "EEG", 2, 100, ChannelFormat.Float32), ChannelFormat.Float32, 2, 100);
        for (var i = 0; i < 20; i++)
        {
            writer.WriteSamples(1, [i * 0.5, (i * 0.5) + 0.01], [1f, 2f, 3f, 4f]);
            var (chunks, diagnostics) = XdfTestFiles.ReadAll(stream.ToArray());
            Assert.Empty(diagnostics);
            Assert.Equal(i + 1, chunks.OfType<XdfSamplesChunk>().Count());
        }
    }

    [Fact]
    public void WriteSamples_SteadyState_DoesNotAllocate()
    {
        using var writer = new XdfWriter(Stream.Null);
        writer.AddStream(1, XdfWriter.CreateStreamInfoXml("s", "EEG", 8, 500, ChannelFormat.Float32), ChannelFormat.Float32, 8, 500);
        var timestamps = new double[250];
        var floats = new float[250 * 8];
        var doubles = new double[250 * 8];
        writer.WriteSamples(1, timestamps, floats.AsSpan());
        writer.WriteSamples(1, timestamps, doubles.AsSpan());

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            writer.WriteSamples(1, timestamps, floats.AsSpan());
            writer.WriteSamples(1, timestamps, doubles.AsSpan());
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static byte[] Write(Action<XdfWriter> body, XdfWriterOptions? options = null)
    {
        var stream = new MemoryStream();
        using (var writer = new XdfWriter(stream, options ?? new XdfWriterOptions { TimeProvider = new FixedTime(FixedNow) }, leaveOpen: true))
        {
            body(writer);
        }

        return stream.ToArray();
    }
}
