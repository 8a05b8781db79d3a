using AcqService.Dsp;

namespace AcqService.Core.Analysis;

/// <summary>
/// Live, causal conversion of an fNIRS raw-intensity stream (interleaved frames) into ΔHbO/ΔHbR per source–detector
/// pair. Stages, in order:
/// <list type="number">
/// <item>optical density −ln(I/I₀) against a fixed baseline of the first <see cref="HaemoglobinOptions.BaselineSeconds"/>
/// (<see cref="OpticalDensityTracker"/>: running mean until then; non-positive intensities counted);</item>
/// <item>motion-artefact counting on the optical density (<see cref="DerivativeArtifactDetector"/>, TDDR's rule; counts only, nothing is repaired);</item>
/// <item>the modified Beer–Lambert law per pair (<see cref="HaemoglobinMatrix"/>; MNE's form by default);</item>
/// <item>optional short-separation regression of each long pair on its short pair, HbO on HbO and HbR on HbR
/// (<see cref="ShortChannelRegression"/>, before the low-pass so that β also removes the shared cardiac pulse);</item>
/// <item>optional causal Butterworth low-pass (SOS).</item>
/// </list>
/// Output frame layout: for each pair in <see cref="NirsLayout.Pairs"/> order, ΔHbO then ΔHbR (µM by default).
/// Channels of the input that belong to no pair (aux, accelerometer) are ignored.
/// Offline, without baseline period, low-pass or regression, stages 1 and 3 equal MNE's <c>optical_density</c> and
/// <c>beer_lambert_law</c> up to the constant OD offset ln(I₀/Ī) per channel (see <see cref="OpticalDensityTracker"/>).
/// Allocation-free once it has seen its largest chunk; driven by one task (not thread-safe), except the counters.
/// </summary>
public sealed class HaemoglobinConverter
{
    private readonly NirsLayout _layout;
    private readonly int _pairs;
    private readonly HaemoglobinMatrix[] _matrices;
    private readonly double _outputScale;
    private readonly OpticalDensityTracker _tracker;
    private readonly DerivativeArtifactDetector? _detector;
    private readonly ShortChannelRegression? _regression;
    private short[] _artifactFrames = [];
    private long[] _hitsSeen = [];
    private int _lastFrames;
    private readonly SosFilter? _lowPass;
    private double[] _compact = new double[256];

    /// <summary>Creates the converter.</summary>
    /// <param name="layout">Pairs of the intensity stream.</param>
    /// <param name="sampleRateHz">Nominal sample rate of the stream (Hz).</param>
    /// <param name="options">Settings.</param>
    /// <exception cref="ArgumentException">Invalid settings (the message names them), a wavelength without extinction
    /// coefficients, a non-positive distance, or a short-channel assignment that cannot be made.</exception>
    public HaemoglobinConverter(NirsLayout layout, double sampleRateHz, HaemoglobinOptions options)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(options);
        string[] problems = [.. options.Validate(sampleRateHz)];
        if (problems.Length > 0)
        {
            throw new ArgumentException(string.Join("; ", problems), nameof(options));
        }

        _layout = layout;
        _pairs = layout.Pairs.Count;
        SampleRateHz = sampleRateHz;
        _matrices = new HaemoglobinMatrix[_pairs];
        for (int p = 0; p < _pairs; p++)
        {
            NirsPair pair = layout.Pairs[p];
            try
            {
                _matrices[p] = options.Convention == BeerLambertConvention.Mne
                    ? HaemoglobinMatrix.LikeMne(pair.Wavelength1Nm, pair.Wavelength2Nm, pair.DistanceM, options.PathlengthFactor1, options.PathlengthFactor2)
                    : HaemoglobinMatrix.ModifiedBeerLambert(pair.Wavelength1Nm, pair.Wavelength2Nm, pair.DistanceM * 100.0, options.PathlengthFactor1, options.PathlengthFactor2);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"NIRS pair '{pair.Name}': {ex.Message}", nameof(layout), ex);
            }
        }

        _outputScale = options.Micromolar ? 1e6 : 1.0;
        OutputUnit = options.Micromolar ? "uM" : "M";
        OutputLabels = [.. layout.Pairs.SelectMany(p => new[] { $"{p.Name} hbo", $"{p.Name} hbr" })];
        int compactChannels = 2 * _pairs;
        _tracker = new OpticalDensityTracker(compactChannels, (int)Math.Round(options.BaselineSeconds * sampleRateHz));
        if (options.DetectArtifacts)
        {
            _detector = new DerivativeArtifactDetector(compactChannels, sampleRateHz, (int)Math.Round(options.ArtifactCalibrationSeconds * sampleRateHz), options.ArtifactThreshold);
            _hitsSeen = new long[compactChannels];
        }

        if (options.ShortChannelRegression)
        {
            int[] partnerOfPair = ResolveShortPairs(layout, options.ShortPairs);
            var partnerOfOutput = new int[compactChannels];
            for (int p = 0; p < _pairs; p++)
            {
                partnerOfOutput[2 * p] = partnerOfPair[p] < 0 ? -1 : 2 * partnerOfPair[p];
                partnerOfOutput[(2 * p) + 1] = partnerOfPair[p] < 0 ? -1 : (2 * partnerOfPair[p]) + 1;
            }

            _regression = new ShortChannelRegression(partnerOfOutput, options.RegressionForgetting, (int)Math.Round(options.RegressionWarmupSeconds * sampleRateHz));
        }

        if (options.LowPassHz is double cutoff)
        {
            _lowPass = new SosFilter(FilterDesign.ButterworthLowPass(options.LowPassOrder, cutoff, sampleRateHz), compactChannels);
        }
    }

    /// <summary>The pair layout.</summary>
    public NirsLayout Layout => _layout;

    /// <summary>Sample rate (Hz).</summary>
    public double SampleRateHz { get; }

    /// <summary>Values per output frame (2 per pair).</summary>
    public int OutputChannels => 2 * _pairs;

    /// <summary>Output labels: <c>S1-D1 hbo</c>, <c>S1-D1 hbr</c>, … (MNE's naming with the stream's pair names).</summary>
    public IReadOnlyList<string> OutputLabels { get; }

    /// <summary>Unit of the output values: <c>uM</c> or <c>M</c>.</summary>
    public string OutputUnit { get; }

    /// <summary>True once the optical-density baseline of every channel is fixed.</summary>
    public bool BaselineComplete => _tracker.BaselineComplete;

    /// <summary>Non-positive intensities seen so far.</summary>
    public long NonPositiveCount => _tracker.NonPositiveCount;

    /// <summary>The artefact detector (null when disabled); its channels are pair-major: pair p, wavelength 1 → 2p, wavelength 2 → 2p+1.</summary>
    public DerivativeArtifactDetector? ArtifactDetector => _detector;

    /// <summary>
    /// Per frame of the last <see cref="Process"/> call: 0, or 1 + the index of the first optical-density channel
    /// (<see cref="ArtifactChannelNames"/>) the motion-artefact detector flagged on that frame.
    /// </summary>
    public ReadOnlySpan<short> ArtifactFrames => _artifactFrames.AsSpan(0, _lastFrames);

    /// <summary>Names of the optical-density channels the artefact detector watches: per pair <c>S1-D1 760</c>, <c>S1-D1 850</c>.</summary>
    public IReadOnlyList<string> ArtifactChannelNames => [.. _layout.Pairs.SelectMany(p => new[] { $"{p.Name} {p.Wavelength1Nm}", $"{p.Name} {p.Wavelength2Nm}" })];

    /// <summary>Current short-channel regression scale of output channel <paramref name="outputChannel"/> (0 when off or not a long channel).</summary>
    public double RegressionBeta(int outputChannel) => _regression?.Beta(outputChannel) ?? 0.0;

    /// <summary>Converts <c>frames × Layout.InputChannels</c> intensities into <c>frames × OutputChannels</c> ΔHbO/ΔHbR values.</summary>
    /// <returns>Number of frames converted.</returns>
    /// <exception cref="ArgumentException">The input is not whole frames, or the output length does not match.</exception>
    public int Process(ReadOnlySpan<double> intensity, Span<double> haemoglobin)
    {
        int inputChannels = _layout.InputChannels, outputChannels = 2 * _pairs;
        if (intensity.Length % inputChannels != 0)
        {
            throw new ArgumentException($"Length {intensity.Length} is not a whole number of {inputChannels}-channel frames.", nameof(intensity));
        }

        int frames = intensity.Length / inputChannels;
        if (haemoglobin.Length != frames * outputChannels)
        {
            throw new ArgumentException($"Output needs {frames * outputChannels} values ({frames} frames × {outputChannels}); got {haemoglobin.Length}.", nameof(haemoglobin));
        }

        if (_compact.Length < frames * outputChannels)
        {
            // Grows to the largest chunk once; steady state reuses it.
            _compact = new double[frames * outputChannels];
        }

        Span<double> od = _compact.AsSpan(0, frames * outputChannels);
        IReadOnlyList<NirsPair> pairs = _layout.Pairs;
        for (int f = 0; f < frames; f++)
        {
            int inBase = f * inputChannels, outBase = f * outputChannels;
            for (int p = 0; p < _pairs; p++)
            {
                NirsPair pair = pairs[p];
                od[outBase + (2 * p)] = intensity[inBase + pair.Channel1];
                od[outBase + (2 * p) + 1] = intensity[inBase + pair.Channel2];
            }
        }

        _tracker.Process(od, od);
        if (_artifactFrames.Length < frames)
        {
            _artifactFrames = new short[frames];
        }
        if (_detector is not null)
        {
            // Frame by frame, so each hit is placed on its frame (haemodynamic epochs containing one are rejected).
            for (int f = 0; f < frames; f++)
            {
                _detector.Process(od.Slice(f * outputChannels, outputChannels));
                short flagged = 0;
                for (int c = 0; c < outputChannels; c++)
                {
                    long hits = _detector.HitCount(c);
                    if (hits != _hitsSeen[c])
                    {
                        _hitsSeen[c] = hits;
                        flagged = flagged == 0 ? (short)(c + 1) : flagged;
                    }
                }
                _artifactFrames[f] = flagged;
            }
        }
        else
        {
            _artifactFrames.AsSpan(0, frames).Clear();
        }
        _lastFrames = frames;
        for (int f = 0; f < frames; f++)
        {
            int b = f * outputChannels;
            for (int p = 0; p < _pairs; p++)
            {
                (double hbO, double hbR) = _matrices[p].Apply(od[b + (2 * p)], od[b + (2 * p) + 1]);
                haemoglobin[b + (2 * p)] = hbO * _outputScale;
                haemoglobin[b + (2 * p) + 1] = hbR * _outputScale;
            }
        }

        _regression?.Process(haemoglobin);
        _lowPass?.Process(haemoglobin);
        return frames;
    }

    // Long pair → short pair index: declared name first, else the nearest short pair by midpoint, else the only one.
    private static int[] ResolveShortPairs(NirsLayout layout, IReadOnlyDictionary<string, string> declared)
    {
        IReadOnlyList<NirsPair> pairs = layout.Pairs;
        int[] shortIndices = [.. Enumerable.Range(0, pairs.Count).Where(i => pairs[i].IsShort)];
        if (shortIndices.Length == 0)
        {
            throw new ArgumentException($"Haemoglobin:ShortChannelRegression needs a short pair (< {ShortChannelRegression.ShortThresholdM * 100} cm); distances: {string.Join(", ", pairs.Select(p => $"{p.Name} {p.DistanceM * 100:0.##} cm"))}.");
        }

        bool haveMidpoints = pairs.All(p => p.Midpoint is not null);
        int[] nearest = haveMidpoints
            ? ShortChannelRegression.NearestShortPairs([.. pairs.Select(p => p.Midpoint!.Value)], [.. pairs.Select(p => p.DistanceM)])
            : [];
        var result = new int[pairs.Count];
        for (int i = 0; i < pairs.Count; i++)
        {
            NirsPair pair = pairs[i];
            if (pair.IsShort)
            {
                result[i] = -1;
            }
            else if (declared.TryGetValue(pair.Name, out string? shortName))
            {
                int s = Enumerable.Range(0, pairs.Count).FirstOrDefault(j => pairs[j].Name == shortName, -1);
                if (s < 0 || !pairs[s].IsShort)
                {
                    throw new ArgumentException($"Haemoglobin:ShortPairs: '{pair.Name}' → '{shortName}' is not a short pair of this stream.");
                }

                result[i] = s;
            }
            else if (haveMidpoints)
            {
                result[i] = nearest[i];
            }
            else if (shortIndices.Length == 1)
            {
                result[i] = shortIndices[0];
            }
            else
            {
                throw new ArgumentException($"Haemoglobin:ShortPairs: pair '{pair.Name}' has no declared short pair and there are several ({string.Join(", ", shortIndices.Select(s => pairs[s].Name))}) without positions to choose the nearest.");
            }
        }

        return result;
    }
}
