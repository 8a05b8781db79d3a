using AcqService.Core.Model;

namespace AcqService.Xdf;

/// <summary>A whole XDF file loaded into memory with pyxdf-equivalent post-processing (see <see cref="Load(string, XdfLoadOptions?)"/>).</summary>
public sealed class XdfFile
{
    private XdfFile(string? fileHeaderXml, IReadOnlyList<XdfStream> streams, IReadOnlyList<XdfDiagnostic> diagnostics)
    {
        FileHeaderXml = fileHeaderXml;
        Streams = streams;
        Diagnostics = diagnostics;
    }

    /// <summary>The FileHeader XML, or null when the file has none.</summary>
    public string? FileHeaderXml { get; }

    /// <summary>Streams in the order of their StreamHeader chunks (pyxdf's output order).</summary>
    public IReadOnlyList<XdfStream> Streams { get; }

    /// <summary>Reader diagnostics (corruption found and how it was handled).</summary>
    public IReadOnlyList<XdfDiagnostic> Diagnostics { get; }

    /// <summary>Loads a file like pyxdf <c>load_xdf</c>: parse, then optionally truncate a corrupted last clock offset, synchronise clocks, and dejitter.</summary>
    /// <param name="path">File path.</param>
    /// <param name="options">Options; null for pyxdf defaults.</param>
    /// <returns>The loaded file.</returns>
    /// <exception cref="XdfFormatException">The file is not XDF (bad magic).</exception>
    public static XdfFile Load(string path, XdfLoadOptions? options = null)
    {
        using var reader = XdfReader.Open(path, (options ?? new XdfLoadOptions()).Reader);
        return Load(reader, options);
    }

    /// <summary>Loads from an open reader (consumes it to the end); see <see cref="Load(string, XdfLoadOptions?)"/>.</summary>
    /// <param name="reader">A reader positioned after the magic.</param>
    /// <param name="options">Options; null for pyxdf defaults.</param>
    /// <returns>The loaded file.</returns>
    public static XdfFile Load(XdfReader reader, XdfLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        options ??= new XdfLoadOptions();
        string? fileHeader = null;
        var builders = new Dictionary<uint, Builder>();
        var order = new List<uint>();
        while (reader.TryReadChunk(out var chunk))
        {
            switch (chunk)
            {
                case XdfFileHeaderChunk header:
                    fileHeader ??= header.Xml;
                    break;
                case XdfStreamHeaderChunk header when Selected(header.StreamId):
                    // A re-declared stream starts over, as in pyxdf.
                    if (!builders.ContainsKey(header.StreamId))
                    {
                        order.Add(header.StreamId);
                    }

                    builders[header.StreamId] = new Builder(header.Header);
                    break;
                case XdfSamplesChunk samples when builders.TryGetValue(samples.StreamId, out var builder):
                    builder.Timestamps.AddRange(samples.Timestamps);
                    if (samples.NumericValues is not null)
                    {
                        builder.Numeric.AddRange(samples.NumericValues);
                    }
                    else
                    {
                        builder.Strings.AddRange(samples.StringValues!);
                    }

                    break;
                case XdfClockOffsetChunk offset when builders.TryGetValue(offset.StreamId, out var builder):
                    builder.ClockTimes.Add(offset.CollectionTime);
                    builder.ClockValues.Add(offset.OffsetValue);
                    break;
                case XdfStreamFooterChunk footer when builders.TryGetValue(footer.StreamId, out var builder):
                    builder.Footer = footer.Footer;
                    break;
            }
        }

        var streams = new List<XdfStream>(order.Count);
        foreach (var id in order)
        {
            var stream = builders[id].Build();
            PostProcess(stream, options);
            streams.Add(stream);
        }

        var diagnostics = reader.Diagnostics.ToList();
        if (reader.SuppressedDiagnosticCount > 0)
        {
            diagnostics.Add(new XdfDiagnostic(reader.Position, $"{reader.SuppressedDiagnosticCount} further diagnostics suppressed"));
        }

        return new XdfFile(fileHeader, streams, diagnostics);

        bool Selected(uint id) => options.SelectStreams is null || options.SelectStreams.Contains(id);
    }

    /// <summary>Returns the first stream with the given name, or null.</summary>
    /// <param name="name">Stream name (ordinal comparison).</param>
    /// <returns>The stream or null.</returns>
    public XdfStream? FindStream(string name) => Streams.FirstOrDefault(s => s.Header.Name == name);

    /// <summary>Returns the stream with the given id, or null.</summary>
    /// <param name="streamId">Stream id.</param>
    /// <returns>The stream or null.</returns>
    public XdfStream? FindStream(uint streamId) => Streams.FirstOrDefault(s => s.StreamId == streamId);

    private static void PostProcess(XdfStream stream, XdfLoadOptions options)
    {
        if (options.SynchronizeClocks)
        {
            TruncateCorruptedLastOffset(stream);
            stream.ClockSegments = XdfClockSync.Synchronize(stream.Timestamps, stream.ClockTimes, stream.ClockValues, options.ClockSync);
        }

        var n = stream.SampleCount;
        var srate = stream.Header.NominalSrate;
        if (n == 0)
        {
            stream.EffectiveSrate = 0;
            stream.Segments = [];
            return;
        }

        if (!options.DejitterTimestamps)
        {
            stream.EffectiveSrate = srate != 0 ? XdfDejitter.RawEffectiveSrate(stream.Timestamps) : 0;
            stream.Segments = [new XdfSegment(0, n - 1)];
            return;
        }

        if (srate == 0)
        {
            stream.EffectiveSrate = 0;
            stream.Segments = [new XdfSegment(0, n - 1)];
            return;
        }

        if (stream.Header.CanDropSamples)
        {
            // Dropped frames would be smeared out by a line fit (pyxdf skips these streams too).
            stream.EffectiveSrate = XdfDejitter.RawEffectiveSrate(stream.Timestamps);
            stream.Segments = [new XdfSegment(0, n - 1)];
            return;
        }

        var result = XdfDejitter.Apply(stream.Timestamps, srate, options.Dejitter);
        stream.EffectiveSrate = result.EffectiveSrate;
        stream.Segments = result.Segments;
    }

    /// <summary>pylsl#67 / liblsl#246: drop the last offset and the extra samples only when both symptoms are present.</summary>
    private static void TruncateCorruptedLastOffset(XdfStream stream)
    {
        var footerCount = stream.Footer?.SampleCount;
        if (footerCount is null || stream.SampleCount <= footerCount.Value
            || !XdfClockSync.IsLastOffsetAnomalous(stream.ClockTimes, stream.ClockValues))
        {
            return;
        }

        var keep = (int)footerCount.Value;
        stream.ClockTimes = stream.ClockTimes[..^1];
        stream.ClockValues = stream.ClockValues[..^1];
        stream.Timestamps = stream.Timestamps[..keep];
        if (stream.NumericValues is not null)
        {
            stream.NumericValues = stream.NumericValues[..(keep * stream.ChannelCount)];
        }
        else
        {
            stream.StringValues = stream.StringValues![..(keep * stream.ChannelCount)];
        }
    }

    /// <summary>Per-stream accumulation while reading.</summary>
    private sealed class Builder(XdfStreamHeader header)
    {
        public List<double> Timestamps { get; } = [];

        public List<double> Numeric { get; } = [];

        public List<string> Strings { get; } = [];

        public List<double> ClockTimes { get; } = [];

        public List<double> ClockValues { get; } = [];

        public XdfStreamFooter? Footer { get; set; }

        public XdfStream Build() => new(
            header,
            [.. Timestamps],
            header.ChannelFormat == ChannelFormat.String ? null : [.. Numeric],
            header.ChannelFormat == ChannelFormat.String ? [.. Strings] : null,
            [.. ClockTimes],
            [.. ClockValues],
            Footer);
    }
}
