using AcqService.Core.Model;

namespace AcqService.Xdf.Tests;

/// <summary>Builds small synthetic XDF files with a known chunk layout.</summary>
internal static class XdfSampleFiles
{
    public const uint EegId = 1;
    public const uint MarkerId = 2;

    /// <summary>Header, 2 stream headers, then per block: EEG samples, a marker, a clock offset, a boundary; then footers.</summary>
    public static byte[] Build(int blocks = 6, int samplesPerBlock = 5)
    {
        var stream = new MemoryStream();
        using (var writer = new XdfWriter(stream, new XdfWriterOptions { TimeProvider = new FixedTime(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)) }, leaveOpen: true))
        {
            writer.AddStream(EegId, XdfWriter.CreateStreamInfoXml("eeg", "EEG", 2, 100, ChannelFormat.Float32), ChannelFormat.Float32, 2, 100);
            writer.AddStream(MarkerId, XdfWriter.CreateStreamInfoXml("markers", "Markers", 1, 0, ChannelFormat.String), ChannelFormat.String, 1, 0);
            var t = 1000.0;
            for (var b = 0; b < blocks; b++)
            {
                var stamps = new double[samplesPerBlock];
                var values = new float[samplesPerBlock * 2];
                for (var i = 0; i < samplesPerBlock; i++)
                {
                    stamps[i] = t;
                    t += 0.01;
                    values[2 * i] = (b * 100) + i;
                    values[(2 * i) + 1] = -((b * 100) + i);
                }

                writer.WriteSamples(EegId, stamps, values.AsSpan());
                writer.WriteSamples(MarkerId, [stamps[0]], [$"block-{b}"]);
                writer.WriteClockOffset(EegId, stamps[0], -0.001 * b);
                writer.WriteBoundary();
            }
        }

        return stream.ToArray();
    }

    /// <summary>Start offsets of every chunk plus the file length as a final entry.</summary>
    public static long[] ChunkBounds(byte[] file)
    {
        var (chunks, diagnostics) = XdfTestFiles.ReadAll(file);
        Assert.Empty(diagnostics);
        return [.. chunks.Select(c => c.Offset), file.LongLength];
    }
}
