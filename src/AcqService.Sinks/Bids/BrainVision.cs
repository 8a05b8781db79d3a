using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace AcqService.Sinks.Bids;

/// <summary>One marker of a BrainVision marker file.</summary>
/// <param name="Type">Marker type, e.g. <c>Stimulus</c> or <c>New Segment</c>.</param>
/// <param name="Description">Description, e.g. <c>S 11</c>.</param>
/// <param name="Sample">Position as a 0-based sample index (the file stores it 1-based).</param>
/// <param name="Size">Length in samples (1 for an instant).</param>
/// <param name="Date">For <c>New Segment</c>: the recording's start, written as <c>yyyyMMddHHmmssffffff</c>; otherwise null.</param>
public sealed record BrainVisionMarker(string Type, string Description, long Sample, int Size = 1, DateTimeOffset? Date = null);

/// <summary>One channel of a BrainVision header.</summary>
/// <param name="Name">Channel name.</param>
/// <param name="Unit">Unit as written (<c>µV</c>, <c>mV</c>, <c>V</c>, …).</param>
/// <param name="Resolution">Stored value × resolution = value in <paramref name="Unit"/>.</param>
public sealed record BrainVisionChannel(string Name, string Unit, double Resolution = 1);

/// <summary>A BrainVision recording in memory: header fields, sample-major values in the channels' units, and markers.</summary>
/// <param name="Channels">Channels in file order.</param>
/// <param name="SamplingRateHz">Sampling rate.</param>
/// <param name="Values">Sample-major interleaved values (<c>sample * channels + channel</c>), in each channel's unit.</param>
/// <param name="Markers">Markers in file order.</param>
public sealed record BrainVisionData(IReadOnlyList<BrainVisionChannel> Channels, double SamplingRateHz, float[] Values, IReadOnlyList<BrainVisionMarker> Markers)
{
    /// <summary>Samples per channel.</summary>
    public int Samples => Channels.Count == 0 ? 0 : Values.Length / Channels.Count;
}

/// <summary>
/// Writes and reads the BrainVision Core Data Format 1.0 (<c>.vhdr</c> header, <c>.vmrk</c> markers, <c>.eeg</c>
/// binary), one of the formats EEG-BIDS accepts. Data are written as <c>IEEE_FLOAT_32</c>, multiplexed, resolution 1
/// in the recorded unit: an AcqService recording stores float32 samples, so this keeps every value bit for bit, with
/// no choice of scale and no clipping (int16 would need a per-channel resolution and lose what lies below it or
/// beyond ±32767 steps). Text files are UTF-8 and say so (<c>Codepage=UTF-8</c>), so <c>µV</c> survives.
/// Output is a pure function of the input (no export time or machine in it), so exporting twice gives identical files.
/// </summary>
public static class BrainVision
{
    private const string HeaderFirstLine = "Brain Vision Data Exchange Header File Version 1.0";
    private const string MarkerFirstLine = "Brain Vision Data Exchange Marker File, Version 1.0";

    /// <summary>The <c>.vhdr</c> text for data in <paramref name="dataFile"/> and markers in <paramref name="markerFile"/> (names relative to the header).</summary>
    public static string HeaderText(string dataFile, string markerFile, IReadOnlyList<BrainVisionChannel> channels, double samplingRateHz)
    {
        ArgumentNullException.ThrowIfNull(channels);
        var sb = new StringBuilder();
        sb.Append(HeaderFirstLine).Append("\r\n");
        sb.Append("; Written by AcqService (acq export-bids)\r\n\r\n");
        sb.Append("[Common Infos]\r\n");
        sb.Append("Codepage=UTF-8\r\n");
        sb.Append("DataFile=").Append(dataFile).Append("\r\n");
        sb.Append("MarkerFile=").Append(markerFile).Append("\r\n");
        sb.Append("DataFormat=BINARY\r\n");
        sb.Append("; Data orientation: MULTIPLEXED=ch1,pt1, ch2,pt1 ...\r\n");
        sb.Append("DataOrientation=MULTIPLEXED\r\n");
        sb.Append("NumberOfChannels=").Append(channels.Count.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        sb.Append("; Sampling interval in microseconds\r\n");
        sb.Append("SamplingInterval=").Append((1e6 / samplingRateHz).ToString("R", CultureInfo.InvariantCulture)).Append("\r\n\r\n");
        sb.Append("[Binary Infos]\r\n");
        sb.Append("BinaryFormat=IEEE_FLOAT_32\r\n\r\n");
        sb.Append("[Channel Infos]\r\n");
        sb.Append("; Each entry: Ch<Channel number>=<Name>,<Reference channel name>,\r\n");
        sb.Append("; <Resolution in \"Unit\">,<Unit>, Future extensions..\r\n");
        sb.Append("; Fields are delimited by commas, some fields might be omitted (empty).\r\n");
        sb.Append("; Commas in channel names are coded as \"\\1\".\r\n");
        for (int c = 0; c < channels.Count; c++)
        {
            BrainVisionChannel ch = channels[c];
            sb.Append(CultureInfo.InvariantCulture, $"Ch{c + 1}={Escape(ch.Name)},,{ch.Resolution.ToString("R", CultureInfo.InvariantCulture)},{ch.Unit}\r\n");
        }
        return sb.ToString();
    }

    /// <summary>The <c>.vmrk</c> text.</summary>
    public static string MarkerText(string dataFile, IReadOnlyList<BrainVisionMarker> markers)
    {
        ArgumentNullException.ThrowIfNull(markers);
        var sb = new StringBuilder();
        sb.Append(MarkerFirstLine).Append("\r\n");
        sb.Append("; Written by AcqService (acq export-bids)\r\n\r\n");
        sb.Append("[Common Infos]\r\n");
        sb.Append("Codepage=UTF-8\r\n");
        sb.Append("DataFile=").Append(dataFile).Append("\r\n\r\n");
        sb.Append("[Marker Infos]\r\n");
        sb.Append("; Each entry: Mk<Marker number>=<Type>,<Description>,<Position in data points>,\r\n");
        sb.Append("; <Size in data points>, <Channel number (0 = marker is related to all channels)>\r\n");
        sb.Append("; Fields are delimited by commas, some fields might be omitted (empty).\r\n");
        sb.Append("; Commas in type or description text are coded as \"\\1\".\r\n");
        for (int i = 0; i < markers.Count; i++)
        {
            BrainVisionMarker m = markers[i];
            sb.Append(CultureInfo.InvariantCulture, $"Mk{i + 1}={Escape(m.Type)},{Escape(m.Description)},{m.Sample + 1},{m.Size},0");
            if (m.Date is DateTimeOffset date)
            {
                sb.Append(',').Append(date.UtcDateTime.ToString("yyyyMMddHHmmssffffff", CultureInfo.InvariantCulture));
            }
            sb.Append("\r\n");
        }
        return sb.ToString();
    }

    /// <summary>The <c>.eeg</c> bytes: sample-major float32, little-endian (the format's byte order).</summary>
    public static byte[] DataBytes(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        }
        return bytes;
    }

    /// <summary>Reads a BrainVision recording (header, markers, float32 or int16 data) written by this class or others.</summary>
    /// <param name="vhdrPath">The header file; data and marker files are found through it.</param>
    /// <exception cref="InvalidDataException">Not a BrainVision header, or a layout this reader does not support (vectorized, ASCII).</exception>
    public static BrainVisionData Read(string vhdrPath)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(vhdrPath))!;
        Dictionary<string, Dictionary<string, string>> header = Sections(File.ReadAllLines(vhdrPath, Encoding.UTF8), HeaderFirstLine, vhdrPath);
        Dictionary<string, string> common = header.GetValueOrDefault("Common Infos") ?? throw new InvalidDataException($"{vhdrPath}: no [Common Infos]");
        if (common.GetValueOrDefault("DataOrientation", "MULTIPLEXED") != "MULTIPLEXED" || common.GetValueOrDefault("DataFormat", "BINARY") != "BINARY")
        {
            throw new InvalidDataException($"{vhdrPath}: only binary multiplexed data are supported");
        }
        int count = int.Parse(common["NumberOfChannels"], CultureInfo.InvariantCulture);
        double rate = 1e6 / double.Parse(common["SamplingInterval"], CultureInfo.InvariantCulture);
        Dictionary<string, string> infos = header.GetValueOrDefault("Channel Infos") ?? [];
        var channels = new BrainVisionChannel[count];
        for (int c = 0; c < count; c++)
        {
            string[] f = infos[$"Ch{c + 1}"].Split(',');
            double resolution = f.Length > 2 && f[2].Length > 0 ? double.Parse(f[2], CultureInfo.InvariantCulture) : 1;
            channels[c] = new BrainVisionChannel(Unescape(f[0]), f.Length > 3 && f[3].Length > 0 ? f[3] : "µV", resolution);
        }
        string format = header.GetValueOrDefault("Binary Infos")?.GetValueOrDefault("BinaryFormat") ?? "INT_16";
        byte[] bytes = File.ReadAllBytes(Path.Combine(folder, common["DataFile"]));
        float[] values;
        if (format == "IEEE_FLOAT_32")
        {
            values = new float[bytes.Length / 4];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)(BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4)) * channels[i % count].Resolution);
            }
        }
        else if (format == "INT_16")
        {
            values = new float[bytes.Length / 2];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)(BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(i * 2)) * channels[i % count].Resolution);
            }
        }
        else
        {
            throw new InvalidDataException($"{vhdrPath}: BinaryFormat {format} is not supported");
        }

        var markers = new List<BrainVisionMarker>();
        if (common.TryGetValue("MarkerFile", out string? markerFile))
        {
            string markerPath = Path.Combine(folder, markerFile);
            Dictionary<string, string> mk = Sections(File.ReadAllLines(markerPath, Encoding.UTF8), MarkerFirstLine, markerPath).GetValueOrDefault("Marker Infos") ?? [];
            for (int i = 1; mk.TryGetValue($"Mk{i}", out string? line); i++)
            {
                string[] f = line.Split(',');
                DateTimeOffset? date = f.Length > 5 && DateTime.TryParseExact(f[5], "yyyyMMddHHmmssffffff", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTime d) ? new DateTimeOffset(d, TimeSpan.Zero) : null;
                markers.Add(new BrainVisionMarker(Unescape(f[0]), Unescape(f[1]), long.Parse(f[2], CultureInfo.InvariantCulture) - 1,
                    f.Length > 3 && f[3].Length > 0 ? int.Parse(f[3], CultureInfo.InvariantCulture) : 1, date));
            }
        }
        return new BrainVisionData(channels, rate, values, markers);
    }

    private static string Escape(string text) => text.Replace(",", "\\1", StringComparison.Ordinal);

    private static string Unescape(string text) => text.Replace("\\1", ",", StringComparison.Ordinal);

    private static Dictionary<string, Dictionary<string, string>> Sections(string[] lines, string firstLine, string path)
    {
        if (lines.Length == 0 || !lines[0].TrimStart('\uFEFF').StartsWith(firstLine[..25], StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: not a BrainVision file");
        }
        var sections = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        Dictionary<string, string>? current = null;
        foreach (string raw in lines.Skip(1))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith(';'))
            {
                continue;
            }
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                sections[line[1..^1]] = current = new Dictionary<string, string>(StringComparer.Ordinal);
                continue;
            }
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (current is not null && eq > 0)
            {
                current[line[..eq]] = line[(eq + 1)..];
            }
        }
        return sections;
    }
}
