using System.Globalization;
using System.Xml.Linq;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Xdf;
using AcqService.Xdf;

namespace AcqService.Sinks.Snirf;

/// <summary>The SNIRF content taken from one fNIRS stream of a recording, and what the export had to assume.</summary>
/// <param name="Document">What to write.</param>
/// <param name="StreamName">The fNIRS stream used.</param>
/// <param name="Markers">Markers turned into stimuli.</param>
/// <param name="MarkersOutside">Markers left out because they fall before the first or after the last fNIRS frame.</param>
/// <param name="Warnings">Assumptions worth telling the user (e.g. no optode positions in the recording).</param>
public sealed record SnirfExport(SnirfDocument Document, string StreamName, int Markers, int MarkersOutside, IReadOnlyList<string> Warnings);

/// <summary>
/// Builds a <see cref="SnirfDocument"/> from an XDF recording: the fNIRS stream (type <c>NIRS</c>/<c>fNIRS</c>, or any
/// regular numeric stream whose <c>desc</c> carries a <see cref="NirsMontage"/>) with clock-synchronised, dejittered
/// timestamps (as pyxdf loads them), its montage from the stream description, and one stimulus per condition from
/// the marker streams (the recording's condition rules; a label's first <c>;</c>-field when no rule matches).
/// </summary>
public static class XdfSnirfExport
{
    /// <summary>Reads <paramref name="xdfPath"/> and builds the export of its fNIRS stream.</summary>
    /// <param name="xdfPath">The recording.</param>
    /// <param name="streamName">The fNIRS stream's name; null = the only fNIRS stream.</param>
    /// <exception cref="InvalidDataException">No fNIRS stream (or none with that name), several without a name, or a stream without usable channels.</exception>
    /// <exception cref="XdfFormatException">The file is not XDF.</exception>
    public static SnirfExport FromXdf(string xdfPath, string? streamName = null)
    {
        XdfFile file = XdfFile.Load(xdfPath);
        string available = string.Join(", ", file.Streams.Select(s => $"'{s.Header.Name}' ({s.Header.Type})"));
        XdfStream stream;
        if (streamName is not null)
        {
            stream = file.Streams.FirstOrDefault(s => s.Header.Name == streamName)
                ?? throw new InvalidDataException($"the recording has no stream named '{streamName}'; its streams: {available}");
        }
        else
        {
            XdfStream[] nirs = [.. file.Streams.Where(IsNirsStream)];
            if (nirs.Length == 0)
            {
                throw new InvalidDataException($"the recording has no fNIRS stream (type NIRS, or channels with source/detector/wavelength); its streams: {available}");
            }
            if (nirs.Length > 1)
            {
                throw new InvalidDataException($"the recording has {nirs.Length} fNIRS streams ({string.Join(", ", nirs.Select(s => $"'{s.Header.Name}'"))}); choose one with --stream NAME");
            }
            stream = nirs[0];
        }
        if (stream.NumericValues is null || !(stream.Header.NominalSrate > 0))
        {
            throw new InvalidDataException($"stream '{stream.Header.Name}' is not a regularly sampled numeric stream");
        }
        (XElement? desc, string[] labels, string[] units) = Describe(stream);
        NirsMontage montage;
        try
        {
            montage = NirsMontage.Parse(desc?.ToString(SaveOptions.DisableFormatting), labels)
                ?? throw new InvalidDataException($"stream '{stream.Header.Name}' has no fNIRS channels: no source/detector/wavelength in its description and no labels like 'S1-D1 760'");
        }
        catch (FormatException ex)
        {
            throw new InvalidDataException($"stream '{stream.Header.Name}': {ex.Message}", ex);
        }
        var warnings = new List<string>();
        if (montage.Channels.Any(c => c.Unit.Length == 0))
        {
            // Labels-only montages get their units from the header channels.
            montage = new NirsMontage([.. montage.Channels.Select(c => c.Unit.Length > 0 ? c : c with { Unit = units[c.StreamChannel] })], montage.Sources, montage.Detectors, montage.WavelengthsNm);
        }
        if (!montage.HasPositions)
        {
            warnings.Add("the recording has no optode positions for this stream; they are written as 0 (set them in MNE with raw.set_montage, in Homer with the probe editor)");
        }
        if (montage.WavelengthsNm.Count != 2)
        {
            warnings.Add($"the probe has {montage.WavelengthsNm.Count} wavelengths; MNE's read_raw_snirf reads only two-wavelength files");
        }
        if (stream.SampleCount == 0)
        {
            throw new InvalidDataException($"stream '{stream.Header.Name}' has no samples");
        }

        int channels = montage.Channels.Count;
        double first = stream.Timestamps[0];
        double[] time = [.. stream.Timestamps.Select(t => t - first)];
        var values = new double[stream.SampleCount * channels];
        for (int f = 0; f < stream.SampleCount; f++)
        {
            for (int c = 0; c < channels; c++)
            {
                values[(f * channels) + c] = stream.GetValue(f, montage.Channels[c].StreamChannel);
            }
        }

        RecordingMetadata? metadata = RecordingMetadata.FromFileHeader(file.FileHeaderXml);
        (List<SnirfStim> stims, int markers, int outside) = Stimuli(file, metadata, first, time[^1]);
        DateTimeOffset? startUtc = null;
        if (metadata?.StartedUtc is DateTimeOffset started)
        {
            // The header's start is at the session clock origin; the first fNIRS frame is that much later (or earlier).
            startUtc = metadata.ClockAtStart is double origin ? started.AddSeconds(first - origin) : started;
        }
        var extra = new Dictionary<string, string>();
        if (desc?.Element("manufacturer")?.Value is { Length: > 0 } manufacturer)
        {
            extra["ManufacturerName"] = manufacturer;
        }
        if (metadata?.SessionId is { Length: > 0 } session)
        {
            extra["SessionID"] = session;
        }
        var document = new SnirfDocument(montage, time, values)
        {
            Stims = stims,
            SubjectId = metadata?.SubjectId is { Length: > 0 } subject ? subject : "unknown",
            StartUtc = startUtc,
            ExtraTags = extra,
        };
        return new SnirfExport(document, stream.Header.Name, markers, outside, warnings);
    }

    /// <summary>True for a regularly sampled numeric stream that is fNIRS by type or by its channel description.</summary>
    public static bool IsNirsStream(XdfStream stream)
    {
        if (stream.Header.ChannelFormat == ChannelFormat.String || !(stream.Header.NominalSrate > 0))
        {
            return false;
        }
        if (stream.Header.Type.Equals("NIRS", StringComparison.OrdinalIgnoreCase) || stream.Header.Type.Equals("fNIRS", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        (XElement? desc, _, _) = Describe(stream);
        return desc?.Element("channels")?.Elements("channel").Any(c => c.Element("source") is not null && c.Element("wavelength") is not null) == true;
    }

    private static (XElement? Desc, string[] Labels, string[] Units) Describe(XdfStream stream)
    {
        XElement? desc = stream.Header.ParseXml()?.Element("desc");
        XElement[] listed = [.. desc?.Element("channels")?.Elements("channel") ?? []];
        string[] labels = new string[stream.ChannelCount], units = new string[stream.ChannelCount];
        for (int c = 0; c < labels.Length; c++)
        {
            labels[c] = c < listed.Length ? listed[c].Element("label")?.Value.Trim() ?? "" : "";
            units[c] = c < listed.Length ? listed[c].Element("unit")?.Value.Trim() ?? "" : "";
        }
        return (desc, labels, units);
    }

    private static (List<SnirfStim> Stims, int Markers, int Outside) Stimuli(XdfFile file, RecordingMetadata? metadata, double first, double span)
    {
        EventClassifier? classifier = metadata is { ConditionRules.Count: > 0 } ? new EventClassifier(metadata.ConditionRules) : null;
        var byName = new Dictionary<string, List<(double, double, double)>>(StringComparer.Ordinal);
        var order = new List<string>();
        int markers = 0, outside = 0;
        foreach (XdfStream s in file.Streams.Where(s => s.StringValues is not null && !XdfEvents.IsEventsStream(s.Header.Name, s.Header.Type)))
        {
            for (int i = 0; i < s.SampleCount; i++)
            {
                string label = s.GetString(i, 0);
                double onset = s.Timestamps[i] - first;
                // Half a frame of slack: a marker at the first frame's time may carry a slightly earlier timestamp.
                if (onset < -1e-6 || onset > span + 1e-6)
                {
                    outside++;
                    continue;
                }
                string name = classifier?.Classify(label) ?? label.Split(';')[0].Trim();
                if (name.Length == 0)
                {
                    continue;
                }
                if (!byName.TryGetValue(name, out List<(double, double, double)>? rows))
                {
                    byName[name] = rows = [];
                    order.Add(name);
                }
                // Duration 0 (an instant), amplitude 1: the SNIRF convention for event markers.
                rows.Add((Math.Max(0, onset), 0, 1));
                markers++;
            }
        }
        return ([.. order.Select(n => new SnirfStim(n, [.. byName[n].OrderBy(r => r.Item1)]))], markers, outside);
    }

    /// <summary>Human-readable one-line description of an export, for the command output.</summary>
    public static string Describe(SnirfExport export)
    {
        SnirfDocument d = export.Document;
        double rate = d.Frames > 1 ? (d.Frames - 1) / d.Time[^1] : 0;
        return string.Create(CultureInfo.InvariantCulture,
            $"stream '{export.StreamName}': {d.Montage.Channels.Count} channels ({d.Montage.Sources.Count} sources, {d.Montage.Detectors.Count} detectors, {string.Join("/", d.Montage.WavelengthsNm)} nm), "
            + $"{d.Frames} frames at {rate:F3} Hz, {export.Markers} markers in {d.Stims.Count} stimulus conditions");
    }
}
