using System.Globalization;
using System.Xml.Linq;
using AcqService.Core.Model;
using AcqService.Sources.Xdf;
using AcqService.Xdf;

namespace AcqService.Sinks.Bids;

/// <summary>A regularly sampled numeric stream of a recording, with its raw values and its sample times on the aligned clock.</summary>
/// <param name="Header">The stream's XDF header.</param>
/// <param name="Key">Stream key (<c>desc/acqservice/key</c>, else the lower-cased type).</param>
/// <param name="Labels">Channel labels (<c>ch1</c>… when the header has none).</param>
/// <param name="Units">Channel units as recorded (may be empty).</param>
/// <param name="Types">Channel types as recorded (may be empty).</param>
/// <param name="Values">Sample-major values as stored in the file (float32 streams: exactly).</param>
/// <param name="Times">
/// Per sample: raw timestamp + the stream's latest clock offset in file order, kept non-decreasing — the times the
/// live aligner gave these samples.
/// </param>
/// <param name="Gaps">0-based sample indices at which the timestamps jump by more than 2.5 sample periods, with the missing time in seconds.</param>
public sealed record AlignedSignal(XdfStreamHeader Header, string Key, IReadOnlyList<string> Labels, IReadOnlyList<string> Units, IReadOnlyList<string> Types,
    float[] Values, double[] Times, IReadOnlyList<(long Sample, double MissingSeconds)> Gaps)
{
    /// <summary>Number of samples.</summary>
    public int SampleCount => Times.Length;

    /// <summary>Index of the first sample whose time is at or after <paramref name="time"/> (the aligner's placement rule); <see cref="SampleCount"/> when none.</summary>
    public int PlaceAt(double time)
    {
        int lo = 0, hi = Times.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Times[mid] < time)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }
}

/// <summary>A marker of a recording on the aligned clock.</summary>
/// <param name="StreamKey">Key of its marker stream.</param>
/// <param name="Label">The marker text (numeric marker streams: the value).</param>
/// <param name="Code">The numeric code it carried (from the events stream, or the value of a numeric marker stream), or null.</param>
/// <param name="Time">Raw timestamp + the marker stream's latest clock offset in file order.</param>
public sealed record AlignedMarker(string StreamKey, string Label, int? Code, double Time);

/// <summary>
/// Reads an XDF recording the way a replay feeds the live pipeline: chunks in file order, each stream's times
/// corrected by the latest clock offset seen so far for that stream (raw + offset, not pyxdf's regression or
/// dejitter), so marker positions come out as the aligner placed them during the session. Values are kept as
/// stored; marker codes come from the "AcqService events" stream.
/// </summary>
public sealed class AlignedRecording
{
    private AlignedRecording(string? fileHeaderXml, IReadOnlyList<AlignedSignal> signals, IReadOnlyList<AlignedMarker> markers, IReadOnlyList<XdfDiagnostic> diagnostics)
    {
        FileHeaderXml = fileHeaderXml;
        Metadata = RecordingMetadata.FromFileHeader(fileHeaderXml);
        Signals = signals;
        Markers = markers;
        Diagnostics = diagnostics;
    }

    /// <summary>The FileHeader XML, or null.</summary>
    public string? FileHeaderXml { get; }

    /// <summary>AcqService metadata of the header (subject, session, protocol, condition rules), or null for other writers' files.</summary>
    public RecordingMetadata? Metadata { get; }

    /// <summary>Regularly sampled numeric streams, in header order.</summary>
    public IReadOnlyList<AlignedSignal> Signals { get; }

    /// <summary>Markers of every marker stream, in file order.</summary>
    public IReadOnlyList<AlignedMarker> Markers { get; }

    /// <summary>Damage the reader found (byte offsets); empty for a clean file.</summary>
    public IReadOnlyList<XdfDiagnostic> Diagnostics { get; }

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="XdfFormatException">Not an XDF file.</exception>
    public static AlignedRecording Read(string path)
    {
        using XdfReader reader = XdfReader.Open(path);
        string? fileHeader = null;
        var streams = new Dictionary<uint, Building>();
        var order = new List<uint>();
        var markers = new List<AlignedMarker>();
        // The recorder writes a label's code into the events stream right before the marker that first carries it.
        var codes = new Dictionary<(string Stream, string Label), int?>();
        while (reader.TryReadChunk(out XdfChunk? chunk))
        {
            switch (chunk)
            {
                case XdfFileHeaderChunk h:
                    fileHeader ??= h.Xml;
                    break;
                case XdfStreamHeaderChunk h when !streams.ContainsKey(h.StreamId):
                    streams[h.StreamId] = new Building(h.Header);
                    order.Add(h.StreamId);
                    break;
                case XdfClockOffsetChunk o when streams.TryGetValue(o.StreamId, out Building? b):
                    b.Offset = o.OffsetValue;
                    break;
                case XdfSamplesChunk s when streams.TryGetValue(s.StreamId, out Building? b):
                    if (b.Role == Role.Events)
                    {
                        foreach (string text in s.StringValues ?? [])
                        {
                            if (XdfEvents.TryParse(text, out XdfEvents.Entry e) && e.Event == "code")
                            {
                                codes[(e.Stream, e.Label)] = e.Code;
                            }
                        }
                    }
                    else if (b.Role == Role.Markers)
                    {
                        for (int i = 0; i < s.SampleCount; i++)
                        {
                            string label;
                            int? code;
                            if (s.StringValues is not null)
                            {
                                label = s.StringValues[i * s.ChannelCount];
                                code = codes.GetValueOrDefault((b.Key, label));
                            }
                            else
                            {
                                double v = s.NumericValues![i * s.ChannelCount];
                                label = v.ToString("R", CultureInfo.InvariantCulture);
                                code = v == Math.Floor(v) && Math.Abs(v) < int.MaxValue ? (int)v : null;
                            }
                            markers.Add(new AlignedMarker(b.Key, label, code, s.Timestamps[i] + b.Offset));
                        }
                    }
                    else if (b.Role == Role.Signal)
                    {
                        b.Add(s);
                    }
                    break;
            }
        }
        var diagnostics = reader.Diagnostics.ToList();
        return new AlignedRecording(fileHeader, [.. order.Select(id => streams[id]).Where(b => b.Role == Role.Signal).Select(b => b.Build())], markers, diagnostics);
    }

    private enum Role
    {
        Signal,
        Markers,
        Events,
        Other,
    }

    private sealed class Building
    {
        private readonly List<float> _values = [];
        private readonly List<double> _times = [];
        private readonly List<(long, double)> _gaps = [];
        private double _previousRaw = double.NaN;

        public Building(XdfStreamHeader header)
        {
            Header = header;
            XElement? root = header.ParseXml();
            XElement? desc = root?.Element("desc");
            Key = desc?.Element("acqservice")?.Element("key")?.Value.Trim() is { Length: > 0 } key ? key : header.Type.ToLowerInvariant();
            XElement[] channels = [.. desc?.Element("channels")?.Elements("channel") ?? []];
            Labels = [.. Enumerable.Range(0, header.ChannelCount).Select(c => c < channels.Length && channels[c].Element("label")?.Value.Trim() is { Length: > 0 } l ? l : $"ch{c + 1}")];
            Units = [.. Enumerable.Range(0, header.ChannelCount).Select(c => c < channels.Length ? channels[c].Element("unit")?.Value.Trim() ?? "" : "")];
            Types = [.. Enumerable.Range(0, header.ChannelCount).Select(c => c < channels.Length ? channels[c].Element("type")?.Value.Trim() ?? "" : "")];
            Role = XdfEvents.IsEventsStream(header.Name, header.Type) ? Role.Events
                : header.ChannelFormat == ChannelFormat.String || header.NominalSrate <= 0 ? (header.ChannelCount >= 1 ? Role.Markers : Role.Other)
                : Role.Signal;
        }

        public XdfStreamHeader Header { get; }

        public string Key { get; }

        public Role Role { get; }

        public string[] Labels { get; }

        public string[] Units { get; }

        public string[] Types { get; }

        public double Offset { get; set; }

        public void Add(XdfSamplesChunk chunk)
        {
            double period = 1.0 / Header.NominalSrate;
            for (int i = 0; i < chunk.SampleCount; i++)
            {
                double raw = chunk.Timestamps[i];
                if (!double.IsNaN(_previousRaw) && raw - _previousRaw > 2.5 * period)
                {
                    _gaps.Add((_times.Count, raw - _previousRaw - period));
                }
                double t = raw + Offset;
                // Non-decreasing, as the aligner keeps its sample times (jitter never reorders samples).
                if (_times.Count > 0 && t < _times[^1])
                {
                    t = _times[^1];
                }
                _times.Add(t);
                _previousRaw = raw;
                for (int c = 0; c < chunk.ChannelCount; c++)
                {
                    _values.Add((float)chunk.NumericValues![(i * chunk.ChannelCount) + c]);
                }
            }
        }

        public AlignedSignal Build() => new(Header, Key, Labels, Units, Types, [.. _values], [.. _times], _gaps);
    }
}
