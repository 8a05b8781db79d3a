using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Dsp;

namespace AcqService.Core.Analysis;

/// <summary>
/// Live ERP epoching, time-locked to placed markers. Per epoched stream it keeps causally filtered data in a
/// ring (µV), waits for each epoch's last sample, then rejects (peak-to-peak / flat), baseline-corrects and
/// adds the epoch to its condition's running average. Every marker ends in exactly one
/// <see cref="EpochOutcome"/>. Driven by one task; the per-chunk path allocates nothing once warmed up.
/// </summary>
public sealed class ErpAnalyzer
{
    private readonly EpochOptions _options;
    private readonly StreamEpocher?[] _epochers;
    private readonly List<ConditionAverage> _averages = [];
    private readonly Dictionary<(int Stream, string Condition), ConditionAverage> _byCondition = [];
    private volatile IReadOnlyDictionary<string, int> _counts = new Dictionary<string, int>();
    private int _accepted;
    private int _dropped;
    private volatile IReadOnlyList<ErpAverageSnapshot> _snapshots = [];
    private readonly List<ConditionAverage> _snapshotsDue = [];

    // An accepted epoch whose work after the verdict is still to be done: the epocher whose ring holds it, where it starts,
    // and its baseline means (null without baseline correction). Its outcome (with the count the average will have)
    // leaves the stage first; the deferred work is the copy out of the ring (a transposition to channel-major), the
    // baseline subtraction and the Welford update, at 256 channels × 2 kHz several passes over 512 k doubles that the
    // epoch's result need not wait for (the verdict reads min, max and baseline sums from the ring directly). The ring
    // still holds the epoch then: the next Process call completes this before it appends any chunk.
    private ConditionAverage? _pendingAverage;
    private StreamEpocher? _pendingEpocher;
    private long _pendingStart;
    private double[]? _pendingBaseline;

    /// <summary>Creates the analyzer for the streams selected by <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">A configured stream key does not exist or is not a signal stream.</exception>
    public ErpAnalyzer(StreamRegistry streams, EpochOptions options)
    {
        _options = options;
        _epochers = new StreamEpocher?[streams.Count];
        foreach (StreamDescriptor stream in SelectStreams(streams, options.Streams, "Epochs:Streams"))
        {
            _epochers[stream.Index] = new StreamEpocher(stream, options);
        }
    }

    /// <summary>
    /// Condition averages in the order conditions were first seen. Reading it first completes an accepted epoch's
    /// deferred update (see <see cref="Process"/>), so call it from the thread that calls <see cref="Process"/>, or after it.
    /// </summary>
    public IReadOnlyList<ConditionAverage> Averages
    {
        get
        {
            CompletePendingAdd();
            return _averages;
        }
    }

    /// <summary>Accepted epochs per condition, safe to read from any thread (for live status).</summary>
    public IReadOnlyDictionary<string, int> CountsByCondition => _counts;

    /// <summary>Accepted epochs in total (any thread).</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Dropped markers in total (any thread).</summary>
    public int Dropped => Volatile.Read(ref _dropped);

    /// <summary>
    /// When true, every accepted epoch also publishes an immutable copy of its condition's average (mean and standard
    /// error) for readers on other threads (<see cref="LatestAverages"/>: the control API, the dashboard). Off by
    /// default: the copy costs one array per accepted epoch, which one-shot sessions do not need.
    /// </summary>
    public bool PublishAverages { get; set; }

    /// <summary>The latest published averages, one per stream and condition (any thread); empty unless <see cref="PublishAverages"/>.</summary>
    public IReadOnlyList<ErpAverageSnapshot> LatestAverages => _snapshots;

    /// <summary>Keys of the epoched streams.</summary>
    public IEnumerable<string> StreamKeys => _epochers.Where(e => e is not null).Select(e => e!.Stream.Key);

    /// <summary>Resolves a stream selection: given keys, or every EEG signal stream when empty.</summary>
    internal static IEnumerable<StreamDescriptor> SelectStreams(StreamRegistry streams, IReadOnlyList<string> keys, string setting)
    {
        if (keys.Count == 0)
        {
            return streams.Streams.Where(s => s.Kind == StreamKind.Signal && string.Equals(s.Type, "EEG", StringComparison.OrdinalIgnoreCase));
        }
        var selected = new List<StreamDescriptor>();
        foreach (string key in keys)
        {
            StreamDescriptor stream = streams.Find(key) ?? throw new ArgumentException($"{setting}: no stream with key '{key}' (streams: {string.Join(", ", streams.Streams.Select(s => s.Key))})");
            if (stream.Kind != StreamKind.Signal)
            {
                throw new ArgumentException($"{setting}: stream '{key}' is a marker stream, not a signal stream");
            }
            selected.Add(stream);
        }
        return selected;
    }

    /// <summary>Consumes one aligned item, appending outcomes; releases the chunk reference it receives.</summary>
    public void Process(in AlignedItem item, List<EpochOutcome> outcomes)
    {
        // The previous item's accepted epoch goes into its average now, after that item's outcomes have left the stage.
        CompletePendingAdd();
        if (_snapshotsDue.Count > 0)
        {
            // Averages changed by the previous item are copied now, after that item's outcomes have left the stage: the
            // copy (8 MB at 256 channels × 2 kHz) took tens of ms and held back every accepted epoch's result.
            PublishSnapshots();
        }
        StreamEpocher? epocher = (uint)item.Stream < (uint)_epochers.Length ? _epochers[item.Stream] : null;
        switch (item.Kind)
        {
            case AlignedItemKind.Samples:
                epocher?.Append(item.Chunk!, item.FirstSampleIndex);
                item.Chunk!.Release();
                epocher?.Complete(this, outcomes);
                break;
            case AlignedItemKind.Event:
                epocher?.OnEvent(this, item.Event, outcomes);
                break;
            case AlignedItemKind.Gap:
                epocher?.OnGap(item.FirstSampleIndex);
                break;
            case AlignedItemKind.StreamEnded:
                epocher?.OnEnded(this, outcomes);
                break;
        }
        if (item.Kind != AlignedItemKind.Samples)
        {
            CompletePendingAdd();
        }
        if (item.Kind != AlignedItemKind.Samples && _snapshotsDue.Count > 0)
        {
            // Accepted by a marker whose data was already in (a late marker, possibly after its stream's end item):
            // no later item need come, so the copy is made now.
            PublishSnapshots();
        }
    }

    private void Accept(StreamEpocher epocher, in AlignedEvent ev, long start, double[]? baseline, List<EpochOutcome> outcomes)
    {
        // Only one epoch waits at a time (its buffer is reused by the next extraction, which completes it first).
        CompletePendingAdd();
        string condition = ev.Condition!;
        if (!_byCondition.TryGetValue((epocher.Stream.Index, condition), out ConditionAverage? average))
        {
            average = new ConditionAverage(condition, epocher.Stream.Key, epocher.Labels, epocher.Times);
            _byCondition.Add((epocher.Stream.Index, condition), average);
            _averages.Add(average);
        }
        _pendingAverage = average;
        _pendingEpocher = epocher;
        _pendingStart = start;
        _pendingBaseline = baseline;
        int count = average.Count + 1;
        Interlocked.Increment(ref _accepted);
        var counts = new Dictionary<string, int>(_counts) { [condition] = count };
        _counts = counts;
        outcomes.Add(new EpochOutcome(epocher.Stream.Key, ev.Marker, ev.MarkerTime, ev.SampleIndex, condition, true, null, count));
    }

    /// <summary>Adds the accepted epoch still waiting (if any) to its average, and marks that average for publishing.</summary>
    private void CompletePendingAdd()
    {
        if (_pendingAverage is not { } average)
        {
            return;
        }
        average.Add(_pendingEpocher!.CopyEpoch(_pendingStart), _pendingBaseline);
        _pendingAverage = null;
        _pendingEpocher = null;
        _pendingBaseline = null;
        if (PublishAverages && !_snapshotsDue.Contains(average))
        {
            // Published at the start of the next item (or at the end of this one if it is not a chunk): see Process.
            _snapshotsDue.Add(average);
        }
    }

    /// <summary>Publishes a copy of each average accepted into since the last call.</summary>
    private void PublishSnapshots()
    {
        foreach (ConditionAverage average in _snapshotsDue)
        {
            // Copy-on-write: readers always see a complete list of complete snapshots, without locks.
            ErpAverageSnapshot snapshot = ErpAverageSnapshot.Of(average);
            List<ErpAverageSnapshot> next = [.. _snapshots.Where(x => x.StreamKey != snapshot.StreamKey || x.Condition != snapshot.Condition), snapshot];
            _snapshots = next;
        }
        _snapshotsDue.Clear();
    }

    private void Drop(StreamEpocher epocher, in AlignedEvent ev, DropReason reason, List<EpochOutcome> outcomes)
    {
        Interlocked.Increment(ref _dropped);
        int count = ev.Condition is not null && _byCondition.TryGetValue((epocher.Stream.Index, ev.Condition), out ConditionAverage? average)
            ? average.Count + (ReferenceEquals(average, _pendingAverage) ? 1 : 0)
            : 0;
        outcomes.Add(new EpochOutcome(epocher.Stream.Key, ev.Marker, ev.MarkerTime, ev.SampleIndex, ev.Condition, false, reason, count));
    }

    /// <summary>Per-stream epoching state.</summary>
    private sealed class StreamEpocher
    {
        private readonly EpochOptions _options;
        private readonly SosFilter? _filter;
        private readonly double[] _scale;
        private readonly double[] _dc;
        private bool _haveDc;
        private readonly double[] _ring;
        private readonly long _mask;
        private readonly int _channels;
        private long _total;
        private readonly int _startOffset;
        private readonly int _length;
        private readonly int _baselineStart;
        private readonly int _baselineEnd;
        private readonly int _rejectStart;
        private readonly int _rejectEnd;
        private readonly double[] _epoch;
        // Per channel, from CopyAndMeasure: min and max over the rejection window, sum over the baseline window.
        private readonly double[] _min;
        private readonly double[] _max;
        private readonly double[] _baselineSum;
        private readonly double[] _baselineMean;
        private readonly List<(AlignedEvent Event, long End)> _pending = new(64);
        private readonly List<long> _gaps = new(16);

        public StreamEpocher(StreamDescriptor stream, EpochOptions options)
        {
            Stream = stream;
            _options = options;
            _channels = stream.ChannelCount;
            double fs = stream.NominalRateHz;
            double[]? sos = options.Filter.Design(fs);
            _filter = sos is null ? null : new SosFilter(sos, _channels);
            _scale = [.. stream.Channels.Select(c => Units.ToMicrovolts(c.Unit))];
            _dc = new double[_channels];
            Labels = [.. stream.Channels.Select(c => c.Label)];
            _startOffset = (int)Math.Round(options.TminSeconds * fs);
            int endOffset = (int)Math.Round(options.TmaxSeconds * fs);
            _length = endOffset - _startOffset + 1;
            // The history is capped by memory: 30 s of 1024 channels at 20 kHz would be 4.9 GB of doubles. Below the cap
            // (every usual montage) the ring holds HistorySeconds; above it, as much as fits, but always two epochs.
            long wanted = (long)Math.Ceiling(options.HistorySeconds * fs);
            long affordable = Math.Max(2L * _length, (long)(options.MaxBufferMegabytes * 1024 * 1024 / (8.0 * _channels)));
            int ringFrames = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Min(wanted, affordable));
            _historySeconds = wanted <= affordable ? options.HistorySeconds : Math.Floor(ringFrames / fs * 10) / 10;
            _ring = new double[ringFrames * _channels];
            _mask = ringFrames - 1;
            Times = [.. Enumerable.Range(0, _length).Select(k => (k + _startOffset) / fs)];
            _baselineStart = (int)Math.Round((options.BaselineStartSeconds ?? options.TminSeconds) * fs) - _startOffset;
            _baselineEnd = (int)Math.Round((options.BaselineEndSeconds ?? 0) * fs) - _startOffset;
            _rejectStart = Math.Clamp((int)Math.Round((options.RejectStartSeconds ?? options.TminSeconds) * fs) - _startOffset, 0, _length - 1);
            _rejectEnd = Math.Clamp((int)Math.Round((options.RejectEndSeconds ?? options.TmaxSeconds) * fs) - _startOffset, 0, _length - 1);
            _epoch = new double[_channels * _length];
            _min = new double[_channels];
            _max = new double[_channels];
            _baselineSum = new double[_channels];
            _baselineMean = new double[_channels];
        }

        public StreamDescriptor Stream { get; }

        public string[] Labels { get; }

        public double[] Times { get; }

        private long RingFrames => _mask + 1;

        /// <summary>Seconds the ring holds: Epochs:HistorySeconds, or less when the memory cap applies.</summary>
        private readonly double _historySeconds;

        public void Append(SampleChunk chunk, long firstIndex)
        {
            ReadOnlySpan<double> raw = chunk.Values[..(chunk.Count * _channels)];
            if (!_haveDc && chunk.Count > 0)
            {
                for (int c = 0; c < _channels; c++)
                {
                    _dc[c] = _filter is not null && _options.Filter.HighPassHz is > 0 ? raw[c] * _scale[c] : 0;
                }
                _haveDc = true;
            }
            // Scale and filter straight into the ring, in runs of frames that do not wrap (a chunk longer than the ring
            // overwrites its own start, as frame-by-frame writes would). The filter keeps its state between calls, so
            // filtering a chunk in pieces gives the same values as in one call.
            long frame = firstIndex;
            int done = 0;
            while (done < chunk.Count)
            {
                int position = (int)(frame & _mask);
                int run = (int)Math.Min(chunk.Count - done, RingFrames - position);
                Span<double> target = _ring.AsSpan(position * _channels, run * _channels);
                Scale(raw.Slice(done * _channels, run * _channels), target);
                _filter?.Process(target);
                done += run;
                frame += run;
            }
            _total = frame;
        }

        // target = (raw · scale) − dc per channel. Subtracting the first value (a constant the high-pass removes anyway)
        // starts the filter near steady state. Whole vectors of adjacent channels, then the rest one by one: the same
        // expression per value either way.
        private void Scale(ReadOnlySpan<double> raw, Span<double> target)
        {
            int width = Vector.IsHardwareAccelerated ? Vector<double>.Count : int.MaxValue;
            ref double scale = ref MemoryMarshal.GetArrayDataReference(_scale);
            ref double dc = ref MemoryMarshal.GetArrayDataReference(_dc);
            ref double source = ref MemoryMarshal.GetReference(raw);
            ref double destination = ref MemoryMarshal.GetReference(target);
            for (int i = 0; i < raw.Length; i += _channels)
            {
                int c = 0;
                // c + width ≤ channels: inside this frame of raw and target (same length), and inside scale and dc.
                for (; c + width <= _channels; c += width)
                {
                    Vector<double> v = (Vector.LoadUnsafe(ref source, (nuint)(i + c)) * Vector.LoadUnsafe(ref scale, (nuint)c)) - Vector.LoadUnsafe(ref dc, (nuint)c);
                    v.StoreUnsafe(ref destination, (nuint)(i + c));
                }
                for (; c < _channels; c++)
                {
                    target[i + c] = (raw[i + c] * _scale[c]) - _dc[c];
                }
            }
        }

        public void OnGap(long nextIndex)
        {
            _gaps.Add(nextIndex);
            // Forget gaps no epoch can reach any more.
            long horizon = _total - RingFrames;
            int stale = 0;
            while (stale < _gaps.Count && _gaps[stale] < horizon)
            {
                stale++;
            }
            if (stale > 0)
            {
                _gaps.RemoveRange(0, stale);
            }
        }

        public void OnEvent(ErpAnalyzer owner, in AlignedEvent ev, List<EpochOutcome> outcomes)
        {
            if (ev.DropReason is DropReason placement)
            {
                owner.Drop(this, ev, placement, outcomes);
                return;
            }
            if (ev.Condition is null)
            {
                owner.Drop(this, ev, new DropReason(DropKind.NoConditionRule, Stream.Key), outcomes);
                return;
            }
            long start = ev.SampleIndex + _startOffset;
            long end = start + _length - 1;
            if (start < 0)
            {
                owner.Drop(this, ev, new DropReason(DropKind.EpochBeforeStart, Stream.Key), outcomes);
                return;
            }
            if (end < _total)
            {
                Extract(owner, ev, start, outcomes);
                return;
            }
            int index = _pending.Count;
            while (index > 0 && _pending[index - 1].End > end)
            {
                index--;
            }
            _pending.Insert(index, (ev, end));
        }

        public void Complete(ErpAnalyzer owner, List<EpochOutcome> outcomes)
        {
            int done = 0;
            while (done < _pending.Count && _pending[done].End < _total)
            {
                (AlignedEvent ev, long end) = _pending[done];
                Extract(owner, ev, end - _length + 1, outcomes);
                done++;
            }
            if (done > 0)
            {
                _pending.RemoveRange(0, done);
            }
        }

        public void OnEnded(ErpAnalyzer owner, List<EpochOutcome> outcomes)
        {
            foreach ((AlignedEvent ev, long _) in _pending)
            {
                owner.Drop(this, ev, new DropReason(DropKind.EndedBeforeComplete, Stream.Key), outcomes);
            }
            _pending.Clear();
        }

        private void Extract(ErpAnalyzer owner, in AlignedEvent ev, long start, List<EpochOutcome> outcomes)
        {
            long end = start + _length - 1;
            if (start < _total - RingFrames)
            {
                owner.Drop(this, ev, new DropReason(DropKind.BeyondEpochBuffer, Stream.Key, Limit: _historySeconds), outcomes);
                return;
            }
            foreach (long gap in _gaps)
            {
                if (gap > start && gap <= end)
                {
                    owner.Drop(this, ev, new DropReason(DropKind.GapInEpoch, Stream.Key), outcomes);
                    return;
                }
            }
            // The buffer may still hold an accepted epoch waiting for its average update: complete it first.
            owner.CompletePendingAdd();
            bool measure = _options.RejectPeakToPeakMicrovolts is not null || _options.FlatPeakToPeakMicrovolts is not null;
            Measure(start);
            if (measure)
            {
                for (int c = 0; c < _channels; c++)
                {
                    double ptp = _max[c] - _min[c];
                    if (_options.RejectPeakToPeakMicrovolts is double reject && !(ptp <= reject))
                    {
                        owner.Drop(this, ev, new DropReason(DropKind.PeakToPeak, Stream.Key, Labels[c], ptp, reject), outcomes);
                        return;
                    }
                    if (_options.FlatPeakToPeakMicrovolts is double flat && ptp < flat)
                    {
                        owner.Drop(this, ev, new DropReason(DropKind.Flat, Stream.Key, Labels[c], ptp, flat), outcomes);
                        return;
                    }
                }
            }
            if (_options.Baseline)
            {
                // Each channel's baseline mean; the average's update subtracts it from every value of the row.
                int count = _baselineEnd - _baselineStart + 1;
                for (int c = 0; c < _channels; c++)
                {
                    _baselineMean[c] = _baselineSum[c] / count;
                }
            }
            owner.Accept(this, ev, start, _options.Baseline ? _baselineMean : null, outcomes);
        }

        /// <summary>
        /// Takes each channel's smallest and largest value over the rejection window (<c>_min</c>, <c>_max</c>) and its sum
        /// over the baseline window (<c>_baselineSum</c>, added in sample order as the scalar loop did) of the epoch starting
        /// at ring frame <paramref name="start"/>, reading the ring directly (the copy waits for <see cref="CopyEpoch"/>).
        /// </summary>
        /// <remarks>
        /// One pass over the epoch, and no stores: at 256 channels × 2 kHz the epoch is 4 MB, and every pass over it costs
        /// memory traffic that the epoch's result waits for. Groups of four vectors of adjacent channels (16 at 256 bits)
        /// go down the epoch frame by frame; each lane keeps one channel's min, max and sum with the scalar operations
        /// (Vector.Min/Max follow Math.Min/Max), so the results are bit-identical. The remaining channels take the scalar loop.
        /// </remarks>
        private void Measure(long start)
        {
            int length = _length, channels = _channels;
            int rejectStart = _rejectStart, rejectEnd = _rejectEnd, baselineStart = _baselineStart, baselineEnd = _baselineEnd;
            int width = Vector<double>.Count;
            int group = 4 * width;
            ref double ring = ref MemoryMarshal.GetArrayDataReference(_ring);
            int c0 = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; c0 + group <= channels; c0 += group)
                {
                    var min0 = new Vector<double>(double.PositiveInfinity);
                    Vector<double> min1 = min0, min2 = min0, min3 = min0;
                    var max0 = new Vector<double>(double.NegativeInfinity);
                    Vector<double> max1 = max0, max2 = max0, max3 = max0;
                    Vector<double> sum0 = Vector<double>.Zero, sum1 = sum0, sum2 = sum0, sum3 = sum0;
                    for (int k = 0; k < length; k++)
                    {
                        // frame + group ≤ ringFrames · channels (c0 + group ≤ channels); the rows' k is below length.
                        nuint frame = (nuint)((((start + k) & _mask) * channels) + c0);
                        Vector<double> v0 = Vector.LoadUnsafe(ref ring, frame);
                        Vector<double> v1 = Vector.LoadUnsafe(ref ring, frame + (nuint)width);
                        Vector<double> v2 = Vector.LoadUnsafe(ref ring, frame + (nuint)(2 * width));
                        Vector<double> v3 = Vector.LoadUnsafe(ref ring, frame + (nuint)(3 * width));
                        if (k >= rejectStart && k <= rejectEnd)
                        {
                            min0 = Vector.Min(min0, v0);
                            min1 = Vector.Min(min1, v1);
                            min2 = Vector.Min(min2, v2);
                            min3 = Vector.Min(min3, v3);
                            max0 = Vector.Max(max0, v0);
                            max1 = Vector.Max(max1, v1);
                            max2 = Vector.Max(max2, v2);
                            max3 = Vector.Max(max3, v3);
                        }
                        if (k >= baselineStart && k <= baselineEnd)
                        {
                            sum0 += v0;
                            sum1 += v1;
                            sum2 += v2;
                            sum3 += v3;
                        }
                    }
                    Span<double> min = _min.AsSpan(c0, group), max = _max.AsSpan(c0, group), sum = _baselineSum.AsSpan(c0, group);
                    min0.CopyTo(min);
                    min1.CopyTo(min[width..]);
                    min2.CopyTo(min[(2 * width)..]);
                    min3.CopyTo(min[(3 * width)..]);
                    max0.CopyTo(max);
                    max1.CopyTo(max[width..]);
                    max2.CopyTo(max[(2 * width)..]);
                    max3.CopyTo(max[(3 * width)..]);
                    sum0.CopyTo(sum);
                    sum1.CopyTo(sum[width..]);
                    sum2.CopyTo(sum[(2 * width)..]);
                    sum3.CopyTo(sum[(3 * width)..]);
                }
            }
            for (int c = c0; c < channels; c++)
            {
                double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
                for (int k = 0; k < length; k++)
                {
                    double v = _ring[(int)(((start + k) & _mask) * channels) + c];
                    if (k >= rejectStart && k <= rejectEnd)
                    {
                        min = Math.Min(min, v);
                        max = Math.Max(max, v);
                    }
                    if (k >= baselineStart && k <= baselineEnd)
                    {
                        sum += v;
                    }
                }
                _min[c] = min;
                _max[c] = max;
                _baselineSum[c] = sum;
            }
        }

        /// <summary>
        /// Copies the epoch starting at ring frame <paramref name="start"/> into the channel-major buffer (the layout of the
        /// averages) and returns it. Called for an accepted epoch in the deferred update, before any later chunk reaches the ring.
        /// </summary>
        internal double[] CopyEpoch(long start)
        {
            int length = _length, channels = _channels;
            ref double ring = ref MemoryMarshal.GetArrayDataReference(_ring);
            ref double epoch = ref MemoryMarshal.GetArrayDataReference(_epoch);
            for (int k = 0; k < length; k++)
            {
                // frame + channels ≤ ringFrames · channels; (c · length) + k < channels · length = _epoch.Length.
                nuint frame = (nuint)(((start + k) & _mask) * channels);
                for (int c = 0; c < channels; c++)
                {
                    Unsafe.Add(ref epoch, (c * length) + k) = Unsafe.Add(ref ring, frame + (nuint)c);
                }
            }
            return _epoch;
        }
    }
}
