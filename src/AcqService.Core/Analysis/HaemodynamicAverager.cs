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
    private readonly List<(string Condition, long Index)> _pending = new(64);
    private readonly List<ConditionAverage> _averages = [];
    private readonly Dictionary<string, ConditionAverage> _byCondition = new(StringComparer.Ordinal);
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
    /// <exception cref="ArgumentException">No channels, an empty or inverted window, a baseline outside the epoch or containing no point.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The sample rate is not finite and positive.</exception>
    public HaemodynamicAverager(string streamKey, IReadOnlyList<string> channelLabels, double sampleRateHz,
        double tminSeconds = -5, double tmaxSeconds = 20, double baselineStartSeconds = -5, double baselineEndSeconds = 0, double historySeconds = 60)
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

        _streamKey = streamKey;
        _labels = channelLabels;
        _channels = channelLabels.Count;
        _first = first;
        _ringFrames = Math.Max(_points, (int)Math.Ceiling(historySeconds * sampleRateHz)) + 1;
        _ring = new double[_ringFrames * _channels];
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

    /// <summary>Epochs added to an average so far.</summary>
    public int Accepted { get; private set; }

    /// <summary>Events dropped because their epoch started before the stream or was no longer in the history.</summary>
    public int Dropped { get; private set; }

    /// <summary>Events waiting for the end of their epoch.</summary>
    public int Pending => _pending.Count;

    /// <summary>Frames received so far (the index the next frame will have).</summary>
    public long FramesReceived => _received;

    /// <summary>Registers an event of <paramref name="condition"/> at frame <paramref name="sampleIndex"/> (first frame at or after the event).</summary>
    /// <exception cref="ArgumentException">The condition is empty.</exception>
    public void AddEvent(string condition, long sampleIndex)
    {
        ArgumentException.ThrowIfNullOrEmpty(condition);
        if (sampleIndex + _first < 0 || sampleIndex + _first < _received - _ringFrames)
        {
            Dropped++;
            return;
        }

        _pending.Add((condition, sampleIndex));
        Complete();
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

        return Complete();
    }

    private int Complete()
    {
        int completed = 0;
        for (int i = 0; i < _pending.Count;)
        {
            (string condition, long index) = _pending[i];
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
                continue;
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

            if (!_byCondition.TryGetValue(condition, out ConditionAverage? average))
            {
                average = new ConditionAverage(condition, _streamKey, _labels, _times);
                _byCondition[condition] = average;
                _averages.Add(average);
            }

            average.Add(_epoch);
            Accepted++;
            completed++;
        }

        return completed;
    }
}
