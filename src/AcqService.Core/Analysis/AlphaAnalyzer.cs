using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Dsp;

namespace AcqService.Core.Analysis;

/// <summary>
/// Live alpha band power per channel and region of interest, from Welch PSDs of the last
/// <see cref="AlphaOptions.WindowSeconds"/> of signal, updated every <see cref="AlphaOptions.UpdateIntervalSeconds"/>
/// of signal (counted in samples, so the result does not depend on chunking). Segment periodograms are cached by
/// their absolute start sample: when the update interval is a multiple of the Welch step each segment is
/// transformed once, and the average equals <c>scipy.signal.welch</c> on the window exactly.
/// Also accumulates the pre- vs post-event alpha summary per condition.
/// <para>
/// <see cref="AlphaUpdate"/> objects are recycled round-robin from a pool larger than the capacity of any
/// output edge plus one in-flight item, so a consumer that reads synchronously never sees a reused object.
/// </para>
/// </summary>
public sealed class AlphaAnalyzer
{
    private readonly AlphaOptions _options;
    private readonly AlphaStream?[] _analysers;
    private readonly string[] _regionNames;

    /// <summary>Creates the analyzer.</summary>
    /// <param name="streams">Session streams.</param>
    /// <param name="options">Settings.</param>
    /// <param name="regions">Regions of interest (name → labels) used when the options name none.</param>
    /// <param name="maxOutstandingUpdates">Largest number of updates any consumer may hold queued (edge capacity).</param>
    public AlphaAnalyzer(StreamRegistry streams, AlphaOptions options, IReadOnlyDictionary<string, List<string>> regions, int maxOutstandingUpdates = 1024)
    {
        _options = options;
        IReadOnlyDictionary<string, List<string>> effective = options.Regions.Count > 0 ? options.Regions : regions;
        _regionNames = [.. effective.Keys];
        _analysers = new AlphaStream?[streams.Count];
        foreach (StreamDescriptor stream in ErpAnalyzer.SelectStreams(streams, options.Streams, "Alpha:Streams"))
        {
            _analysers[stream.Index] = new AlphaStream(stream, options, effective, maxOutstandingUpdates + 2);
        }
    }

    /// <summary>Region names, in the order of <see cref="AlphaUpdate.RegionAbsolute"/>.</summary>
    public IReadOnlyList<string> RegionNames => _regionNames;

    /// <summary>Keys of the analysed streams.</summary>
    public IEnumerable<string> StreamKeys => _analysers.Where(a => a is not null).Select(a => a!.Stream.Key);

    /// <summary>Channel labels of an analysed stream.</summary>
    public IReadOnlyList<string> ChannelLabels(string streamKey) =>
        _analysers.First(a => a is not null && a.Stream.Key == streamKey)!.Stream.Channels.Select(c => c.Label).ToList();

    /// <summary>Updates produced so far (any thread).</summary>
    public long UpdateCount => _analysers.Sum(a => a?.Updates ?? 0);

    /// <summary>Consumes one aligned item; releases the chunk reference it receives; appends new updates to <paramref name="updates"/>.</summary>
    public void Process(in AlignedItem item, List<AlphaUpdate> updates)
    {
        AlphaStream? analyser = (uint)item.Stream < (uint)_analysers.Length ? _analysers[item.Stream] : null;
        switch (item.Kind)
        {
            case AlignedItemKind.Samples:
                analyser?.Append(item.Chunk!, item.FirstSampleIndex, item.ClockOffset, updates);
                item.Chunk!.Release();
                break;
            case AlignedItemKind.Event:
                if (item.Event.DropReason is null && item.Event.Condition is not null)
                {
                    analyser?.OnEvent(item.Event);
                }
                break;
            case AlignedItemKind.StreamEnded:
                analyser?.ResolvePending(final: true);
                break;
        }
    }

    /// <summary>The pre/post summary per condition and region, in first-seen condition order.</summary>
    public IReadOnlyList<AlphaConditionSummary> Summaries()
    {
        var result = new List<AlphaConditionSummary>();
        foreach (AlphaStream? analyser in _analysers)
        {
            if (analyser is null)
            {
                continue;
            }
            foreach ((string condition, Accumulator[] perRegion) in analyser.Summary)
            {
                if (perRegion[0].N == 0)
                {
                    continue; // condition seen, but none of its events had complete pre and post intervals
                }
                for (int r = 0; r < _regionNames.Length; r++)
                {
                    Accumulator a = perRegion[r];
                    double mean = a.N > 0 ? a.SumChange / a.N : double.NaN;
                    double se = a.N > 1 ? Math.Sqrt(Math.Max(0, (a.SumChangeSquared - (a.N * mean * mean)) / (a.N - 1)) / a.N) : double.NaN;
                    result.Add(new AlphaConditionSummary(condition, analyser.Stream.Key, _regionNames[r], a.N,
                        a.N > 0 ? a.SumPre / a.N : double.NaN, a.N > 0 ? a.SumPost / a.N : double.NaN, mean, se));
                }
            }
        }
        return result;
    }

    private sealed class Accumulator
    {
        public int N;
        public double SumPre;
        public double SumPost;
        public double SumChange;
        public double SumChangeSquared;
    }

    private sealed class AlphaStream
    {
        private readonly AlphaOptions _options;
        private readonly int _channels;
        private readonly double[] _scale;
        // Ring of µV values by block of Vector<double>.Count adjacent channels, one channel per lane: block b's frame t is
        // _ring[b · blockStride + (t & mask)], written a second time ringFrames further on, so that every segment
        // (shorter than the ring) of a block is one contiguous run of vectors, which WelchEstimator.EstimateLanes reads
        // as it is. The unused lanes of a last, partial block hold zeros.
        private readonly Vector<double>[] _ring;
        private readonly Vector<double>[] _scaleLanes;
        private readonly int _blocks;
        // Vectors from one block's ring to the next: 2 · ringFrames, a power of two, plus two vectors (one 64-byte line),
        // so that the blocks written for one frame do not all fall into the same cache set, which made every ring
        // write of a frame evict the previous ones.
        private readonly int _blockStride;
        private readonly long _mask;
        private readonly int _ringFrames;
        private long _total;
        private readonly int _window;
        private readonly int _segment;
        private readonly int _step;
        private readonly int _update;
        private readonly int _segmentsPerWindow;
        private readonly WelchEstimator _welch;
        private readonly int _bins;
        // Periodogram cache by slot: the segment's start sample and the PSDs of all channels ([channel · bins + bin]).
        // All channels of a segment are estimated together, so one start per slot serves every channel.
        private readonly long[] _cacheStart;
        private readonly double[][] _cache;
        private readonly int _cacheSlots;
        private readonly double[] _average;
        // Bins the band integrals can read: BandPower.Integrate stops at the first bin above the band's upper edge, so
        // bins past the first one above both upper edges never contribute and are not averaged.
        private readonly int _usedBins;
        private readonly int[][] _regionChannels;
        private readonly AlphaUpdate[] _pool;
        private int _poolNext;
        // Summary state: ring of recent region values by update.
        private readonly long[] _historyIndex;
        private readonly double[] _historyValues;
        private int _historyCount;
        private int _historyNext;
        private readonly List<(string Condition, long Index)> _pending = new(64);
        private readonly int _regions;

        public AlphaStream(StreamDescriptor stream, AlphaOptions options, IReadOnlyDictionary<string, List<string>> regions, int poolSize)
        {
            Stream = stream;
            _options = options;
            _channels = stream.ChannelCount;
            double fs = stream.NominalRateHz;
            _scale = [.. stream.Channels.Select(c => Units.ToMicrovolts(c.Unit))];
            _window = (int)Math.Round(options.WindowSeconds * fs);
            _segment = (int)Math.Round(options.SegmentSeconds * fs);
            int overlap = (int)Math.Round(options.Overlap * _segment);
            _step = _segment - overlap;
            _update = Math.Max(1, (int)Math.Round(options.UpdateIntervalSeconds * fs));
            _segmentsPerWindow = ((_window - _segment) / _step) + 1;
            _welch = new WelchEstimator(fs, _segment, 0, options.Window, options.Detrend);
            _bins = _welch.FrequencyCount;
            _cacheSlots = _segmentsPerWindow + Math.Max(1, _update / _step) + 1;
            _cacheStart = new long[_cacheSlots];
            _cacheStart.AsSpan().Fill(-1);
            _average = new double[_bins];
            double highest = Math.Max(options.BandHighHz, options.BroadHighHz);
            int above = 0;
            while (above < _bins && above * _welch.FrequencyResolution <= highest)
            {
                above++;
            }
            _usedBins = Math.Min(_bins, above + 1);
            // Only the bins the band integrals can read are estimated and cached (see WelchEstimator.EstimateInterleaved).
            _cache = new double[_cacheSlots][];
            for (int i = 0; i < _cache.Length; i++)
            {
                _cache[i] = new double[_channels * _usedBins];
            }
            _ringFrames = (int)BitOperations.RoundUpToPowerOf2((uint)(_window + 1));
            int width = Vector<double>.Count;
            _blocks = (_channels + width - 1) / width;
            _blockStride = (2 * _ringFrames) + 2;
            _ring = new Vector<double>[_blocks * _blockStride];
            var paddedScale = new double[_blocks * width];
            _scale.CopyTo(paddedScale, 0);
            _scaleLanes = [.. MemoryMarshal.Cast<double, Vector<double>>(paddedScale)];
            _mask = _ringFrames - 1;
            _regions = regions.Count;
            _regionChannels = [.. regions.Values.Select(labels => labels.Select(stream.IndexOfChannel).Where(i => i >= 0).ToArray())];
            _pool = new AlphaUpdate[poolSize];
            for (int i = 0; i < _pool.Length; i++)
            {
                _pool[i] = new AlphaUpdate(_channels, _regions) { StreamKey = stream.Key };
            }
            int historyLength = (int)Math.Ceiling((options.PostEndSeconds - options.PreStartSeconds + 60) / options.UpdateIntervalSeconds) + 4;
            _historyIndex = new long[historyLength];
            _historyValues = new double[historyLength * Math.Max(1, _regions)];
        }

        public StreamDescriptor Stream { get; }

        public long Updates;

        public List<(string Condition, Accumulator[] PerRegion)> Summary { get; } = [];

        public void Append(SampleChunk chunk, long firstIndex, double offset, List<AlphaUpdate> updates)
        {
            _total = firstIndex;
            // The next frame count at which an update is due (a multiple of the update interval, at least a whole window):
            // one division per chunk instead of one per frame.
            long due = Math.Max(_window, ((_total / _update) + 1) * _update);
            due = ((due + _update - 1) / _update) * _update;
            int f = 0;
            while (f < chunk.Count)
            {
                // Store the frames up to the next update (due > _total, so at least one), then compute it.
                int run = (int)Math.Min(chunk.Count - f, due - _total);
                Store(chunk.Values, f, run);
                f += run;
                _total += run;
                if (_total == due)
                {
                    updates.Add(Compute(chunk.Timestamps[f - 1] + offset));
                    due += _update;
                }
            }
        }

        /// <summary>
        /// Scales frames <paramref name="first"/>.. of the chunk into the ring from slot <c>_total</c> on, frame by frame
        /// (the chunk is read in order: it was written on another core, and the sequential reads are what the prefetcher
        /// follows; walking it block by block measured slower). Loop-invariant fields are read once into locals, as the
        /// compiler cannot prove the ring stores leave them unchanged.
        /// </summary>
        private void Store(ReadOnlySpan<double> values, int first, int count)
        {
            int width = Vector<double>.Count;
            int whole = _channels / width;
            int ringFrames = _ringFrames;
            ref double input = ref MemoryMarshal.GetReference(values.Slice(first * _channels, count * _channels));
            ref Vector<double> ring = ref MemoryMarshal.GetArrayDataReference(_ring);
            // Whole blocks (b < whole: (b + 1) · width ≤ channels, inside every frame; the ring holds blocks · stride
            // vectors and slot + ringFrames < 2 · ringFrames < stride).
            ref Vector<double> scale = ref MemoryMarshal.GetArrayDataReference(_scaleLanes);
            int channels = _channels;
            long mask = _mask;
            nint stride = _blockStride;
            long total = _total;
            for (int k = 0; k < count; k++)
            {
                ref double frame = ref Unsafe.Add(ref input, (nint)k * channels);
                ref Vector<double> slot = ref Unsafe.Add(ref ring, (nint)(total & mask));
                for (int b = 0; b < whole; b++)
                {
                    Vector<double> v = Vector.LoadUnsafe(ref frame, (nuint)(b * width)) * Unsafe.Add(ref scale, b);
                    ref Vector<double> at = ref Unsafe.Add(ref slot, b * stride);
                    at = v;
                    Unsafe.Add(ref at, ringFrames) = v;
                }
                total++;
            }
            if (whole < _blocks)
            {
                // The partial block, zero-padded lanes.
                Span<double> lanes = stackalloc double[width];
                int b = whole;
                for (int k = 0; k < count; k++)
                {
                    lanes.Clear();
                    values.Slice(((first + k) * _channels) + (b * width), _channels - (b * width)).CopyTo(lanes);
                    Vector<double> v = new Vector<double>(lanes) * _scaleLanes[b];
                    int at = (b * _blockStride) + (int)((_total + k) & _mask);
                    _ring[at] = v;
                    _ring[at + ringFrames] = v;
                }
            }
        }

        private AlphaUpdate Compute(double time)
        {
            AlphaUpdate update = _pool[_poolNext];
            _poolNext = (_poolNext + 1) % _pool.Length;
            long windowStart = _total - _window;
            double df = _welch.FrequencyResolution;
            for (int j = 0; j < _segmentsPerWindow; j++)
            {
                Periodograms(windowStart + ((long)j * _step));
            }
            for (int c = 0; c < _channels; c++)
            {
                Span<double> average = _average.AsSpan(0, _usedBins);
                average.Clear();
                for (int j = 0; j < _segmentsPerWindow; j++)
                {
                    long start = windowStart + ((long)j * _step);
                    ReadOnlySpan<double> psd = _cache[SlotOf(start)].AsSpan(c * _usedBins, _usedBins);
                    for (int b = 0; b < average.Length; b++)
                    {
                        average[b] += psd[b];
                    }
                }
                for (int b = 0; b < average.Length; b++)
                {
                    average[b] /= _segmentsPerWindow;
                }
                double alpha = BandPower.Integrate(average, df, _options.BandLowHz, _options.BandHighHz);
                double broad = BandPower.Integrate(average, df, _options.BroadLowHz, _options.BroadHighHz);
                update.Absolute[c] = alpha;
                update.Relative[c] = broad > 0 ? alpha / broad : double.NaN;
            }
            for (int r = 0; r < _regions; r++)
            {
                int[] members = _regionChannels[r];
                double sumAbs = 0, sumRel = 0;
                foreach (int c in members)
                {
                    sumAbs += update.Absolute[c];
                    sumRel += update.Relative[c];
                }
                update.RegionAbsolute[r] = members.Length > 0 ? sumAbs / members.Length : double.NaN;
                update.RegionRelative[r] = members.Length > 0 ? sumRel / members.Length : double.NaN;
            }
            update.SampleIndex = _total - 1;
            update.Time = time;
            Interlocked.Increment(ref Updates);
            Record(update);
            return update;
        }

        private int SlotOf(long start) => (int)((start / _step) % _cacheSlots);

        /// <summary>Makes sure the cache holds every channel's periodogram of the segment starting at <paramref name="start"/>.</summary>
        private void Periodograms(long start)
        {
            int slot = SlotOf(start);
            if (_cacheStart[slot] == start)
            {
                return;
            }
            // Each block's segment is contiguous thanks to the mirrored ring (segment ≤ window < ring frames); the cache
            // holds channel-major PSDs, so block b's channels are one run of it.
            int width = Vector<double>.Count;
            int position = (int)(start & _mask);
            for (int b = 0; b < _blocks; b++)
            {
                int lanesUsed = Math.Min(width, _channels - (b * width));
                ReadOnlySpan<Vector<double>> segment = _ring.AsSpan((b * _blockStride) + position, _segment);
                _welch.EstimateLanes(segment, _cache[slot].AsSpan(b * width * _usedBins, lanesUsed * _usedBins), _usedBins, lanesUsed);
            }
            _cacheStart[slot] = start;
        }

        private void Record(AlphaUpdate update)
        {
            if (_regions == 0)
            {
                return;
            }
            _historyIndex[_historyNext] = update.SampleIndex;
            update.RegionAbsolute.AsSpan().CopyTo(_historyValues.AsSpan(_historyNext * _regions, _regions));
            _historyNext = (_historyNext + 1) % _historyIndex.Length;
            _historyCount = Math.Min(_historyCount + 1, _historyIndex.Length);
            if (_pending.Count > 0)
            {
                ResolvePending(final: false);
            }
        }

        public void OnEvent(in AlignedEvent ev)
        {
            if (_regions > 0)
            {
                // Condition state is created here, on the marker path, so that the per-chunk path that completes
                // the event's summary seconds later never allocates.
                SummaryIndex(ev.Condition!);
                _pending.Add((ev.Condition!, ev.SampleIndex));
                ResolvePending(final: false);
            }
        }

        public void ResolvePending(bool final)
        {
            double fs = Stream.NominalRateHz;
            long latest = _historyCount > 0 ? _historyIndex[(_historyNext - 1 + _historyIndex.Length) % _historyIndex.Length] : -1;
            for (int p = _pending.Count - 1; p >= 0; p--)
            {
                (string condition, long index) = _pending[p];
                long postEnd = index + (long)Math.Round(_options.PostEndSeconds * fs);
                if (latest < postEnd && !final)
                {
                    continue;
                }
                _pending.RemoveAt(p);
                if (latest < postEnd)
                {
                    continue; // recording ended before the post interval: not summarised
                }
                Summarise(condition, index, fs);
            }
        }

        /// <summary>Index of a condition's accumulators, created on first use (a loop, not a capturing lambda: no allocation once it exists).</summary>
        private int SummaryIndex(string condition)
        {
            for (int i = 0; i < Summary.Count; i++)
            {
                if (string.Equals(Summary[i].Condition, condition, StringComparison.Ordinal))
                {
                    return i;
                }
            }
            Summary.Add((condition, Enumerable.Range(0, _regions).Select(_ => new Accumulator()).ToArray()));
            return Summary.Count - 1;
        }

        private void Summarise(string condition, long eventIndex, double fs)
        {
            Span<double> pre = stackalloc double[_regions];
            Span<double> post = stackalloc double[_regions];
            int nPre = 0, nPost = 0;
            for (int h = 0; h < _historyCount; h++)
            {
                double t = (_historyIndex[h] - eventIndex) / fs;
                bool inPre = t >= _options.PreStartSeconds && t <= _options.PreEndSeconds;
                bool inPost = t >= _options.PostStartSeconds && t <= _options.PostEndSeconds;
                if (!inPre && !inPost)
                {
                    continue;
                }
                ReadOnlySpan<double> values = _historyValues.AsSpan(h * _regions, _regions);
                for (int r = 0; r < _regions; r++)
                {
                    if (inPre)
                    {
                        pre[r] += values[r];
                    }
                    else
                    {
                        post[r] += values[r];
                    }
                }
                if (inPre)
                {
                    nPre++;
                }
                else
                {
                    nPost++;
                }
            }
            if (nPre == 0 || nPost == 0)
            {
                return; // event too close to the start of the recording (no pre interval yet)
            }
            int index = SummaryIndex(condition);
            Accumulator[] perRegion = Summary[index].PerRegion;
            for (int r = 0; r < _regions; r++)
            {
                double preMean = pre[r] / nPre, postMean = post[r] / nPost;
                double change = ((postMean / preMean) - 1) * 100;
                Accumulator a = perRegion[r];
                a.N++;
                a.SumPre += preMean;
                a.SumPost += postMean;
                a.SumChange += change;
                a.SumChangeSquared += change * change;
            }
        }
    }
}
