using System.Globalization;
using System.Xml.Linq;
using AcqService.Core.Model;
using AcqService.Xdf;
using Microsoft.Extensions.Logging;

namespace AcqService.Sources.Xdf;

/// <summary>
/// Opens a recording for replay: reads its headers (not its data) so the session can register the streams
/// before it runs, picks the signal and marker streams, and maps them to <see cref="StreamDescriptor"/>s.
/// </summary>
public static class XdfReplayFactory
{
    /// <summary>Reads the headers of <paramref name="path"/> and returns a source ready to be added to a session.</summary>
    /// <param name="path">XDF file.</param>
    /// <param name="options">Stream selection and pace; defaults: EEG and Markers by type, fast.</param>
    /// <param name="logger">Logger for diagnostics of damaged files.</param>
    /// <exception cref="InvalidDataException">Not an XDF file, or no usable signal stream; the message names the file and the streams it has.</exception>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public static XdfReplaySource Open(string path, XdfReplayOptions? options = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new XdfReplayOptions();
        string[] problems = [.. options.Validate()];
        if (problems.Length > 0)
        {
            throw new ArgumentException("invalid replay settings: " + string.Join("; ", problems), nameof(options));
        }
        string full = Path.GetFullPath(path);
        string? fileHeader = null;
        var headers = new List<XdfStreamHeader>();
        using (XdfReader reader = OpenReader(full))
        {
            // Writers put every header first (LabRecorder waits for all of them); a stream discovered later is
            // declared mid-file, so keep looking past the data only while no signal stream has been found.
            while (reader.TryReadChunk(out XdfChunk? chunk))
            {
                if (chunk is XdfFileHeaderChunk fh)
                {
                    fileHeader ??= fh.Xml;
                }
                else if (chunk is XdfStreamHeaderChunk sh)
                {
                    headers.RemoveAll(h => h.StreamId == sh.StreamId);
                    headers.Add(sh.Header);
                }
                else if (chunk is XdfSamplesChunk && headers.Any(h => IsSignal(h, options)))
                {
                    break;
                }
            }
        }

        var streams = new List<XdfReplaySource.ReplayStream>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (XdfStreamHeader header in headers)
        {
            bool signal = IsSignal(header, options);
            bool markers = !signal && IsMarkers(header, options);
            if (signal || markers)
            {
                streams.Add(new XdfReplaySource.ReplayStream(header.StreamId, Map(header, markers, keys)));
            }
        }
        uint? events = headers.FirstOrDefault(h => XdfEvents.IsEventsStream(h.Name, h.Type))?.StreamId;
        string available = headers.Count == 0 ? "none" : string.Join(", ", headers.Select(h => $"'{h.Name}' ({h.Type}, {ChannelFormats.ToName(h.ChannelFormat)}, {h.NominalSrate.ToString(CultureInfo.InvariantCulture)} Hz)"));
        foreach (string name in options.SignalStreamNames.Concat(options.MarkerStreamNames))
        {
            if (!headers.Any(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                throw new InvalidDataException($"'{full}' has no stream named '{name}'; its streams: {available}");
            }
        }
        if (!streams.Any(s => s.Descriptor.Kind == StreamKind.Signal))
        {
            string wanted = options.SignalStreamNames.Count > 0 ? "named " + string.Join("/", options.SignalStreamNames) : "of type " + string.Join("/", options.SignalTypes);
            throw new InvalidDataException($"'{full}' has no numeric, regularly sampled stream {wanted}; its streams: {available}");
        }
        return new XdfReplaySource(full, options, fileHeader, streams, events, logger);
    }

    internal static XdfReader OpenReader(string path, XdfReaderOptions? options = null)
    {
        try
        {
            return XdfReader.Open(path, options);
        }
        catch (XdfFormatException ex)
        {
            throw new InvalidDataException($"'{path}' is not an XDF file: {ex.Message}", ex);
        }
    }

    private static bool NamedIn(XdfStreamHeader header, List<string> names) => names.Any(n => string.Equals(n, header.Name, StringComparison.OrdinalIgnoreCase));

    private static bool IsSignal(XdfStreamHeader header, XdfReplayOptions options)
    {
        bool chosen = options.SignalStreamNames.Count > 0 ? NamedIn(header, options.SignalStreamNames) : options.SignalTypes.Any(t => string.Equals(t, header.Type, StringComparison.OrdinalIgnoreCase));
        return chosen && header.ChannelFormat != ChannelFormat.String && header.NominalSrate > 0;
    }

    private static bool IsMarkers(XdfStreamHeader header, XdfReplayOptions options)
    {
        if (XdfEvents.IsEventsStream(header.Name, header.Type))
        {
            return false;
        }
        bool chosen = options.MarkerStreamNames.Count > 0 ? NamedIn(header, options.MarkerStreamNames) : options.MarkerTypes.Any(t => string.Equals(t, header.Type, StringComparison.OrdinalIgnoreCase));
        return chosen && (header.ChannelFormat == ChannelFormat.String || header.NominalSrate == 0);
    }

    private static StreamDescriptor Map(XdfStreamHeader header, bool markers, HashSet<string> keys)
    {
        XElement? info = header.ParseXml();
        XElement? desc = info?.Element("desc");
        string? recordedKey = desc?.Element("acqservice")?.Element("key")?.Value.Trim();
        string key = string.IsNullOrEmpty(recordedKey) ? (header.Type.Length > 0 ? header.Type.ToLowerInvariant() : "stream" + header.StreamId.ToString(CultureInfo.InvariantCulture)) : recordedKey;
        string unique = key;
        for (int n = 2; !keys.Add(unique); n++)
        {
            unique = key + "_" + n.ToString(CultureInfo.InvariantCulture);
        }

        XElement[] described = [.. desc?.Element("channels")?.Elements("channel") ?? []];
        var channels = new List<ChannelDescriptor>(header.ChannelCount);
        for (int c = 0; c < header.ChannelCount; c++)
        {
            // Files without a (complete) channel list still replay, with numbered labels.
            XElement? channel = described.Length == header.ChannelCount ? described[c] : null;
            string label = channel?.Element("label")?.Value.Trim() ?? "";
            channels.Add(new ChannelDescriptor(
                label.Length > 0 ? label : "Ch" + (c + 1).ToString(CultureInfo.InvariantCulture),
                channel?.Element("unit")?.Value.Trim() ?? "",
                channel?.Element("type")?.Value.Trim() is { Length: > 0 } type ? type : header.Type));
        }
        return new StreamDescriptor(unique, markers ? StreamKind.Markers : StreamKind.Signal, header.Name, header.Type, channels,
            markers ? 0 : header.NominalSrate, header.ChannelFormat, info?.Element("source_id")?.Value.Trim() ?? "")
        {
            DescriptionXml = desc?.ToString(SaveOptions.DisableFormatting),
        };
    }
}
