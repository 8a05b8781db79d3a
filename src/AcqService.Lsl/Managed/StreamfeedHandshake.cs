using AcqService.Core.Model;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AcqService.Lsl.Managed;

/// <summary>
/// Checks of the streamfeed handshake an inlet receives (§4 of the protocol notes): status line, response headers and
/// the two test-pattern samples. Pure functions, so the bit-exact rules live in one place.
/// </summary>
internal static class StreamfeedHandshake
{
    internal static void CheckStatus(string status)
    {
        string[] parts = status.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 3 || !parts[0].StartsWith("LSL/", StringComparison.Ordinal)
            || !int.TryParse(parts[0].AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out int version)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int code))
        {
            throw new LslProtocolException($"malformed status line '{Shorten(status)}'");
        }
        if (version / 100 > 1)
        {
            throw new LslProtocolException($"outlet speaks a newer protocol ({version})");
        }
        if (code == 404)
        {
            throw new LslProtocolException("outlet answered 404: this stream instance is gone");
        }
        if (code >= 300)
        {
            throw new LslProtocolException($"outlet refused the connection: '{Shorten(status)}'");
        }
    }

    internal static bool CheckHeaders(List<string> headers, LslStreamInfo target)
    {
        bool bigEndian = false;
        int dataVersion = 110;
        foreach (string line in headers)
        {
            if (!WireFormat.TryParseHeader(line, out string key, out string value))
            {
                continue;
            }
            switch (key)
            {
                case "byte-order":
                    bigEndian = value switch
                    {
                        "1234" or "0" => false,
                        "4321" => true,
                        _ => throw new LslProtocolException($"unsupported byte order '{Shorten(value)}'"),
                    };
                    break;
                case "uid":
                    if (value != target.Uid.ToLowerInvariant())
                    {
                        throw new LslProtocolException($"outlet uid '{Shorten(value)}' differs from the resolved uid {target.Uid}");
                    }
                    break;
                case "data-protocol-version":
                    if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out dataVersion))
                    {
                        throw new LslProtocolException($"bad data-protocol-version '{Shorten(value)}'");
                    }
                    break;
            }
        }
        if (dataVersion > 110)
        {
            throw new LslProtocolException($"outlet chose data protocol {dataVersion}, newer than 110");
        }
        if (dataVersion < 110)
        {
            throw new LslProtocolException($"outlet chose legacy data protocol {dataVersion}, which the managed inlet does not read");
        }
        return bigEndian;
    }

    internal static void VerifyTestPattern(InSample sample, LslStreamInfo target, int offset)
    {
        bool ok = BitConverter.DoubleToInt64Bits(sample.Timestamp) == BitConverter.DoubleToInt64Bits(WireFormat.TestPatternTimestamp);
        for (int k = 0; ok && k < target.ChannelCount; k++)
        {
            ok = target.ChannelFormat == ChannelFormat.String
                ? sample.Strings![k] == WireFormat.TestPatternString(k)
                : sample.Numbers![k] == WireFormat.TestPatternInteger(target.ChannelFormat, k, offset);
        }
        if (!ok)
        {
            throw new LslProtocolException($"test pattern (offset {offset}) does not match");
        }
    }

    internal static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
