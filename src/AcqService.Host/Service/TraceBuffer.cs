using AcqService.Core.Model;
using AcqService.Core.Pipeline;

namespace AcqService.Host.Service;

/// <summary>
/// Live traces for the dashboard, decimated on the server: a display tap (it drops rather than slows the session)
/// that averages each signal stream down to about <see cref="TargetRateHz"/> points per second (boxcar over whole
/// blocks of samples) and keeps the last <see cref="WindowSeconds"/> of them, plus the latest markers. 64 channels at
/// 1 kHz become 64 × 100 points per second for the page. Steady state allocates nothing: the rings are sized once.
/// </summary>
public sealed class TraceBuffer : IRawSink
{
    /// <summary>Display points per second per channel (at most).</summary>
    public const double TargetRateHz = 100;

    /// <summary>Seconds of trace kept.</summary>
    public const double WindowSeconds = 30;

    /// <summary>Markers kept.</summary>
    public const int MarkerCapacity = 256;

    private readonly StreamRegistry _streams;
    private readonly double _sessionStart;
    private readonly StreamTrace?[] _traces;
    private readonly double[] _offsets;
    private readonly (double Time, string Label, string Stream)[] _markers = new (double, string, string)[MarkerCapacity];
    private readonly Lock _markerGate = new();
    private long _markerCount;

    /// <summary>Creates the buffer for a session's streams.</summary>
    /// <param name="streams">The session's registered streams.</param>
    /// <param name="sessionStart">Session clock at start (trace times are relative to it).</param>
    public TraceBuffer(StreamRegistry streams, double sessionStart)
    {
        _streams = streams;
        _sessionStart = sessionStart;
        _traces = new StreamTrace?[streams.Count];
        _offsets = new double[streams.Count];
        for (int i = 0; i < streams.Count; i++)
        {
            StreamDescriptor s = streams[i];
            if (s.Kind == StreamKind.Signal && s.NominalRateHz > 0)
            {
                _traces[i] = new StreamTrace(s);
            }
        }
    }

    /// <inheritdoc />
    public string Name => "dashboard traces";

    /// <summary>Signal streams with a trace.</summary>
    public IEnumerable<StreamDescriptor> Streams => _traces.Where(t => t is not null).Select(t => t!.Stream);

    /// <inheritdoc />
    public async Task RunAsync(Edge<SourceItem> input, CancellationToken cancellationToken)
    {
        await foreach (SourceItem item in input.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            switch (item.Kind)
            {
                case SourceItemKind.Samples:
                    SampleChunk chunk = item.Chunk!;
                    try
                    {
                        _traces[chunk.Stream]?.Append(chunk, _offsets[chunk.Stream] - _sessionStart);
                    }
                    finally
                    {
                        chunk.Release();
                    }
                    break;
                case SourceItemKind.ClockOffset:
                    _offsets[item.Stream] = item.Offset.Offset;
                    break;
                case SourceItemKind.Marker:
                    lock (_markerGate)
                    {
                        _markers[_markerCount % MarkerCapacity] = (item.Marker.Timestamp + _offsets[item.Stream] - _sessionStart, item.Marker.Label, _streams[item.Stream].Key);
                        _markerCount++;
                    }
                    break;
            }
        }
    }

    /// <summary>The last <paramref name="seconds"/> of a stream's trace for the given channels, and the markers in that span.</summary>
    /// <exception cref="StationException">Unknown stream or channel (400).</exception>
    public TraceWindow Window(string? streamKey, IReadOnlyList<string>? channels, double seconds)
    {
        StreamTrace trace = (streamKey is null
            ? _traces.FirstOrDefault(t => t is not null && string.Equals(t.Stream.Type, "EEG", StringComparison.OrdinalIgnoreCase)) ?? _traces.FirstOrDefault(t => t is not null)
            : _traces.FirstOrDefault(t => t is not null && t.Stream.Key == streamKey))
            ?? throw new StationException(streamKey is null ? 404 : 400, streamKey is null ? "the session has no signal stream" : $"no signal stream '{streamKey}' (streams: {string.Join(", ", Streams.Select(s => s.Key))})");
        int[] picked = channels is null || channels.Count == 0
            ? [.. Enumerable.Range(0, Math.Min(8, trace.Stream.ChannelCount))]
            : [.. channels.Select(c => trace.Stream.IndexOfChannel(c) is int i and >= 0 ? i : throw new StationException(400, $"stream '{trace.Stream.Key}' has no channel '{c}'"))];
        (double[] times, double[][] values) = trace.Read(picked, seconds);
        double from = times.Length > 0 ? times[0] : double.NegativeInfinity;
        var markers = new List<TraceMarker>();
        lock (_markerGate)
        {
            long first = Math.Max(0, _markerCount - MarkerCapacity);
            for (long k = first; k < _markerCount; k++)
            {
                (double time, string label, string stream) = _markers[k % MarkerCapacity];
                if (time >= from)
                {
                    markers.Add(new TraceMarker(time, label, stream));
                }
            }
        }
        return new TraceWindow(trace.Stream.Key, trace.Stream.Type, trace.DisplayRateHz, [.. picked.Select(c => trace.Stream.Channels[c].Label)],
            [.. picked.Select(c => trace.Stream.Channels[c].Unit)], times, values, markers, [.. trace.Stream.Channels.Select(c => c.Label)], [.. Streams.Select(s => s.Key)]);
    }

    /// <summary>One stream's decimated ring.</summary>
    private sealed class StreamTrace
    {
        private readonly Lock _gate = new();
        private readonly int _factor;
        private readonly int _channels;
        private readonly int _capacity;
        private readonly double[] _times;
        private readonly double[] _values;
        private readonly double[] _sum;
        private double _timeSum;
        private int _inBlock;
        private long _count;

        public StreamTrace(StreamDescriptor stream)
        {
            Stream = stream;
            _factor = Math.Max(1, (int)Math.Round(stream.NominalRateHz / TargetRateHz));
            DisplayRateHz = stream.NominalRateHz / _factor;
            _channels = stream.ChannelCount;
            _capacity = (int)Math.Ceiling(WindowSeconds * DisplayRateHz) + 1;
            _times = new double[_capacity];
            _values = new double[_capacity * _channels];
            _sum = new double[_channels];
        }

        public StreamDescriptor Stream { get; }

        public double DisplayRateHz { get; }

        public void Append(SampleChunk chunk, double timeShift)
        {
            ReadOnlySpan<double> data = chunk.Values;
            ReadOnlySpan<double> stamps = chunk.Times;
            lock (_gate)
            {
                for (int k = 0; k < stamps.Length; k++)
                {
                    ReadOnlySpan<double> frame = data.Slice(k * _channels, _channels);
                    for (int c = 0; c < _channels; c++)
                    {
                        _sum[c] += frame[c];
                    }
                    _timeSum += stamps[k] + timeShift;
                    if (++_inBlock < _factor)
                    {
                        continue;
                    }
                    int slot = (int)(_count % _capacity);
                    double inverse = 1.0 / _factor;
                    _times[slot] = _timeSum * inverse;
                    Span<double> target = _values.AsSpan(slot * _channels, _channels);
                    for (int c = 0; c < _channels; c++)
                    {
                        target[c] = _sum[c] * inverse;
                        _sum[c] = 0;
                    }
                    _timeSum = 0;
                    _inBlock = 0;
                    _count++;
                }
            }
        }

        public (double[] Times, double[][] Values) Read(int[] channels, double seconds)
        {
            lock (_gate)
            {
                int available = (int)Math.Min(_count, _capacity);
                int wanted = Math.Min(available, (int)Math.Ceiling(seconds * DisplayRateHz));
                var times = new double[wanted];
                double[][] values = [.. channels.Select(_ => new double[wanted])];
                for (int i = 0; i < wanted; i++)
                {
                    int slot = (int)((_count - wanted + i) % _capacity);
                    times[i] = _times[slot];
                    for (int c = 0; c < channels.Length; c++)
                    {
                        values[c][i] = _values[(slot * _channels) + channels[c]];
                    }
                }
                return (times, values);
            }
        }
    }
}

/// <summary>A stretch of live trace.</summary>
/// <param name="Stream">Stream key.</param>
/// <param name="Type">Stream type (EEG, NIRS…).</param>
/// <param name="RateHz">Display points per second.</param>
/// <param name="Channels">Channels returned.</param>
/// <param name="Units">Their units.</param>
/// <param name="Times">Session time of each point (seconds).</param>
/// <param name="Values">Per channel, the block means.</param>
/// <param name="Markers">Markers in the span (session time).</param>
/// <param name="AllChannels">Every channel of the stream (for the channel picker).</param>
/// <param name="AllStreams">Every signal stream with a trace (EEG, fNIRS…), for the stream picker.</param>
public sealed record TraceWindow(string Stream, string Type, double RateHz, IReadOnlyList<string> Channels, IReadOnlyList<string> Units, double[] Times, double[][] Values,
    IReadOnlyList<TraceMarker> Markers, IReadOnlyList<string> AllChannels, IReadOnlyList<string> AllStreams);

/// <summary>A marker on the trace.</summary>
/// <param name="Time">Session time (seconds).</param>
/// <param name="Label">Label.</param>
/// <param name="Stream">Marker stream key.</param>
public sealed record TraceMarker(double Time, string Label, string Stream);
