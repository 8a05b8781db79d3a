using AcqService.Core.Model;
using AcqService.Core.Pipeline;

namespace AcqService.Core.Analysis;

/// <summary>
/// Event-locked (needle-locked) average of a haemoglobin stream — the fNIRS counterpart of the ERP average, with the
/// slow time scale of the haemodynamic response: epochs <see cref="TminSeconds"/>..<see cref="TmaxSeconds"/>
/// (default −5..+20 s) around each event, per-channel baseline mean over <see cref="BaselineStartSeconds"/>..
/// <see cref="BaselineEndSeconds"/> (inclusive, as MNE's <c>rescale</c>; default −5..0 s) subtracted, and a running
/// mean and standard error per condition, channel and time point (<see cref="ConditionAverage"/>, Welford).
/// <para>
/// Time base: events are given as the sample index of the first frame at or after the event (the aligner's rule,
/// as for ERP); epoch point k of an event at index e is frame e + k for k = round(tmin·fs) … round(tmax·fs), so
/// <see cref="Times"/> = k / fs. An epoch is completed when its last frame has arrived; an event whose first frame
/// is before the start of the stream, or already older than the kept history, is dropped and counted.
/// Units are those of the input (µM from <see cref="HaemoglobinConverter"/> by default), although
/// <see cref="ConditionAverage"/> describes its values as µV for the ERP case.
/// </para>
/// Allocation-free per chunk once every condition has been seen and the pending list has reached its largest size;
/// not thread-safe.
/// </summary>
public sealed class HaemodynamicAverager
{
    private readonly string _streamKey;
    private readonly IReadOnlyList<string> _labels;
    private readonly int _channels;
    private readonly int _first;
    private readonly int _points;
    private readonly int _baselineFrom;
    private readonly int _baselineTo;
    private readonly double[] _ring;
    private readonly int _ringFrames;
    private readonly double[] _epoch;
    private readonly double[] _times;
    private readonly List<(string Condition, long Index, AlignedEvent Event)> _pending = new(64);
    private readonly List<ConditionAverage> _averages = [];
    private readonly Dictionary<string, ConditionAverage> _byCondition = new(StringComparer.Ordinal);
    private readonly short[] _motion;
    private readonly HaemodynamicEpochRules _rules;
    private readonly int _preFrom, _preTo, _postFrom, _postTo;
    private readonly List<EpochOutcome> _outcomes = new(256);
    private readonly Dictionary<(string Condition, string Region, int Chromophore), PrePost> _prePost = [];
    private readonly List<(string Condition, string Region, int Chromophore)> _prePostOrder = [];
    private readonly double _rate;
    private long _received;

    /// <summary>Creates the averager.</summary>
    /// <param name="streamKey">Key of the haemoglobin stream (recorded in each average).</param>
    /// <param name="channelLabels">Labels of the interleaved channels, e.g. <see cref="HaemoglobinConverter.OutputLabels"/>.</param>
    /// <param name="sampleRateHz">Sample rate (Hz).</param>
    /// <param name="tminSeconds">Epoch start relative to the event (default −5 s).</param>
    /// <param name="tmaxSeconds">Epoch end (default +20 s).</param>
    /// <param name="baselineStartSeconds">Baseline start (default −5 s).</param>
    /// <param name="baselineEndSeconds">Baseline end, inclusive (default 0 s).</param>
    /// <param name="historySeconds">Signal kept for late events, counted before an epoch's last frame (default 60 s; at least the epoch length).</param>
    /// <param name="rules">Rejection and pre/post summary rules (default: no rejection, pre −5..0 s and post 5..15 s clipped to the epoch, region <c>all</c>).</param>
    /// <exception cref="ArgumentException">No channels, an empty or inverted window, a baseline or pre/post window outside the epoch or containing no point.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The sample rate is not finite and positive.</exception>
    public HaemodynamicAverager(string streamKey, IReadOnlyList<string> channelLabels, double sampleRateHz,
        double tminSeconds = -5, double tmaxSeconds = 20, double baselineStartSeconds = -5, double baselineEndSeconds = 0, double historySeconds = 60,
        HaemodynamicEpochRules? rules = null)
    {
        ArgumentNullException.ThrowIfNull(streamKey);
        ArgumentNullException.ThrowIfNull(channelLabels);
        if (!(sampleRateHz > 0) || !double.IsFinite(sampleRateHz))
        {
            throw new ArgumentOutOfRangeException(nameof(sampleRateHz), sampleRateHz, "Must be finite and positive.");
        }

        if (channelLabels.Count == 0)
        {
            throw new ArgumentException("At least one channel is needed.", nameof(channelLabels));
        }

        int first = (int)Math.Round(tminSeconds * sampleRateHz), last = (int)Math.Round(tmaxSeconds * sampleRateHz);
        if (!(last > first))
        {
            throw new ArgumentException($"Epoch {tminSeconds}..{tmaxSeconds} s holds no interval at {sampleRateHz} Hz.", nameof(tmaxSeconds));
        }

        _points = last - first + 1;
        _times = new double[_points];
        for (int k = 0; k < _points; k++)
        {
            _times[k] = (first + k) / sampleRateHz;
        }

        // Inclusive on both ends, with a little slack for times that are not exact in binary.
        double slack = 1e-9 / sampleRateHz;
        _baselineFrom = Array.FindIndex(_times, t => t >= baselineStartSeconds - slack);
        _baselineTo = Array.FindLastIndex(_times, t => t <= baselineEndSeconds + slack);
        if (baselineStartSeconds < tminSeconds - slack || baselineEndSeconds > tmaxSeconds + slack || _baselineFrom < 0 || _baselineTo < _baselineFrom)
        {
            throw new ArgumentException($"Baseline {baselineStartSeconds}..{baselineEndSeconds} s must be a non-empty interval inside the epoch {tminSeconds}..{tmaxSeconds} s.", nameof(baselineStartSeconds));
        }

        _rate = sampleRateHz;
        _rules = rules ?? new HaemodynamicEpochRules();
        // Pre/post windows are clipped to the epoch, so the defaults work with any window that contains them in part.
        (_preFrom, _preTo) = Window(Math.Max(_rules.PreStartSeconds, tminSeconds), Math.Min(_rules.PreEndSeconds, tmaxSeconds), slack, "pre");
        (_postFrom, _postTo) = Window(Math.Max(_rules.PostStartSeconds, tminSeconds), Math.Min(_rules.PostEndSeconds, tmaxSeconds), slack, "post");
        _streamKey = streamKey;
        _labels = channelLabels;
        _channels = channelLabels.Count;
        _first = first;
        _ringFrames = Math.Max(_points, (int)Math.Ceiling(historySeconds * sampleRateHz)) + 1;
        _ring = new double[_ringFrames * _channels];
        _motion = new short[_ringFrames];
        _epoch = new double[_channels * _points];
        TminSeconds = tminSeconds;
        TmaxSeconds = tmaxSeconds;
        BaselineStartSeconds = baselineStartSeconds;
        BaselineEndSeconds = baselineEndSeconds;
    }

    /// <summary>Epoch start (s).</summary>
    public double TminSeconds { get; }

    /// <summary>Epoch end (s).</summary>
    public double TmaxSeconds { get; }

    /// <summary>Baseline start (s).</summary>
    public double BaselineStartSeconds { get; }

    /// <summary>Baseline end (s, inclusive).</summary>
    public double BaselineEndSeconds { get; }

    /// <summary>Time of each epoch point relative to the event (s).</summary>
    public IReadOnlyList<double> Times => _times;

    /// <summary>Averages per condition, in first-seen order.</summary>
    public IReadOnlyList<ConditionAverage> Averages => _averages;

    /// <summary>When true, every accepted epoch publishes an immutable copy of its condition's average (<see cref="LatestAverages"/>).</summary>
    public bool PublishAverages { get; set; }

    /// <summary>The latest published averages (any thread); empty unless <see cref="PublishAverages"/>.</summary>
    public IReadOnlyList<ErpAverageSnapshot> LatestAverages => _snapshots;

    private volatile IReadOnlyList<ErpAverageSnapshot> _snapshots = [];

    /// <summary>Epochs added to an average so far.</summary>
    public int Accepted { get; private set; }

    /// <summary>Events dropped because their epoch started before the stream or was no longer in the history.</summary>
    public int Dropped { get; private set; }

    /// <summary>Events waiting for the end of their epoch.</summary>
    public int Pending => _pending.Count;

    /// <summary>Frames received so far (the index the next frame will have).</summary>
    public long FramesReceived => _received;

    /// <summary>Epochs rejected by the rules (motion artefact inside, peak-to-peak over the limit).</summary>
    public int Rejected { get; private set; }

    /// <summary>
    /// One outcome per event given to <see cref="AddEvent(in AlignedEvent)"/>, in the order they were decided: an epoch,
    /// or a drop with a reason tagged <see cref="DropReason.Haemodynamic"/> (for the drop log and the summary).
    /// </summary>
    public IReadOnlyList<EpochOutcome> Outcomes => _outcomes;

    /// <summary>Registers an event of <paramref name="condition"/> at frame <paramref name="sampleIndex"/> (first frame at or after the event).</summary>
    /// <exception cref="ArgumentException">The condition is empty.</exception>
    public void AddEvent(string condition, long sampleIndex)
    {
        ArgumentException.ThrowIfNullOrEmpty(condition);
        AddEvent(new AlignedEvent(default, -1, sampleIndex, double.NaN, double.NaN, condition, null));
    }

    /// <summary>
    /// Registers an aligned event (the aligner's placement on this stream): dropped at once when the aligner dropped
    /// it or no condition matched, otherwise epoched when its last frame has arrived.
    /// </summary>
    public void AddEvent(in AlignedEvent alignedEvent)
    {
        if (alignedEvent.DropReason is DropReason aligner)
        {
            Drop(alignedEvent, aligner with { Haemodynamic = true });
            return;
        }
        if (alignedEvent.Condition is not string condition || condition.Length == 0)
        {
            Drop(alignedEvent, new DropReason(DropKind.NoConditionRule, Haemodynamic: true));
            return;
        }
        long sampleIndex = alignedEvent.SampleIndex;
        if (sampleIndex + _first < 0)
        {
            Dropped++;
            Drop(alignedEvent, new DropReason(DropKind.EpochBeforeStart, Haemodynamic: true));
            return;
        }
        if (sampleIndex + _first < _received - _ringFrames)
        {
            Dropped++;
            Drop(alignedEvent, new DropReason(DropKind.BeyondEpochBuffer, Limit: _ringFrames / _rate, Haemodynamic: true));
            return;
        }

        _pending.Add((condition, sampleIndex, alignedEvent));
        Complete();
    }

    /// <summary>The stream has ended: every event still waiting for frames is dropped as incomplete.</summary>
    public void Finish()
    {
        foreach ((string condition, _, AlignedEvent e) in _pending)
        {
            Dropped++;
            Drop(e, new DropReason(DropKind.EndedBeforeComplete, Haemodynamic: true), condition);
        }
        _pending.Clear();
    }

    /// <summary>Pre/post summaries per condition, region and chromophore (<c>hbo</c>, <c>hbr</c>), in first-seen order.</summary>
    public IReadOnlyList<HaemodynamicConditionSummary> Summaries() =>
        [.. _prePostOrder.Select(k => _prePost[k].ToSummary(k.Condition, _streamKey, k.Region, k.Chromophore == 0 ? "hbo" : "hbr"))];

    /// <summary>
    /// Appends frames with, per frame, the motion-artefact channel (1-based index into
    /// <see cref="HaemodynamicEpochRules.MotionChannelNames"/>, 0 = none) from <see cref="HaemoglobinConverter.ArtifactFrames"/>.
    /// </summary>
    /// <returns>Epochs completed by this call.</returns>
    /// <exception cref="ArgumentException">The length is not a whole number of frames, or the flags do not match the frames.</exception>
    public int Append(ReadOnlySpan<double> interleaved, ReadOnlySpan<short> motion)
    {
        if (interleaved.Length % _channels != 0 || (motion.Length != 0 && motion.Length != interleaved.Length / _channels))
        {
            throw new ArgumentException($"Length {interleaved.Length} is not a whole number of {_channels}-channel frames, or {motion.Length} motion flags do not match.", nameof(interleaved));
        }
        for (int f = 0; f < interleaved.Length / _channels; f++)
        {
            _motion[(int)((_received + f) % _ringFrames)] = motion.Length == 0 ? (short)0 : motion[f];
        }
        return Append(interleaved);
    }

    private void Drop(in AlignedEvent e, DropReason reason, string? condition = null)
    {
        string? name = condition ?? e.Condition;
        int count = name is not null && _byCondition.TryGetValue(name, out ConditionAverage? average) ? average.Count : 0;
        _outcomes.Add(new EpochOutcome(_streamKey, e.Marker, e.MarkerTime, e.SampleIndex, name, false, reason, count));
    }

    private (int From, int To) Window(double start, double end, double slack, string name)
    {
        int from = Array.FindIndex(_times, t => t >= start - slack), to = Array.FindLastIndex(_times, t => t <= end + slack);
        if (from < 0 || to < from)
        {
            throw new ArgumentException($"The {name} window {start}..{end} s holds no point of the epoch {_times[0]}..{_times[^1]} s.");
        }
        return (from, to);
    }

    /// <summary>Appends <c>frames × channels</c> interleaved values and completes every epoch whose last frame has arrived.</summary>
    /// <returns>Epochs completed by this call.</returns>
    /// <exception cref="ArgumentException">The length is not a whole number of frames.</exception>
    public int Append(ReadOnlySpan<double> interleaved)
    {
        if (interleaved.Length % _channels != 0)
        {
            throw new ArgumentException($"Length {interleaved.Length} is not a whole number of {_channels}-channel frames.", nameof(interleaved));
        }

        for (int offset = 0; offset < interleaved.Length; offset += _channels)
        {
            interleaved.Slice(offset, _channels).CopyTo(_ring.AsSpan((int)(_received % _ringFrames) * _channels, _channels));
            _received++;
        }
        // Frames appended without motion flags carry none (the flags of Append(values, motion) are written first).

        return Complete();
    }

    private int Complete()
    {
        int completed = 0;
        for (int i = 0; i < _pending.Count;)
        {
            (string condition, long index, AlignedEvent alignedEvent) = _pending[i];
            long start = index + _first;
            if (start + _points > _received)
            {
                i++;
                continue;
            }

            _pending.RemoveAt(i);
            if (start < _received - _ringFrames)
            {
                Dropped++; // the history no longer holds its beginning (the event was registered far too late)
                Drop(alignedEvent, new DropReason(DropKind.BeyondEpochBuffer, Limit: _ringFrames / _rate, Haemodynamic: true), condition);
                continue;
            }

            if (_rules.RejectMotion)
            {
                // Any flagged frame inside the epoch rejects it: the derivative rule marks jumps, which would dominate an average.
                int hit = -1;
                for (int k = 0; k < _points && hit < 0; k++)
                {
                    if (_motion[(int)((start + k) % _ringFrames)] != 0)
                    {
                        hit = k;
                    }
                }
                if (hit >= 0)
                {
                    int channel = _motion[(int)((start + hit) % _ringFrames)] - 1;
                    Rejected++;
                    Drop(alignedEvent, new DropReason(DropKind.MotionArtifact, _streamKey,
                        channel < _rules.MotionChannelNames.Count ? _rules.MotionChannelNames[channel] : $"channel {channel + 1}", _times[hit], Haemodynamic: true), condition);
                    continue;
                }
            }

            for (int k = 0; k < _points; k++)
            {
                int slot = (int)((start + k) % _ringFrames) * _channels;
                for (int c = 0; c < _channels; c++)
                {
                    _epoch[(c * _points) + k] = _ring[slot + c];
                }
            }

            for (int c = 0; c < _channels; c++)
            {
                Span<double> row = _epoch.AsSpan(c * _points, _points);
                double sum = 0.0;
                for (int k = _baselineFrom; k <= _baselineTo; k++)
                {
                    sum += row[k];
                }

                double mean = sum / (_baselineTo - _baselineFrom + 1);
                for (int k = 0; k < row.Length; k++)
                {
                    row[k] -= mean;
                }
            }

            if (_rules.RejectPeakToPeak is double limit)
            {
                int worst = -1;
                double worstPtp = 0;
                for (int c = 0; c < _channels; c++)
                {
                    ReadOnlySpan<double> row = _epoch.AsSpan(c * _points, _points);
                    double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
                    foreach (double v in row)
                    {
                        lo = Math.Min(lo, v);
                        hi = Math.Max(hi, v);
                    }
                    if (hi - lo > limit && hi - lo > worstPtp)
                    {
                        (worst, worstPtp) = (c, hi - lo);
                    }
                }
                if (worst >= 0)
                {
                    Rejected++;
                    Drop(alignedEvent, new DropReason(DropKind.PeakToPeak, _streamKey, _labels[worst], worstPtp, limit, Haemodynamic: true), condition);
                    continue;
                }
            }

            if (!_byCondition.TryGetValue(condition, out ConditionAverage? average))
            {
                average = new ConditionAverage(condition, _streamKey, _labels, _times);
                _byCondition[condition] = average;
                _averages.Add(average);
            }

            average.Add(_epoch);
            if (PublishAverages)
            {
                // Copy-on-write for readers on other threads (the dashboard); one copy per accepted epoch, never per frame.
                ErpAverageSnapshot snapshot = ErpAverageSnapshot.Of(average);
                _snapshots = [.. _snapshots.Where(x => x.Condition != snapshot.Condition), snapshot];
            }
            Accepted++;
            completed++;
            _outcomes.Add(new EpochOutcome(_streamKey, alignedEvent.Marker, alignedEvent.MarkerTime, index, condition, true, null, average.Count));
            AddPrePost(condition);
        }

        return completed;
    }

    /// <summary>Adds the current (baseline-corrected) epoch to the pre/post sums of its condition, per region and chromophore.</summary>
    private void AddPrePost(string condition)
    {
        // Indexed loops: an interface enumerator would allocate on every epoch.
        IReadOnlyList<(string Region, int[] Pairs)> regions = _rules.Regions;
        for (int r = 0; r < regions.Count; r++)
        {
            (string region, int[] pairs) = regions[r];
            for (int chromophore = 0; chromophore < 2; chromophore++)
            {
                double pre = 0, post = 0;
                int used = 0;
                foreach (int p in pairs)
                {
                    int c = (2 * p) + chromophore;
                    if (c >= _channels)
                    {
                        continue;
                    }
                    pre += Mean(_epoch.AsSpan((c * _points) + _preFrom, _preTo - _preFrom + 1));
                    post += Mean(_epoch.AsSpan((c * _points) + _postFrom, _postTo - _postFrom + 1));
                    used++;
                }
                if (used == 0)
                {
                    continue;
                }
                var key = (condition, region, chromophore);
                if (!_prePost.TryGetValue(key, out PrePost? acc))
                {
                    _prePost[key] = acc = new PrePost();
                    _prePostOrder.Add(key);
                }
                acc.Add(pre / used, post / used);
            }
        }
    }

    private static double Mean(ReadOnlySpan<double> values)
    {
        double sum = 0;
        foreach (double v in values)
        {
            sum += v;
        }
        return sum / values.Length;
    }

    /// <summary>Running means of pre and post and Welford mean/variance of their difference.</summary>
    private sealed class PrePost
    {
        private int _n;
        private double _pre, _post, _mean, _m2;

        public void Add(double pre, double post)
        {
            _n++;
            _pre += (pre - _pre) / _n;
            _post += (post - _post) / _n;
            double d = post - pre, delta = d - _mean;
            _mean += delta / _n;
            _m2 += delta * (d - _mean);
        }

        public HaemodynamicConditionSummary ToSummary(string condition, string stream, string region, string chromophore) =>
            new(condition, stream, region, chromophore, _n, _pre, _post, _mean, _n > 1 ? Math.Sqrt(_m2 / (_n - 1) / _n) : double.NaN);
    }
}

/// <summary>Rejection and pre/post summary rules of <see cref="HaemodynamicAverager"/>.</summary>
public sealed class HaemodynamicEpochRules
{
    /// <summary>Reject an epoch when the artefact detector flagged any frame inside it.</summary>
    public bool RejectMotion { get; init; }

    /// <summary>Reject an epoch when a channel's baseline-corrected peak-to-peak exceeds this (input unit, µM); null = off.</summary>
    public double? RejectPeakToPeak { get; init; }

    /// <summary>Names of the artefact detector's channels (the optical-density channels, e.g. <c>S1-D1 760</c>) for drop reasons.</summary>
    public IReadOnlyList<string> MotionChannelNames { get; init; } = [];

    /// <summary>Pre window start (s, relative to the event).</summary>
    public double PreStartSeconds { get; init; } = -5;

    /// <summary>Pre window end (s, inclusive).</summary>
    public double PreEndSeconds { get; init; }

    /// <summary>Post window start (s).</summary>
    public double PostStartSeconds { get; init; } = 5;

    /// <summary>Post window end (s, inclusive).</summary>
    public double PostEndSeconds { get; init; } = 15;

    /// <summary>Regions for the pre/post summaries: name → pair indices (pair p has channels 2p = HbO, 2p + 1 = HbR); default region <c>all</c> = pair 0.</summary>
    public IReadOnlyList<(string Region, int[] Pairs)> Regions { get; init; } = [("all", [0])];
}
