using System.Security.Cryptography;
using AcqService.Core.Model;

namespace AcqService.Xdf.Tests;

/// <summary>
/// Pins the writer's exact output for every channel format and every sample overload. The expected hash was taken
/// from the writer before its three per-type sample paths were merged into one, so the merge is proven byte-identical.
/// </summary>
public sealed class XdfWriterGoldenBytesTests
{
    private static readonly DateTimeOffset FixedNow = new(2025, 1, 31, 0, 21, 17, 123, TimeSpan.FromHours(2));

    /// <summary>SHA-256 and length of the file <see cref="WriteEveryFormat"/> produced before the refactoring.</summary>
    private const string ExpectedSha256 = "afedd1a6b35547cf0deb8a6e9bf2ae4686a8211554bbee24f06ebc975bb7b29c";
    private const int ExpectedLength = 8070;

    private static readonly ChannelFormat[] Numeric =
        [ChannelFormat.Int8, ChannelFormat.Int16, ChannelFormat.Int32, ChannelFormat.Int64, ChannelFormat.Float32, ChannelFormat.Double64];

    [Fact]
    public void WriteEveryFormat_AllOverloads_BytesEqualTheOriginalWriter()
    {
        byte[] bytes = WriteEveryFormat();

        string hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Assert.True(hash == ExpectedSha256, $"SHA-256 {hash}, expected {ExpectedSha256}");
        Assert.Equal(ExpectedLength, (int)bytes.LongLength);
    }

    private static byte[] WriteEveryFormat()
    {
        // Values that exercise rounding (±2.5), saturation (±1e30), NaN, infinities, negative zero and subnormals.
        double[] doubles = [2.5, -2.5, 1e30, -1e30, double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, 1e-310, 127.49, -128.5, 32767.5];
        float[] floats = [2.5f, -2.5f, 1e30f, -1e30f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0.0f, 1e-40f, 127.49f, -128.5f, 32767.5f];
        const int channels = 4;
        // Regular timestamps (deducible ones are omitted), then a jump, then regular again.
        double[] timestamps = [100.0, 100.0 + (1.0 / 250), 100.0 + (2.0 / 250)];
        double[] later = [200.0, 200.004, 200.008];
        var stream = new MemoryStream();
        using (var writer = new XdfWriter(stream, new XdfWriterOptions { TimeProvider = new FixedTime(FixedNow) }, leaveOpen: true))
        {
            uint id = 1;
            foreach (ChannelFormat format in Numeric)
            {
                uint viaDouble = id++;
                uint viaFloat = id++;
                writer.AddStream(viaDouble, XdfWriter.CreateStreamInfoXml("d" + viaDouble, "EEG", channels, 250, format, "src" + viaDouble), format, channels, 250);
                writer.AddStream(viaFloat, XdfWriter.CreateStreamInfoXml("f" + viaFloat, "EEG", channels, 250, format), format, channels, 250);
                writer.WriteSamples(viaDouble, timestamps, doubles);
                writer.WriteSamples(viaFloat, timestamps, floats.AsSpan());
                writer.WriteClockOffset(viaDouble, 100.5, -0.25);
                writer.WriteSamples(viaDouble, later, doubles);
                writer.WriteSamples(viaFloat, later, floats.AsSpan());
                writer.WriteSamples(viaDouble, ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty);
            }

            uint text = id;
            writer.AddStream(text, XdfWriter.CreateStreamInfoXml("m", "Markers", 2, 0, ChannelFormat.String), ChannelFormat.String, 2, 0);
            writer.WriteSamples(text, [5.0, 5.0, 6.0], ["needle/insert", "", null!, "µV ünïcödé", new string('x', 300), "b"]);
            writer.WriteBoundary();
        }

        return stream.ToArray();
    }
}
