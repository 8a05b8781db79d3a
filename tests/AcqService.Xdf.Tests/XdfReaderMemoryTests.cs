using System.Diagnostics;
using AcqService.Core.Model;

namespace AcqService.Xdf.Tests;

/// <summary>The reader's live memory must not grow with the file: it holds one chunk, never the file.</summary>
public sealed class XdfReaderMemoryTests
{
    // The default run uses ~24 MB so it stays fast; XDF_BIG_MEMORY_TEST=1 runs the ~200 MB variant.
    private const long DefaultFileBytes = 24L * 1024 * 1024;
    private const long BigFileBytes = 200L * 1024 * 1024;

    [Fact]
    public void ReadChunks_LargeFile_LiveMemoryStaysBounded() => AssertBoundedRead(DefaultFileBytes);

    [SkippableFact]
    public void ReadChunks_200MegabyteFile_LiveMemoryStaysBounded()
    {
        Skip.IfNot(Environment.GetEnvironmentVariable("XDF_BIG_MEMORY_TEST") == "1", "set XDF_BIG_MEMORY_TEST=1 to run the 200 MB variant");
        AssertBoundedRead(BigFileBytes);
    }

    private static void AssertBoundedRead(long targetBytes)
    {
        var path = XdfTestFiles.NewTempFile("big.xdf");
        try
        {
            var written = WriteLargeFile(path, targetBytes);
            var baseline = GC.GetTotalMemory(forceFullCollection: true);
            long peak = 0, samples = 0, chunks = 0;
            var clock = Stopwatch.StartNew();
            using (var reader = XdfReader.Open(path))
            {
                while (reader.TryReadChunk(out var chunk))
                {
                    if (chunk is XdfSamplesChunk s)
                    {
                        samples += s.SampleCount;
                    }

                    if (++chunks % 500 == 0)
                    {
                        peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
                    }
                }

                Assert.Empty(reader.Diagnostics);
            }

            Assert.Equal(written, samples);
            // One chunk is ~40 kB of payload plus ~80 kB decoded; 4 MB leaves room for runtime noise, far below the file.
            Assert.True(peak < 4 * 1024 * 1024, $"live memory grew by {peak} bytes while reading {new FileInfo(path).Length} bytes");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"read took {clock.Elapsed}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static long WriteLargeFile(string path, long targetBytes)
    {
        const int channels = 32;
        const int perChunk = 250;
        var timestamps = new double[perChunk];
        var values = new float[perChunk * channels];
        var random = new Random(1);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextDouble();
        }

        long samples = 0;
        using var writer = XdfWriter.Create(path);
        writer.AddStream(1, XdfWriter.CreateStreamInfoXml("big", "EEG", channels, 500, ChannelFormat.Float32), ChannelFormat.Float32, channels, 500);
        var file = new FileInfo(path);
        for (var chunk = 0; ; chunk++)
        {
            for (var i = 0; i < perChunk; i++)
            {
                // Jitter keeps every stamp explicit, the worst case for size per sample.
                timestamps[i] = (samples + i) * 0.002 + (random.NextDouble() * 1e-5);
            }

            writer.WriteSamples(1, timestamps, values.AsSpan());
            samples += perChunk;
            if (chunk % 20 == 0)
            {
                writer.WriteBoundary();
                writer.Flush(toDisk: false);
                file.Refresh();
                if (file.Length >= targetBytes)
                {
                    break;
                }
            }
        }

        return samples;
    }
}
