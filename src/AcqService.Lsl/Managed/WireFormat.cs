using AcqService.Core.Model;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace AcqService.Lsl.Managed;

/// <summary>Byte layouts of the LSL protocol 1.10 (§2.1, §4.1–4.5 of the protocol notes).</summary>
internal static class WireFormat
{
    /// <summary>Sample tag: timestamp deduced from the previous one (no timestamp field).</summary>
    public const byte TagDeduced = 1;

    /// <summary>Sample tag: an 8-byte timestamp follows.</summary>
    public const byte TagTimestamp = 2;

    /// <summary>Timestamp of both test-pattern samples.</summary>
    public const double TestPatternTimestamp = 123456.789;

    /// <summary>Value-Size an inlet announces: the format's size, and 32 (C++ sizeof(std::string)) for strings, like liblsl.</summary>
    public static int AnnouncedValueSize(ChannelFormat format) => format == ChannelFormat.String ? 32 : format.ValueSize();

    /// <summary><c>LSL:shortinfo\r\n&lt;query&gt;\r\n&lt;port&gt; &lt;id&gt;\r\n</c>.</summary>
    public static byte[] QueryDatagram(string query, int returnPort, string queryId) =>
        Encoding.UTF8.GetBytes($"LSL:shortinfo\r\n{query}\r\n{returnPort.ToString(CultureInfo.InvariantCulture)} {queryId}\r\n");

    /// <summary>The outlet's discovery reply: <c>&lt;id&gt;\r\n&lt;shortinfo&gt;</c>.</summary>
    public static byte[] ShortInfoReply(string queryId, string shortInfoXml) => Encoding.UTF8.GetBytes(queryId + "\r\n" + shortInfoXml);

    /// <summary>The inlet's streamfeed request with every header liblsl 1.17 sends (booleans as 1/0).</summary>
    public static byte[] StreamfeedRequest(LslStreamInfo info, int maxBufferSamples, int maxChunkLength, string hostname)
    {
        bool isFloat = info.ChannelFormat is ChannelFormat.Float32 or ChannelFormat.Double64;
        var sb = new StringBuilder(384);
        sb.Append("LSL:streamfeed/110 ").Append(info.Uid).Append("\r\n");
        sb.Append("Native-Byte-Order: 1234\r\n");
        // Only used by the outlet to decide who swaps bytes; we always read both orders, so any value works.
        sb.Append("Endian-Performance: 1e+06\r\n");
        sb.Append("Has-IEEE754-Floats: 1\r\n");
        sb.Append("Supports-Subnormals: ").Append(isFloat ? '1' : '0').Append("\r\n");
        sb.Append("Value-Size: ").Append(AnnouncedValueSize(info.ChannelFormat).ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        sb.Append("Data-Protocol-Version: 110\r\n");
        sb.Append("Max-Buffer-Length: ").Append(Math.Max(1, maxBufferSamples).ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        sb.Append("Max-Chunk-Length: ").Append(Math.Max(0, maxChunkLength).ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        sb.Append("Hostname: ").Append(hostname).Append("\r\n");
        sb.Append("Source-Id: ").Append(info.SourceId).Append("\r\n");
        sb.Append("Session-Id: ").Append(info.SessionId).Append("\r\n");
        sb.Append("\r\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>The outlet's 200 response header (always little-endian, no subnormal suppression).</summary>
    public static byte[] StreamfeedResponse(string uid) =>
        Encoding.ASCII.GetBytes($"LSL/110 200 OK\r\nUID: {uid}\r\nByte-Order: 1234\r\nSuppress-Subnormals: 0\r\nData-Protocol-Version: 110\r\n\r\n");

    /// <summary>
    /// Splits a header line the way liblsl does: drop everything from the first <c>;</c>, lowercase, split at the first
    /// <c>:</c>, trim both parts. Returns false for lines without a colon.
    /// </summary>
    public static bool TryParseHeader(string line, out string key, out string value)
    {
        int comment = line.IndexOf(';', StringComparison.Ordinal);
        if (comment >= 0)
        {
            line = line[..comment];
        }
        int colon = line.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            key = value = "";
            return false;
        }
        key = line[..colon].Trim().ToLowerInvariant();
        value = line[(colon + 1)..].Trim().ToLowerInvariant();
        return true;
    }

    /// <summary>Value of test-pattern channel <paramref name="k"/> for numeric formats (offset 4 for the first sample, 2 for the second).</summary>
    public static long TestPatternInteger(ChannelFormat format, int k, int offset)
    {
        long sign = k % 2 == 0 ? 1 : -1;
        return format switch
        {
            ChannelFormat.Float32 => sign * (k + offset),
            ChannelFormat.Double64 => sign * (k + offset + 16777217L),
            ChannelFormat.Int8 => sign * ((k + offset + 1) % 127),
            ChannelFormat.Int16 => sign * ((k + offset + 257) % 32767),
            ChannelFormat.Int32 => sign * ((k + offset + 65537L) % 2147483647L),
            ChannelFormat.Int64 => sign * (k + offset + 2147483649L),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
    }

    /// <summary>Test-pattern string for channel <paramref name="k"/> (same in both samples).</summary>
    public static string TestPatternString(int k) => ((k % 2 == 0 ? 1 : -1) * (k + 10)).ToString(CultureInfo.InvariantCulture);

    /// <summary>One complete test-pattern sample (tag 2, timestamp 123456.789), little-endian.</summary>
    public static byte[] TestPatternSample(ChannelFormat format, int channelCount, int offset)
    {
        var writer = new SampleWriter(64);
        writer.WriteTagAndTimestamp(TagTimestamp, TestPatternTimestamp);
        for (int k = 0; k < channelCount; k++)
        {
            if (format == ChannelFormat.String)
            {
                writer.WriteString(Encoding.UTF8.GetBytes(TestPatternString(k)));
            }
            else
            {
                writer.WriteNumeric(format, TestPatternInteger(format, k, offset));
            }
        }
        return writer.ToArray();
    }

    /// <summary>Both test patterns back to back, as sent after the response header.</summary>
    public static byte[] TestPatterns(ChannelFormat format, int channelCount) =>
        [.. TestPatternSample(format, channelCount, 4), .. TestPatternSample(format, channelCount, 2)];

    /// <summary>Formats a clock value like C <c>%.16g</c> (time-sync packets).</summary>
    public static string FormatClock(double value) => value.ToString("G16", CultureInfo.InvariantCulture);

    /// <summary>Writes a length-prefixed string value: width byte (1, 4 or 8 like liblsl), length, bytes.</summary>
    public static int EncodeStringLength(Span<byte> destination, int length)
    {
        if (length <= byte.MaxValue)
        {
            destination[0] = 1;
            destination[1] = (byte)length;
            return 2;
        }
        destination[0] = 4;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[1..], (uint)length);
        return 5;
    }
}
