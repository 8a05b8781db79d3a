using AcqService.Core.Model;

namespace AcqService.Sources.Simulation;

/// <summary>
/// Deterministic EEG generator: per channel 1/f background + posterior alpha (amplitude raised after needle
/// insertion, more for real than sham needles) + mains interference + a known evoked waveform at every
/// needle event. Samples are produced strictly in order (the background is a filtered random process);
/// the ground-truth methods give the injected components for tests.
/// </summary>
public sealed class EegSimulator
{
    private readonly SimulationSettings _settings;
    private readonly NeedleSchedule _schedule;
    private readonly double _rate;
    private readonly int _channels;
    private readonly double[] _alphaWeight;
    private readonly double[] _evokedWeight;
    private readonly double[] _lineWeight;
    private readonly double[] _alphaPhase;
    private readonly double _linePhase;
    private readonly Xoshiro _rng;
    // Pink-noise filter state: 7 first-order sections per channel (Kellet's economy method), scaled to unit RMS.
    private readonly double[] _pink;
    private double _alphaEnvelope = 1;
    private long _next;
    private int _eventCursor;
    private readonly double _evokedSpan;
    // Injected faults (acq check tests and demos); null when none, so the fault-free path is the one that was always there.
    private readonly ChannelFaults? _faults;

    /// <summary>Creates a generator for the given channels.</summary>
    public EegSimulator(SimulationSettings settings, NeedleSchedule schedule, IReadOnlyList<ChannelDescriptor> channels, double sampleRateHz)
    {
        _settings = settings;
        _schedule = schedule;
        _rate = sampleRateHz;
        _channels = channels.Count;
        _alphaWeight = [.. channels.Select(c => Topography.Alpha(c.Label))];
        _evokedWeight = [.. channels.Select(c => Topography.Evoked(c.Label))];
        _lineWeight = [.. channels.Select(c => Topography.Line(c.Label))];
        _rng = new Xoshiro(settings.Seed);
        _alphaPhase = [.. channels.Select(_ => _rng.Uniform(0, 2 * Math.PI))];
        _linePhase = _rng.Uniform(0, 2 * Math.PI);
        _pink = new double[_channels * 7];
        _evokedSpan = settings.Evoked.Count == 0 ? 0 : settings.Evoked.Max(c => c.LatencySeconds + (5 * c.WidthSeconds));
        _faults = ChannelFaults.Create(settings, channels);
        // Let the pink filters settle so the first seconds have the same statistics as the rest.
        Span<double> scratch = stackalloc double[1];
        for (int i = 0; i < 2000; i++)
        {
            for (int c = 0; c < _channels; c++)
            {
                NextPink(c);
            }
        }
        _ = scratch;
    }

    /// <summary>Index of the next sample <see cref="Generate"/> produces.</summary>
    public long NextSampleIndex => _next;

    /// <summary>The injected evoked waveform (µV, before channel and event gains) at <paramref name="tau"/> seconds after an event.</summary>
    public static double EvokedWaveform(SimulationSettings settings, double tau)
    {
        double sum = 0;
        foreach (EvokedComponent c in settings.Evoked)
        {
            double z = (tau - c.LatencySeconds) / c.WidthSeconds;
            sum += c.AmplitudeMicrovolts * Math.Exp(-0.5 * z * z);
        }
        return sum;
    }

    /// <summary>Gain of the evoked response for an event (action gain × sham gain).</summary>
    public static double EventGain(SimulationSettings settings, NeedleEvent e) =>
        settings.ActionGains[(int)e.Action] * (e.Real ? 1.0 : settings.ShamEvokedGain);

    /// <summary>Evoked weight of a channel label (ground truth for tests).</summary>
    public static double ChannelEvokedWeight(string label) => Topography.Evoked(label);

    /// <summary>Alpha amplitude multiplier at time <paramref name="t"/> (seconds from origin) from the needling protocol (ground truth).</summary>
    public double AlphaModulation(double t)
    {
        double m = 1;
        NeedleEvent? insert = null;
        foreach (NeedleEvent e in _schedule.Events)
        {
            if (e.Time > t)
            {
                break;
            }
            if (e.Action == NeedleAction.Insert)
            {
                insert = e;
            }
            else if (e.Action == NeedleAction.Remove && insert is not null && e.Trial == insert.Trial)
            {
                double gain = insert.Real ? _settings.AlphaGainReal : _settings.AlphaGainSham;
                double atRemoval = gain * (1 - Math.Exp(-(e.Time - insert.Time) / _settings.AlphaRiseSeconds));
                double decayed = atRemoval * Math.Exp(-(t - e.Time) / _settings.AlphaDecaySeconds);
                insert = null;
                m = 1 + decayed;
            }
        }
        if (insert is not null)
        {
            double gain = insert.Real ? _settings.AlphaGainReal : _settings.AlphaGainSham;
            m = 1 + (gain * (1 - Math.Exp(-(t - insert.Time) / _settings.AlphaRiseSeconds)));
        }
        return m;
    }

    /// <summary>
    /// Writes the next <c>frames</c> samples (interleaved, µV) into <paramref name="destination"/>
    /// (length frames × channels).
    /// </summary>
    public void Generate(Span<double> destination, int frames)
    {
        double dt = 1.0 / _rate;
        double fluctuationStep = Math.Exp(-dt / 0.5); // 0.5 s correlation of the amplitude fluctuation
        double fluctuationScale = _settings.AlphaFluctuation * Math.Sqrt(1 - (fluctuationStep * fluctuationStep));
        for (int f = 0; f < frames; f++)
        {
            long n = _next++;
            double t = n * dt;
            // Slow random amplitude fluctuation (AR(1) around 1) makes the rhythm look like real alpha bursts.
            _alphaEnvelope = 1 + (fluctuationStep * (_alphaEnvelope - 1)) + (fluctuationScale * _rng.NextGaussian());
            double alphaAmp = _settings.AlphaAmplitudeMicrovolts * Math.Max(0, _alphaEnvelope) * AlphaModulationFast(t);
            double line = _settings.LineNoiseMicrovolts * Math.Sin((2 * Math.PI * _settings.LineFrequencyHz * t) + _linePhase);
            double evoked = EvokedAt(t);
            double alphaArg = 2 * Math.PI * _settings.AlphaFrequencyHz * t;
            Span<double> frame = destination.Slice(f * _channels, _channels);
            for (int c = 0; c < _channels; c++)
            {
                frame[c] = (_settings.BackgroundRmsMicrovolts * NextPink(c))
                    + (alphaAmp * _alphaWeight[c] * Math.Sin(alphaArg + _alphaPhase[c]))
                    + (line * _lineWeight[c])
                    + (evoked * _evokedWeight[c]);
            }
            _faults?.Apply(frame, t, _linePhase);
        }
    }

    private double _modCacheTime = double.NaN;
    private double _modCacheValue = 1;

    /// <summary>Alpha modulation evaluated at 10 ms resolution (it changes on a ≥ 1 s scale).</summary>
    private double AlphaModulationFast(double t)
    {
        double bucket = Math.Floor(t * 100) / 100;
        if (bucket != _modCacheTime)
        {
            _modCacheTime = bucket;
            _modCacheValue = AlphaModulation(bucket);
        }
        return _modCacheValue;
    }

    private double EvokedAt(double t)
    {
        IReadOnlyList<NeedleEvent> events = _schedule.Events;
        while (_eventCursor < events.Count && events[_eventCursor].Time + _evokedSpan < t)
        {
            _eventCursor++;
        }
        double sum = 0;
        for (int i = _eventCursor; i < events.Count && events[i].Time <= t; i++)
        {
            NeedleEvent e = events[i];
            sum += EventGain(_settings, e) * EvokedWaveform(_settings, t - e.Time);
        }
        return sum;
    }

    private double NextPink(int channel)
    {
        // Paul Kellet's refined pink-noise filter (sum of first-order lowpasses of white noise); the final
        // factor scales it to about unit RMS.
        double white = _rng.NextGaussian();
        Span<double> b = _pink.AsSpan(channel * 7, 7);
        b[0] = (0.99886 * b[0]) + (white * 0.0555179);
        b[1] = (0.99332 * b[1]) + (white * 0.0750759);
        b[2] = (0.96900 * b[2]) + (white * 0.1538520);
        b[3] = (0.86650 * b[3]) + (white * 0.3104856);
        b[4] = (0.55000 * b[4]) + (white * 0.5329522);
        b[5] = (-0.7616 * b[5]) - (white * 0.0168980);
        double pink = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + (white * 0.5362);
        b[6] = white * 0.115926;
        return pink * 0.32;
    }
}
