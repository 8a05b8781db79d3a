using System.Diagnostics;
using System.Globalization;
using AcqService.Core.Model;

namespace AcqService.Core.Pipeline;

/// <summary>
/// Puts markers and signals on one clock. Owns all alignment state and is driven by one task
/// (<see cref="AlignerStage"/>), so it needs no locks: per signal stream a ring of local-clock sample times,
/// the running sample count and the latest clock offset; per marker stream its clock offset; and the
/// markers still waiting for their data.
/// <para>
/// A marker is placed on each signal stream at the first sample whose corrected time is at or after the
/// marker's corrected time (corrected = raw + that stream's latest clock offset). Markers may arrive before
/// their data (they wait), after it (looked up in the ring), and in any chunking; the result depends only on
/// the timestamps. Every marker produces exactly one <see cref="AlignedEvent"/> per signal stream, placed or
/// with a drop reason.
/// </para>
/// <para>
/// Gaps are judged on each signal stream's raw timestamps against its own expected timeline
/// (<see cref="StreamTimeline"/>): a sample is the first after a gap when it is later than expected by more than
/// <c>max(GapThresholdPeriods × period, GapJitterFactor × measured jitter)</c>. Timestamp jitter, even of several
/// periods, is therefore not a gap, and clock-offset updates (which shift corrected times) cannot create one.
/// A marker is dropped as "in a data gap" only when the sample it lands on is the first after a gap and it is
/// more than <see cref="AlignerOptions.MaxPlacementLagPeriods"/> periods later than the marker.
/// </para>
/// </summary>
public sealed class Aligner
{
    private readonly StreamRegistry _streams;
    private readonly AlignerOptions _options;
    private readonly EventClassifier _classifier;
    private readonly StreamState[] _state;
    private readonly int[] _signalStreams;

    /// <summary>Creates an aligner for the registered streams.</summary>
    public Aligner(StreamRegistry streams, AlignerOptions options, EventClassifier classifier)
    {
        _streams = streams;
        _options = options;
        _classifier = classifier;
        _state = new StreamState[streams.Count];
        var signals = new List<int>();
        for (int i = 0; i < streams.Count; i++)
        {
            StreamDescriptor stream = streams[i];
            _state[i] = new StreamState(stream, options);
            if (stream.Kind == StreamKind.Signal)
            {
                signals.Add(i);
            }
        }
        _signalStreams = [.. signals];
    }

    /// <summary>The classifier used for conditions.</summary>
    public EventClassifier Classifier => _classifier;

    /// <summary>Total samples seen on a stream.</summary>
    public long SampleCount(int stream) => _state[stream].Total;

    /// <summary>Current clock offset of a stream (seconds to add to its raw timestamps).</summary>
    public double ClockOffsetOf(int stream) => _state[stream].Offset;

    /// <summary>Statistics of a signal stream so far (safe to call from the aligner's thread or after it completed).</summary>
    public (long Samples, double FirstRawTime, double LastRawTime, int Gaps, int Markers) Statistics(int stream)
    {
        StreamState s = _state[stream];
        return (s.Total, s.FirstRaw, s.LastRaw, s.Gaps, s.MarkerCount);
    }

    /// <summary>Markers waiting for data on a signal stream.</summary>
    public int PendingMarkers(int stream) => _state[stream].Pending.Count;

    /// <summary>
    /// Consumes one source item and appends what it produces to <paramref name="output"/> (reused by the caller
    /// so the per-chunk path allocates nothing). For a samples item the chunk reference is passed on inside the
    /// output item, not released.
    /// </summary>
    public void Process(in SourceItem item, List<AlignedItem> output)
    {
        switch (item.Kind)
        {
            case SourceItemKind.Samples:
                OnSamples(item.Chunk!, output);
                break;
            case SourceItemKind.Marker:
                OnMarker(item.Marker, output);
                break;
            case SourceItemKind.ClockOffset:
                _state[item.Stream].Offset = item.Offset.Offset;
                break;
            case SourceItemKind.Gap:
                StreamState gapState = _state[item.Stream];
                if (gapState.Descriptor.Kind == StreamKind.Signal)
                {
                    // The source reported this gap; the timestamp jump at the next sample is the same gap.
                    gapState.GapReported = true;
                    gapState.Gaps++;
                    if (gapState.Total > 0)
                    {
                        gapState.AddGapStart(gapState.Total);
                    }
                    output.Add(AlignedItem.ForGap(item.Gap, gapState.Total));
                }
                break;
            case SourceItemKind.StreamEnded:
                OnEnded(item.Stream, output);
                break;
        }
    }

    /// <summary>Ends every stream that has not ended yet (input completed).</summary>
    public void EndAll(List<AlignedItem> output)
    {
        for (int i = 0; i < _state.Length; i++)
        {
            if (!_state[i].Ended)
            {
                OnEnded(i, output);
            }
        }
    }

    private void OnSamples(SampleChunk chunk, List<AlignedItem> output)
    {
        StreamState state = _state[chunk.Stream];
        if (state.Descriptor.Kind != StreamKind.Signal || state.Ended)
        {
            chunk.Release();
            return;
        }
        long first = state.Total;
        double offset = state.Offset;
        if (chunk.Count > 0)
        {
            if (state.Total == 0)
            {
                state.FirstRaw = chunk.FirstTimestamp;
            }
            state.LastRaw = chunk.LastTimestamp;
        }
        ReadOnlySpan<double> times = chunk.Times;
        StreamTimeline timeline = state.Timeline!;
        for (int i = 0; i < times.Length; i++)
        {
            double raw = times[i];
            double t = raw + offset;
            if (state.GapReported)
            {
                // The source already reported this gap (and its index); the timeline starts again here.
                timeline.Restart();
            }
            bool gap = timeline.Observe(raw, out double lateBy);
            if (state.Total > 0)
            {
                double previous = state.LastTime;
                if (gap && !state.GapReported)
                {
                    long missing = (long)Math.Round(lateBy / state.Period);
                    state.Gaps++;
                    state.AddGapStart(state.Total);
                    output.Add(AlignedItem.ForGap(new StreamGap(chunk.Stream, state.PreviousRaw, raw, missing, "timestamp jump"), state.Total));
                }
                // Keep the ring monotonic (like liblsl's monotonize) so binary search stays valid under jitter.
                if (t < previous)
                {
                    t = previous;
                }
            }
            state.Times[state.Total & state.Mask] = t;
            state.PreviousRaw = raw;
            state.Total++;
            state.GapReported = false;
        }
        output.Add(AlignedItem.ForSamples(chunk, first, offset));
        PlacePending(state, output);
    }

    private void OnMarker(in Marker marker, List<AlignedItem> output)
    {
        _state[marker.Stream].MarkerCount++;
        double markerTime = marker.Timestamp + _state[marker.Stream].Offset;
        string? condition = _classifier.Classify(marker.Label);
        foreach (int signal in _signalStreams)
        {
            StreamState state = _state[signal];
            var pending = new PendingMarker(marker, markerTime, condition);
            if (state.Ended || (state.Total > 0 && markerTime <= state.LastTime))
            {
                output.Add(AlignedItem.ForEvent(Place(state, pending)));
            }
            else
            {
                state.AddPending(pending);
            }
        }
    }

    private void OnEnded(int stream, List<AlignedItem> output)
    {
        StreamState state = _state[stream];
        if (state.Ended)
        {
            return;
        }
        state.Ended = true;
        if (state.Descriptor.Kind == StreamKind.Signal)
        {
            foreach (PendingMarker pending in state.Pending)
            {
                output.Add(AlignedItem.ForEvent(Place(state, pending)));
            }
            state.Pending.Clear();
            output.Add(AlignedItem.Ended(stream, state.Total));
        }
    }

    private void PlacePending(StreamState state, List<AlignedItem> output)
    {
        List<PendingMarker> pending = state.Pending;
        if (pending.Count == 0)
        {
            return;
        }
        double last = state.LastTime;
        int placed = 0;
        while (placed < pending.Count && pending[placed].Time <= last)
        {
            output.Add(AlignedItem.ForEvent(Place(state, pending[placed])));
            placed++;
        }
        if (placed > 0)
        {
            pending.RemoveRange(0, placed);
        }
    }

    private AlignedEvent Place(StreamState state, PendingMarker pending)
    {
        int stream = state.Descriptor.Index;
        AlignedEvent Drop(DropKind kind, double value = double.NaN, double limit = double.NaN) =>
            new(pending.Marker, stream, -1, pending.Time, double.NaN, pending.Condition, new DropReason(kind, state.Descriptor.Key, null, value, limit));

        if (state.Total == 0)
        {
            return Drop(DropKind.NoData);
        }
        if (pending.Time > state.LastTime)
        {
            return Drop(DropKind.StreamEnded);
        }
        long oldest = Math.Max(0, state.Total - state.Times.Length);
        double oldestTime = state.Times[oldest & state.Mask];
        if (pending.Time < oldestTime)
        {
            double age = state.LastTime - pending.Time;
            return oldest == 0 && oldestTime - pending.Time > _options.MaxPlacementLagPeriods * state.Period
                ? Drop(DropKind.BeforeFirstSample, oldestTime - pending.Time)
                : oldest == 0
                    ? new AlignedEvent(pending.Marker, stream, 0, pending.Time, oldestTime, pending.Condition, null)
                    : Drop(DropKind.BeyondAlignmentHistory, age, _options.HistorySeconds);
        }
        // Binary search for the first sample at or after the marker time.
        long lo = oldest, hi = state.Total - 1;
        while (lo < hi)
        {
            long mid = lo + ((hi - lo) >> 1);
            if (state.Times[mid & state.Mask] >= pending.Time)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }
        double sampleTime = state.Times[lo & state.Mask];
        Debug.Assert(sampleTime >= pending.Time, "binary search must land at or after the marker");
        double lag = sampleTime - pending.Time;
        // Jitter alone can put the next sample several periods after a marker; only a detected gap makes it "in a gap".
        if (lag > _options.MaxPlacementLagPeriods * state.Period && state.IsGapStart(lo) != false)
        {
            return Drop(DropKind.InDataGap, lag);
        }
        return new AlignedEvent(pending.Marker, stream, lo, pending.Time, sampleTime, pending.Condition, null);
    }

    private readonly record struct PendingMarker(Marker Marker, double Time, string? Condition);

    private sealed class StreamState
    {
        public StreamState(StreamDescriptor descriptor, AlignerOptions options)
        {
            Descriptor = descriptor;
            if (descriptor.Kind == StreamKind.Signal)
            {
                Period = 1.0 / descriptor.NominalRateHz;
                int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, Math.Ceiling(options.HistorySeconds * descriptor.NominalRateHz)));
                Times = new double[size];
                Mask = size - 1;
                Timeline = new StreamTimeline(descriptor.NominalRateHz, options.GapThresholdPeriods, options.GapJitterFactor);
            }
            else
            {
                Times = [];
            }
        }

        public StreamDescriptor Descriptor { get; }
        public double Period { get; }
        /// <summary>Ring of local-clock sample times, indexed by absolute sample index &amp; Mask.</summary>
        public double[] Times { get; }
        public long Mask { get; }
        /// <summary>Expected timeline for gap detection (signal streams).</summary>
        public StreamTimeline? Timeline { get; }
        /// <summary>Raw timestamp of the last sample (the start of a gap found at the next one).</summary>
        public double PreviousRaw { get; set; }
        public long Total { get; set; }
        public double Offset { get; set; }
        public bool Ended { get; set; }
        public double FirstRaw { get; set; } = double.NaN;
        public double LastRaw { get; set; } = double.NaN;
        public int Gaps { get; set; }
        /// <summary>A source-reported gap is pending; suppresses the duplicate timestamp-jump gap at the next sample.</summary>
        public bool GapReported { get; set; }
        public int MarkerCount { get; set; }
        public List<PendingMarker> Pending { get; } = new(64);
        public double LastTime => Times[(Total - 1) & Mask];

        /// <summary>Indices of the first sample after each gap (ascending), the last <see cref="GapRingSize"/> of them.</summary>
        private readonly long[] _gapStarts = new long[GapRingSize];
        private long _gapStartCount;
        private const int GapRingSize = 256;

        public void AddGapStart(long index)
        {
            if (_gapStartCount > 0 && _gapStarts[(_gapStartCount - 1) & (GapRingSize - 1)] == index)
            {
                return; // the same gap, reported by the source and seen in the timestamps
            }
            _gapStarts[_gapStartCount & (GapRingSize - 1)] = index;
            _gapStartCount++;
        }

        /// <summary>Whether sample <paramref name="index"/> is the first after a gap; null when that is older than the gaps kept.</summary>
        public bool? IsGapStart(long index)
        {
            long oldest = Math.Max(0, _gapStartCount - GapRingSize);
            for (long k = _gapStartCount - 1; k >= oldest; k--)
            {
                long start = _gapStarts[k & (GapRingSize - 1)];
                if (start <= index)
                {
                    return start == index;
                }
            }
            return _gapStartCount > GapRingSize ? null : false;
        }

        public void AddPending(PendingMarker marker)
        {
            // Keep pending markers sorted by time; they usually arrive in order, so this is an append.
            int index = Pending.Count;
            while (index > 0 && Pending[index - 1].Time > marker.Time)
            {
                index--;
            }
            Pending.Insert(index, marker);
        }
    }
}
