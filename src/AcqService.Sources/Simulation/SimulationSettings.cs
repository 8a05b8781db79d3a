namespace AcqService.Sources.Simulation;

/// <summary>
/// Parameters of the simulated EEG amplifier, needle-marker source and optional fNIRS device (fields <c>nirs…</c>) (profile field <c>source.settings</c>,
/// or configuration section <c>Simulation</c>). Amplitudes are in µV, times in seconds, frequencies in Hz.
/// Defaults are documented values the tests and the README refer to.
/// </summary>
public sealed class SimulationSettings
{
    /// <summary>Seed of every random process; the same seed gives the same session.</summary>
    public ulong Seed { get; set; } = 20261121;

    /// <summary>RMS of the 1/f ("pink") background per channel.</summary>
    public double BackgroundRmsMicrovolts { get; set; } = 5;

    /// <summary>Alpha rhythm peak amplitude at the strongest (occipital) channels.</summary>
    public double AlphaAmplitudeMicrovolts { get; set; } = 10;

    /// <summary>Alpha rhythm frequency.</summary>
    public double AlphaFrequencyHz { get; set; } = 10;

    /// <summary>Relative size of slow random alpha amplitude fluctuations (0 = constant amplitude).</summary>
    public double AlphaFluctuation { get; set; } = 0.2;

    /// <summary>Fractional alpha amplitude increase reached after a real needle insertion (0.6 = +60 %).</summary>
    public double AlphaGainReal { get; set; } = 0.6;

    /// <summary>Fractional alpha amplitude increase reached after a sham needle insertion.</summary>
    public double AlphaGainSham { get; set; } = 0.15;

    /// <summary>Time constant of the alpha rise after insertion.</summary>
    public double AlphaRiseSeconds { get; set; } = 1.0;

    /// <summary>Time constant of the alpha decay after removal.</summary>
    public double AlphaDecaySeconds { get; set; } = 1.5;

    /// <summary>Mains interference amplitude.</summary>
    public double LineNoiseMicrovolts { get; set; } = 5;

    /// <summary>Mains frequency.</summary>
    public double LineFrequencyHz { get; set; } = 50;

    /// <summary>
    /// Fault injection (tests and demos of <c>acq check</c>): labels of EEG channels that are flat — exactly 0 µV, as a
    /// shorted or switched-off input. Default none, which leaves every output unchanged.
    /// </summary>
    public List<string> FlatChannels { get; set; } = [];

    /// <summary>
    /// Fault injection: labels of EEG channels driven into the amplifier's rail — an electrode offset of
    /// <see cref="RailMicrovolts"/> added and the sum clipped there, so about half the samples sit at the rail.
    /// </summary>
    public List<string> RailedChannels { get; set; } = [];

    /// <summary>Fault injection: full scale of the simulated amplifier, where railed channels clip (187500 µV: an OpenBCI Cyton at gain 24).</summary>
    public double RailMicrovolts { get; set; } = 187500;

    /// <summary>Fault injection: labels of EEG channels with extra mains interference (a poor electrode contact picks up more).</summary>
    public List<string> MainsChannels { get; set; } = [];

    /// <summary>Fault injection: amplitude of the extra mains on <see cref="MainsChannels"/>, on top of <see cref="LineNoiseMicrovolts"/>.</summary>
    public double MainsMicrovolts { get; set; } = 50;

    /// <summary>Fault injection: frequency of the extra mains on <see cref="MainsChannels"/>; null = <see cref="LineFrequencyHz"/>.</summary>
    public double? MainsHz { get; set; }

    /// <summary>Evoked response components (Gaussian bumps) added at each needle event, before channel and event gains.</summary>
    public List<EvokedComponent> Evoked { get; set; } =
    [
        new(-6, 0.100, 0.015),
        new(10, 0.200, 0.025),
        new(4, 0.350, 0.060),
    ];

    /// <summary>Evoked gain per action: insert, manipulate, remove.</summary>
    public double[] ActionGains { get; set; } = [1.0, 0.8, 0.6];

    /// <summary>Evoked gain of sham relative to real needles.</summary>
    public double ShamEvokedGain { get; set; } = 0.7;

    /// <summary>Standard deviation of timestamp jitter on EEG samples (LSL stamping jitter).</summary>
    public double TimestampJitterSeconds { get; set; } = 0.0001;

    /// <summary>Samples per chunk.</summary>
    public int ChunkSamples { get; set; } = 10;

    /// <summary>When true, chunk sizes vary randomly between 1 and 2 × <see cref="ChunkSamples"/>.</summary>
    public bool VariableChunks { get; set; }

    /// <summary>Seconds of quiet before the first needle.</summary>
    public double FirstInsertionSeconds { get; set; } = 8;

    /// <summary>Range of the time from insertion to the first manipulation.</summary>
    public double[] ManipulationDelaySeconds { get; set; } = [3, 5];

    /// <summary>Manipulations per needle.</summary>
    public int ManipulationsPerNeedle { get; set; } = 2;

    /// <summary>Range of the time between manipulations.</summary>
    public double[] ManipulationIntervalSeconds { get; set; } = [3, 5];

    /// <summary>Range of the time from the last manipulation to removal.</summary>
    public double[] RemovalDelaySeconds { get; set; } = [3, 5];

    /// <summary>Range of the rest between removal and the next insertion.</summary>
    public double[] RestSeconds { get; set; } = [10, 14];

    /// <summary>Acupoints used in turn.</summary>
    public List<string> Sites { get; set; } = ["ST36", "LI4", "PC6"];

    /// <summary>Offset of the marker device's clock: its timestamps are true time minus this (clock offsets report it).</summary>
    public double MarkerClockOffsetSeconds { get; set; }

    /// <summary>Delay between an event and the marker's arrival (live pace only; timestamps stay exact).</summary>
    public double MarkerLatencySeconds { get; set; } = 0.02;

    /// <summary>Seconds between clock-offset reports of each stream (LabRecorder uses 5 s).</summary>
    public double ClockOffsetIntervalSeconds { get; set; } = 5;

    /// <summary>fNIRS (optional stream): source–detector distance in cm of every simulated pair (typical long channel).</summary>
    public double NirsDistanceCm { get; set; } = 3;

    /// <summary>fNIRS: differential pathlength factor used at both wavelengths (MNE's default 6).</summary>
    public double NirsDpf { get; set; } = 6;

    /// <summary>fNIRS: mean raw detector intensity in V; each channel's baseline is drawn within ± <see cref="NirsBaselineSpread"/> of it.</summary>
    public double NirsBaselineVolts { get; set; } = 1.0;

    /// <summary>fNIRS: relative spread of the per-channel baseline intensities (0.2 = ±20 %, uniform).</summary>
    public double NirsBaselineSpread { get; set; } = 0.2;

    /// <summary>
    /// fNIRS: sustained ΔHbO (µM) reached while a real needle is in. The response is the boxcar insertion→removal
    /// convolved with the unit-area haemodynamic response function, so this is its plateau, not its first peak.
    /// </summary>
    public double NirsHbORealMicromolar { get; set; } = 0.6;

    /// <summary>fNIRS: sustained ΔHbO (µM) while a sham needle is in.</summary>
    public double NirsHbOShamMicromolar { get; set; } = 0.25;

    /// <summary>fNIRS: sustained ΔHbR (µM) while a real needle is in (negative: deoxyhaemoglobin is washed out).</summary>
    public double NirsHbRRealMicromolar { get; set; } = -0.2;

    /// <summary>fNIRS: sustained ΔHbR (µM) while a sham needle is in.</summary>
    public double NirsHbRShamMicromolar { get; set; } = -0.08;

    /// <summary>fNIRS: time to peak of the HRF's positive gamma (SPM-like double gamma, scale 1 s).</summary>
    public double NirsHrfPeakSeconds { get; set; } = 6;

    /// <summary>fNIRS: time to peak of the HRF's undershoot gamma.</summary>
    public double NirsHrfUndershootSeconds { get; set; } = 16;

    /// <summary>fNIRS: area of the undershoot relative to the positive lobe (SPM: 1/6).</summary>
    public double NirsHrfUndershootRatio { get; set; } = 1.0 / 6;

    /// <summary>fNIRS: cardiac pulsation amplitude in ΔHbO (µM; ΔHbR gets <see cref="NirsPhysiologyHbRRatio"/> of it).</summary>
    public double NirsCardiacMicromolar { get; set; } = 0.3;

    /// <summary>fNIRS: heart rate.</summary>
    public double NirsCardiacHz { get; set; } = 1.1;

    /// <summary>fNIRS: respiratory oscillation amplitude in ΔHbO (µM).</summary>
    public double NirsRespirationMicromolar { get; set; } = 0.15;

    /// <summary>fNIRS: respiration rate.</summary>
    public double NirsRespirationHz { get; set; } = 0.25;

    /// <summary>fNIRS: Mayer-wave (blood-pressure) oscillation amplitude in ΔHbO (µM).</summary>
    public double NirsMayerMicromolar { get; set; } = 0.1;

    /// <summary>fNIRS: Mayer-wave frequency.</summary>
    public double NirsMayerHz { get; set; } = 0.1;

    /// <summary>fNIRS: systemic oscillations in ΔHbR relative to ΔHbO (venous side, smaller).</summary>
    public double NirsPhysiologyHbRRatio { get; set; } = 0.3;

    /// <summary>fNIRS: RMS of white detector noise relative to the intensity (0.001 = 0.1 %).</summary>
    public double NirsWhiteNoiseFraction { get; set; } = 0.001;

    /// <summary>fNIRS: samples per chunk (NIRS devices send every frame as it is measured).</summary>
    public int NirsChunkSamples { get; set; } = 1;

    /// <summary>Validates the settings; returns problems naming the field.</summary>
    public IEnumerable<string> Validate()
    {
        if (BackgroundRmsMicrovolts < 0 || AlphaAmplitudeMicrovolts < 0 || LineNoiseMicrovolts < 0)
        {
            yield return "amplitudes must be ≥ 0";
        }
        if (ChunkSamples is < 1 or > 10000)
        {
            yield return $"chunkSamples must be 1..10000 (was {ChunkSamples})";
        }
        if (ActionGains.Length != 3)
        {
            yield return $"actionGains must have 3 values (insert, manipulate, remove), had {ActionGains.Length}";
        }
        foreach ((string name, double[] range) in new[] { ("manipulationDelaySeconds", ManipulationDelaySeconds), ("manipulationIntervalSeconds", ManipulationIntervalSeconds), ("removalDelaySeconds", RemovalDelaySeconds), ("restSeconds", RestSeconds) })
        {
            if (range.Length != 2 || !(range[0] > 0) || range[1] < range[0])
            {
                yield return $"{name} must be [min, max] with 0 < min ≤ max";
            }
        }
        if (ManipulationsPerNeedle < 0)
        {
            yield return "manipulationsPerNeedle must be ≥ 0";
        }
        if (Sites.Count == 0)
        {
            yield return "sites must not be empty";
        }
        if (!(AlphaRiseSeconds > 0) || !(AlphaDecaySeconds > 0))
        {
            yield return "alphaRiseSeconds and alphaDecaySeconds must be positive";
        }
        if (!(NirsDistanceCm > 0) || !(NirsDpf > 0) || !(NirsBaselineVolts > 0))
        {
            yield return "nirsDistanceCm, nirsDpf and nirsBaselineVolts must be positive";
        }
        if (NirsBaselineSpread is < 0 or >= 1 || double.IsNaN(NirsBaselineSpread))
        {
            yield return $"nirsBaselineSpread must be in [0, 1) (was {NirsBaselineSpread})";
        }
        if (!(NirsHrfPeakSeconds > 0) || !(NirsHrfUndershootSeconds > NirsHrfPeakSeconds))
        {
            yield return "nirsHrfPeakSeconds must be positive and nirsHrfUndershootSeconds larger than it";
        }
        if (NirsHrfUndershootRatio is < 0 or >= 1 || double.IsNaN(NirsHrfUndershootRatio))
        {
            yield return $"nirsHrfUndershootRatio must be in [0, 1) (was {NirsHrfUndershootRatio})";
        }
        if (NirsCardiacMicromolar < 0 || NirsRespirationMicromolar < 0 || NirsMayerMicromolar < 0 || NirsWhiteNoiseFraction < 0 || NirsPhysiologyHbRRatio < 0)
        {
            yield return "fNIRS noise amplitudes must be ≥ 0";
        }
        if (!(NirsCardiacHz > 0) || !(NirsRespirationHz > 0) || !(NirsMayerHz > 0))
        {
            yield return "nirsCardiacHz, nirsRespirationHz and nirsMayerHz must be positive";
        }
        foreach ((string name, double value) in new[] { ("nirsHbORealMicromolar", NirsHbORealMicromolar), ("nirsHbOShamMicromolar", NirsHbOShamMicromolar), ("nirsHbRRealMicromolar", NirsHbRRealMicromolar), ("nirsHbRShamMicromolar", NirsHbRShamMicromolar) })
        {
            // Tens of µM would already be far outside what a cortical response does; the MBLL stays linear anyway.
            if (!double.IsFinite(value) || Math.Abs(value) > 100)
            {
                yield return $"{name} must be a finite value within ±100 µM (was {value})";
            }
        }
        if (NirsChunkSamples is < 1 or > 10000)
        {
            yield return $"nirsChunkSamples must be 1..10000 (was {NirsChunkSamples})";
        }
        if (!(RailMicrovolts > 0) || MainsMicrovolts < 0 || !double.IsFinite(RailMicrovolts) || !double.IsFinite(MainsMicrovolts))
        {
            yield return "railMicrovolts must be positive and mainsMicrovolts ≥ 0";
        }
        if (MainsHz is double mainsHz && !(mainsHz > 0 && double.IsFinite(mainsHz)))
        {
            yield return $"mainsHz must be a positive frequency (was {mainsHz})";
        }
        if (!(ClockOffsetIntervalSeconds > 0))
        {
            yield return "clockOffsetIntervalSeconds must be positive";
        }
    }
}

/// <summary>One Gaussian component of the simulated evoked response.</summary>
/// <param name="AmplitudeMicrovolts">Peak amplitude (negative for N components).</param>
/// <param name="LatencySeconds">Peak latency after the event.</param>
/// <param name="WidthSeconds">Standard deviation of the Gaussian.</param>
public sealed record EvokedComponent(double AmplitudeMicrovolts, double LatencySeconds, double WidthSeconds);
