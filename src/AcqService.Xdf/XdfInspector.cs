namespace AcqService.Xdf;

/// <summary>Summarises an XDF file in one streaming pass with memory bounded by the largest chunk.</summary>
public static class XdfInspector
{
    /// <summary>Most distinct marker labels kept per stream, so a stream of unique strings cannot grow memory.</summary>
    public const int MaxDistinctLabels = 20;

    /// <summary>Inspects a file.</summary>
    /// <param name="path">File path.</param>
    /// <param name="options">Reader options; null for defaults.</param>
    /// <returns>The summary.</returns>
    /// <exception cref="XdfFormatException">The file is not XDF.</exception>
    public static XdfSummary Inspect(string path, XdfReaderOptions? options = null)
    {
        using var reader = XdfReader.Open(path, options);
        return Inspect(reader);
    }

    /// <summary>Inspects the remaining chunks of a reader.</summary>
    /// <param name="reader">An open reader.</param>
    /// <returns>The summary.</returns>
    public static XdfSummary Inspect(XdfReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        string? fileHeader = null;
        long chunks = 0;
        var stats = new Dictionary<uint, Accumulator>();
        var order = new List<uint>();
        while (reader.TryReadChunk(out var chunk))
        {
            chunks++;
            switch (chunk)
            {
                case XdfFileHeaderChunk header:
                    fileHeader ??= header.Xml;
                    break;
                case XdfStreamHeaderChunk header:
                    if (!stats.ContainsKey(header.StreamId))
                    {
                        order.Add(header.StreamId);
                    }

                    stats[header.StreamId] = new Accumulator(header.Header);
                    break;
                case XdfSamplesChunk samples when stats.TryGetValue(samples.StreamId, out var acc):
                    acc.Add(samples);
                    break;
                case XdfClockOffsetChunk offset when stats.TryGetValue(offset.StreamId, out var acc):
                    acc.AddOffset(offset.OffsetValue);
                    break;
                case XdfStreamFooterChunk footer when stats.TryGetValue(footer.StreamId, out var acc):
                    acc.Footer = footer.Footer;
                    break;
            }
        }

        var diagnostics = reader.Diagnostics.ToList();
        if (reader.SuppressedDiagnosticCount > 0)
        {
            diagnostics.Add(new XdfDiagnostic(reader.Position, $"{reader.SuppressedDiagnosticCount} further diagnostics suppressed"));
        }

        return new XdfSummary
        {
            FileLength = reader.Length,
            ChunkCount = chunks,
            FileHeaderXml = fileHeader,
            Streams = [.. order.Select(id => stats[id].ToSummary())],
            Diagnostics = diagnostics,
        };
    }

    /// <summary>Running per-stream statistics.</summary>
    private sealed class Accumulator(XdfStreamHeader header)
    {
        private readonly List<string> _labels = [];
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
        private long _count;
        private double _first;
        private double _last;
        private long _gaps;
        private long _backward;
        private double _largest;
        private long _markers;
        private int _offsets;
        private double _offsetSum;
        private double _offsetMin = double.PositiveInfinity;
        private double _offsetMax = double.NegativeInfinity;

        public XdfStreamFooter? Footer { get; set; }

        public void Add(XdfSamplesChunk samples)
        {
            var gap = header.NominalSrate > 0 ? 2.0 / header.NominalSrate : double.PositiveInfinity;
            foreach (var t in samples.Timestamps)
            {
                if (_count == 0)
                {
                    _first = t;
                }
                else
                {
                    var dt = t - _last;
                    _largest = Math.Max(_largest, dt);
                    if (dt > gap)
                    {
                        _gaps++;
                    }
                    else if (dt < 0)
                    {
                        _backward++;
                    }
                }

                _last = t;
                _count++;
            }

            if (samples.StringValues is { } values)
            {
                _markers += values.Length;
                foreach (var value in values)
                {
                    if (_labels.Count >= MaxDistinctLabels)
                    {
                        break;
                    }

                    if (_seen.Add(value))
                    {
                        _labels.Add(value);
                    }
                }
            }
        }

        public void AddOffset(double value)
        {
            _offsets++;
            _offsetSum += value;
            _offsetMin = Math.Min(_offsetMin, value);
            _offsetMax = Math.Max(_offsetMax, value);
        }

        public XdfStreamSummary ToSummary() => new()
        {
            Header = header,
            SampleCount = _count,
            FirstTimestamp = _count > 0 ? _first : null,
            LastTimestamp = _count > 0 ? _last : null,
            EffectiveSrate = header.NominalSrate > 0 && _count > 1 && _last != _first ? (_count - 1) / (_last - _first) : 0,
            GapCount = _gaps,
            LargestInterval = _largest,
            BackwardStepCount = _backward,
            MarkerCount = _markers,
            FirstDistinctLabels = [.. _labels],
            ClockOffsetCount = _offsets,
            ClockOffsetMean = _offsets > 0 ? _offsetSum / _offsets : null,
            ClockOffsetMin = _offsets > 0 ? _offsetMin : null,
            ClockOffsetMax = _offsets > 0 ? _offsetMax : null,
            Footer = Footer,
        };
    }
}
