using System.Globalization;
using AcqService.Core.Model;
using AcqService.Dsp;

namespace AcqService.Sources.Simulation;

/// <summary>
/// Deterministic continuous-wave fNIRS generator (a prefrontal probe during needling): per source–detector pair a
/// haemodynamic response to every needle (boxcar insertion→removal convolved with a unit-area double-gamma HRF, so
/// the response peaks ~6 s after insertion and is sustained while the needle stays in; larger for real than sham
/// needles), plus systemic physiology (cardiac, respiration, Mayer waves) common to all pairs, turned into raw
/// detector intensities (V) with the modified Beer–Lambert law (<see cref="BeerLambert"/>, decadic), plus white
/// detector noise. Channels are identified by their labels, <c>S1-D1 760</c> (pair, space or colon, wavelength in nm),
/// so any channel order works; every pair must have exactly two tabulated wavelengths.
/// </summary>
public sealed class NirsSimulator
{
    private const double StepTableDt = 0.01;

    private readonly SimulationSettings _settings;
    private readonly double _rate;
    private readonly int[] _pairOf;
    private readonly int[] _wavelengthOf;
    private readonly double[] _baseline;
    private readonly double[] _pairGain;
    private readonly double[] _phase = new double[3];
    private readonly double[] _step;
    private readonly double _span;
    private readonly Trial[] _trials;
    private readonly Xoshiro _rng;
    private readonly double[] _hbo;
    private readonly double[] _hbr;
    private long _next;

    private readonly record struct Trial(double Insert, double Remove, bool Real);

    /// <summary>Creates a generator for the given channels.</summary>
    /// <exception cref="ArgumentException">A label is not <c>S&lt;n&gt;-D&lt;m&gt; &lt;nm&gt;</c>, a wavelength is not tabulated, or a pair does not have exactly two wavelengths.</exception>
    public NirsSimulator(SimulationSettings settings, NeedleSchedule schedule, IReadOnlyList<ChannelDescriptor> channels, double sampleRateHz)
    {
        _settings = settings;
        _rate = sampleRateHz;
        var pairs = new List<string>();
        _pairOf = new int[channels.Count];
        _wavelengthOf = new int[channels.Count];
        for (int c = 0; c < channels.Count; c++)
        {
            if (!TryParseLabel(channels[c].Label, out string pair, out int wavelength))
            {
                throw new ArgumentException($"NIRS channel '{channels[c].Label}': label must be '<source>-<detector> <wavelength nm>', e.g. 'S1-D1 760'");
            }
            if (!BeerLambert.Wavelengths.Contains(wavelength))
            {
                throw new ArgumentException($"NIRS channel '{channels[c].Label}': no extinction coefficients for {wavelength} nm (table: {string.Join(", ", BeerLambert.Wavelengths)} nm)");
            }
            int p = pairs.IndexOf(pair);
            if (p < 0)
            {
                p = pairs.Count;
                pairs.Add(pair);
            }
            _pairOf[c] = p;
            _wavelengthOf[c] = wavelength;
        }
        for (int p = 0; p < pairs.Count; p++)
        {
            int[] wavelengths = [.. Enumerable.Range(0, channels.Count).Where(c => _pairOf[c] == p).Select(c => _wavelengthOf[c])];
            if (wavelengths.Length != 2 || wavelengths[0] == wavelengths[1])
            {
                throw new ArgumentException($"NIRS pair '{pairs[p]}' must have exactly two different wavelengths (has {string.Join(", ", wavelengths)})");
            }
        }
        Pairs = pairs;
        // A stream of its own: adding fNIRS must not change the EEG, schedule or jitter sequences of an existing seed.
        _rng = new Xoshiro(settings.Seed ^ 0x0F_1125_0A11UL);
        _baseline = [.. channels.Select(_ => settings.NirsBaselineVolts * (1 + _rng.Uniform(-settings.NirsBaselineSpread, settings.NirsBaselineSpread)))];
        _pairGain = [.. pairs.Select(_ => _rng.Uniform(0.7, 1.3))];
        for (int k = 0; k < _phase.Length; k++)
        {
            _phase[k] = _rng.Uniform(0, 2 * Math.PI);
        }
        (_step, _span) = StepTable(settings);
        _trials = [.. Trials(schedule)];
        _hbo = new double[pairs.Count];
        _hbr = new double[pairs.Count];
    }

    /// <summary>Source–detector pairs in order of first appearance among the channels.</summary>
    public IReadOnlyList<string> Pairs { get; }

    /// <summary>Index of the next frame <see cref="Generate"/> produces.</summary>
    public long NextSampleIndex => _next;

    /// <summary>Pair index (into <see cref="Pairs"/>) of channel <paramref name="channel"/>.</summary>
    public int PairOf(int channel) => _pairOf[channel];

    /// <summary>Wavelength (nm) of channel <paramref name="channel"/>.</summary>
    public int WavelengthOf(int channel) => _wavelengthOf[channel];

    /// <summary>Intensity (V) channel <paramref name="channel"/> has when every concentration change is zero.</summary>
    public double BaselineVolts(int channel) => _baseline[channel];

    /// <summary>Parses <c>S1-D1 760</c> into the pair and the wavelength in nm (the analysis side's parser, so both read labels alike).</summary>
    public static bool TryParseLabel(string label, out string pair, out int wavelengthNm) =>
        AcqService.Core.Analysis.NirsLayout.TryParseLabel(label, out pair, out wavelengthNm);

    /// <summary>
    /// Step response of the unit-net-area double-gamma HRF at <paramref name="tau"/> seconds after the step
    /// (0 before, → 1 once the undershoot is over): the shape of a response to a needle that stays in.
    /// </summary>
    public double StepResponse(double tau)
    {
        if (tau <= 0)
        {
            return 0;
        }
        double x = tau / StepTableDt;
        int i = (int)x;
        if (i >= _step.Length - 1)
        {
            return 1;
        }
        return _step[i] + ((x - i) * (_step[i + 1] - _step[i]));
    }

    /// <summary>Injected haemodynamic ΔHbO (µM) at <paramref name="t"/> seconds from the origin, same for every pair, without physiology or noise (ground truth).</summary>
    public double ExpectedHbO(double t) => Response(t, _settings.NirsHbORealMicromolar, _settings.NirsHbOShamMicromolar);

    /// <summary>Injected haemodynamic ΔHbR (µM) at <paramref name="t"/> seconds from the origin (ground truth).</summary>
    public double ExpectedHbR(double t) => Response(t, _settings.NirsHbRRealMicromolar, _settings.NirsHbRShamMicromolar);

    /// <summary>Systemic physiological ΔHbO (µM) of pair <paramref name="pair"/> at <paramref name="t"/>; ΔHbR carries <see cref="SimulationSettings.NirsPhysiologyHbRRatio"/> of it.</summary>
    public double PhysiologyHbO(int pair, double t) => _pairGain[pair] * (
        (_settings.NirsCardiacMicromolar * Math.Sin((2 * Math.PI * _settings.NirsCardiacHz * t) + _phase[0]))
        + (_settings.NirsRespirationMicromolar * Math.Sin((2 * Math.PI * _settings.NirsRespirationHz * t) + _phase[1]))
        + (_settings.NirsMayerMicromolar * Math.Sin((2 * Math.PI * _settings.NirsMayerHz * t) + _phase[2])));

    /// <summary>Writes the next <paramref name="frames"/> frames of raw intensities (V), frame-major, into <paramref name="destination"/>.</summary>
    public void Generate(Span<double> destination, int frames)
    {
        int channels = _pairOf.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, frames * channels, nameof(destination));
        for (int f = 0; f < frames; f++)
        {
            double t = (_next + f) / _rate;
            double hbo = ExpectedHbO(t), hbr = ExpectedHbR(t);
            for (int p = 0; p < _hbo.Length; p++)
            {
                double physiology = PhysiologyHbO(p, t);
                _hbo[p] = hbo + physiology;
                _hbr[p] = hbr + (_settings.NirsPhysiologyHbRRatio * physiology);
            }
            for (int c = 0; c < channels; c++)
            {
                int p = _pairOf[c];
                // µM → M: the MBLL works in molar units with ε in cm⁻¹·M⁻¹.
                double od = BeerLambert.ToOpticalDensity(_hbo[p] * 1e-6, _hbr[p] * 1e-6, _wavelengthOf[c], _settings.NirsDistanceCm, _settings.NirsDpf);
                destination[(f * channels) + c] = _baseline[c] * Math.Pow(10, -od) * (1 + (_settings.NirsWhiteNoiseFraction * _rng.NextGaussian()));
            }
        }
        _next += frames;
    }

    private double Response(double t, double real, double sham)
    {
        // Trials are disjoint and in order: walk back from the last insertion before t until a needle's response has settled.
        int hi = _trials.Length - 1;
        int lo = 0;
        int last = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_trials[mid].Insert <= t)
            {
                last = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        double sum = 0;
        for (int i = last; i >= 0; i--)
        {
            Trial trial = _trials[i];
            if (t - trial.Remove > _span)
            {
                break;
            }
            sum += (trial.Real ? real : sham) * (StepResponse(t - trial.Insert) - StepResponse(t - trial.Remove));
        }
        return sum;
    }

    private static IEnumerable<Trial> Trials(NeedleSchedule schedule)
    {
        foreach (IGrouping<int, NeedleEvent> needle in schedule.Events.GroupBy(e => e.Trial))
        {
            NeedleEvent? insert = needle.FirstOrDefault(e => e.Action == NeedleAction.Insert);
            if (insert is null)
            {
                continue;
            }
            // A needle still in at the end of the schedule never comes out.
            double remove = needle.FirstOrDefault(e => e.Action == NeedleAction.Remove)?.Time ?? double.PositiveInfinity;
            yield return new Trial(insert.Time, remove, insert.Real);
        }
    }

    /// <summary>Tabulates the step response of h = (g(peak) − r·g(undershoot)) / (1 − r), g = unit-area gamma densities with scale 1 s.</summary>
    private static (double[] Step, double Span) StepTable(SimulationSettings settings)
    {
        // Long enough for the undershoot gamma to have integrated to 1 within rounding.
        double span = (3 * settings.NirsHrfUndershootSeconds) + 20;
        int n = (int)Math.Ceiling(span / StepTableDt) + 1;
        double[] g1 = Gamma(settings.NirsHrfPeakSeconds + 1, n);
        double[] g2 = Gamma(settings.NirsHrfUndershootSeconds + 1, n);
        double r = settings.NirsHrfUndershootRatio;
        double[] step = new double[n];
        double previous = 0;
        for (int i = 1; i < n; i++)
        {
            double h = (g1[i] - (r * g2[i])) / (1 - r);
            step[i] = step[i - 1] + (0.5 * StepTableDt * (previous + h));
            previous = h;
        }
        return (step, span);
    }

    private static double[] Gamma(double shape, int n)
    {
        // Computed in logs (t^(k−1) overflows nothing this way) and normalised numerically, which avoids needing Γ(k).
        double[] g = new double[n];
        double area = 0;
        for (int i = 1; i < n; i++)
        {
            double t = i * StepTableDt;
            g[i] = Math.Exp(((shape - 1) * Math.Log(t)) - t);
        }
        for (int i = 1; i < n; i++)
        {
            area += 0.5 * StepTableDt * (g[i - 1] + g[i]);
        }
        for (int i = 0; i < n; i++)
        {
            g[i] /= area;
        }
        return g;
    }
}
