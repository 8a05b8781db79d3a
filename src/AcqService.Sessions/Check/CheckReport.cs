using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AcqService.Core.Analysis.Quality;
using AcqService.Core;

namespace AcqService.Sessions.Check;

/// <summary>
/// Result of a pre-session signal check (<c>acq check</c>, and the lab service's API): per stream the rate against
/// the nominal rate and the last clock offset, per channel the quality figures and a verdict with its reasons, the
/// thresholds used and the worst verdict. JSON names are fixed by attributes (camelCase, verdicts as
/// <c>pass</c>/<c>warn</c>/<c>fail</c>), so the layout does not depend on the serializer's options; other tools
/// (the BIDS export's <c>channels.tsv</c>) read it.
/// </summary>
public sealed class CheckReport
{
    /// <summary>
    /// Options for <see cref="ToJson"/>: indented; names and enum words come from the attributes. Its contracts are
    /// compile-time ones for the report types only (no reflection, so it also works in a Native AOT build).
    /// </summary>
    public static JsonSerializerOptions JsonOptions { get; } = new() { WriteIndented = true, TypeInfoResolver = CheckReportJsonContext.Default };

    /// <summary>When the check ended (UTC).</summary>
    [JsonPropertyName("time")]
    public DateTimeOffset Time { get; init; }

    /// <summary>Name of the device profile checked.</summary>
    [JsonPropertyName("profile")]
    public string Profile { get; init; } = "";

    /// <summary>Where the profile came from.</summary>
    [JsonPropertyName("profileSource")]
    public string ProfileSource { get; init; } = "";

    /// <summary>Seconds of data requested.</summary>
    [JsonPropertyName("seconds")]
    public double Seconds { get; init; }

    /// <summary>The thresholds the verdicts were judged against.</summary>
    [JsonPropertyName("thresholds")]
    public CheckThresholds Thresholds { get; init; } = new();

    /// <summary>Every stream of the profile, in profile order.</summary>
    [JsonPropertyName("streams")]
    public IReadOnlyList<StreamCheck> Streams { get; init; } = [];

    /// <summary>The worst verdict over every stream (and so every channel).</summary>
    [JsonPropertyName("worst")]
    public CheckVerdict Worst { get; init; }

    /// <summary>The report as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions.TypeInfo<CheckReport>());

    /// <summary>The report for people: per stream a line with rate, clock offset and verdict, a channel table, the thresholds and the result.</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        sb.AppendLine(I($"Signal check: {Profile} ({ProfileSource}), {Seconds:0.###} s of data, {Time:yyyy-MM-dd HH:mm:ss}Z"));
        foreach (StreamCheck s in Streams)
        {
            sb.AppendLine();
            sb.AppendLine(I($"{s.Key}: '{s.Name}' ({s.Type}), source_id '{s.SourceId}', host {(string.IsNullOrEmpty(s.Hostname) ? "-" : s.Hostname)} — {Word(s.Verdict)}"));
            if (s.Kind == "markers")
            {
                sb.AppendLine(I($"  markers: {s.Markers ?? 0} in the check"));
            }
            else
            {
                string rate = s.EffectiveRateHz is double eff
                    ? I($"{eff:0.00} Hz effective / {s.NominalRateHz:0.###} Hz nominal ({100 * ((eff / s.NominalRateHz) - 1):+0.00;-0.00;0.00} %) {Word(s.RateVerdict)}")
                    : I($"no rate / {s.NominalRateHz:0.###} Hz nominal {Word(s.RateVerdict)}");
                string offset = s.ClockOffsetSeconds is double o ? I($"{1000 * o:+0.000;-0.000;0.000} ms") : "none";
                sb.AppendLine(I($"  rate {rate}; clock offset {offset}; {s.Samples} samples; gaps {s.Gaps}{(s.MainsHz is double m ? I($"; mains {m:0} Hz") : "")}"));
            }
            foreach (string reason in s.Reasons)
            {
                sb.AppendLine("  ! " + reason);
            }
            if (s.Channels.Count > 0)
            {
                int width = Math.Max(7, s.Channels.Max(c => c.Label.Length));
                sb.AppendLine(I($"  {"channel".PadRight(width)}  {"RMS",9} {"p-p",9} {"railed %",8} {"line ratio",10} {"HF RMS",8}  unit  verdict  reasons"));
                foreach (ChannelCheck c in s.Channels)
                {
                    // µV read well with fixed decimals; other units (fNIRS intensities in V) need significant digits.
                    bool uv = c.Unit == "µV";
                    sb.AppendLine(I($"  {c.Label.PadRight(width)}  {N(c.Rms, uv ? "0.00" : "G3"),9} {N(c.PeakToPeak, uv ? "0.0" : "G3"),9} {N(c.RailedFraction * 100, "0.00"),8} {N(c.LineNoiseRatio, "0.00"),10} {N(c.HfNoise, "0.00"),8}  {c.Unit,-4}  {Word(c.Verdict),-7}  {string.Join("; ", c.Reasons)}").TrimEnd());
                }
            }
        }
        sb.AppendLine();
        sb.AppendLine("Thresholds (settings Check:*):");
        foreach (string line in ThresholdLines(Thresholds))
        {
            sb.AppendLine("  " + line);
        }
        sb.AppendLine();
        int failed = Streams.Sum(s => s.Channels.Count(c => c.Verdict == CheckVerdict.Fail)), warned = Streams.Sum(s => s.Channels.Count(c => c.Verdict == CheckVerdict.Warn));
        int streamsFailed = Streams.Count(s => s.Verdict == CheckVerdict.Fail);
        sb.AppendLine(I($"Result: {Word(Worst)} — {failed} channel(s) failed, {warned} warned, {streamsFailed} of {Streams.Count} stream(s) failed"));
        return sb.ToString();
    }

    /// <summary>The thresholds in words, one criterion per line (printed under every report).</summary>
    public static IEnumerable<string> ThresholdLines(CheckThresholds t)
    {
        ArgumentNullException.ThrowIfNull(t);
        yield return I($"flat:        RMS (mean removed) < {t.FlatWarnUv:G4} µV warn, < {t.FlatFailUv:G4} µV fail");
        yield return I($"amplitude:   RMS ≥ {t.RmsWarnUv:G4} µV warn, ≥ {t.RmsFailUv:G4} µV fail");
        yield return I($"railed:      samples at the block's extremes (± {t.RailEpsilonFraction:G3} of p-p){(t.FullScaleUv is double fs ? I($" or beyond ± {fs:G6} µV") : "")} ≥ {100 * t.RailedWarnFraction:G4} % warn, ≥ {100 * t.RailedFailFraction:G4} % fail");
        yield return I($"line noise:  power in {(t.MainsHz is double m ? I($"{m:G4} Hz") : "50 or 60 Hz (auto)")} ± {t.MainsHalfWidthHz:G3} Hz over power in {t.BroadLowHz:G4}–{t.BroadHighHz:G4} Hz ≥ {t.LineNoiseWarnRatio:G4} warn, ≥ {t.LineNoiseFailRatio:G4} fail");
        yield return I($"HF noise:    RMS in {t.HfLowHz:G4}–{t.HfHighHz:G4} Hz (≤ 0.9 Nyquist, mains harmonics excluded) ≥ {t.HfWarnUv:G4} µV warn, ≥ {t.HfFailUv:G4} µV fail");
        yield return I($"rate:        effective vs nominal off by ≥ {100 * t.RateWarnFraction:G4} % warn, ≥ {100 * t.RateFailFraction:G4} % fail");
        yield return I($"spectrum:    Welch, Hann, {t.SegmentSeconds:G4} s segments, 50 % overlap; amplitude criteria apply to EEG/EOG/EMG/ECG/ExG channels");
    }

    private static string Word(CheckVerdict verdict) => verdict switch
    {
        CheckVerdict.Pass => "pass",
        CheckVerdict.Warn => "WARN",
        _ => "FAIL",
    };

    private static string N(double? value, string format) => value is double v ? v.ToString(format, CultureInfo.InvariantCulture) : "–";

    private static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One stream of a <see cref="CheckReport"/>.</summary>
public sealed class StreamCheck
{
    /// <summary>Stream key of the profile.</summary>
    [JsonPropertyName("key")]
    public required string Key { get; init; }

    /// <summary><c>signal</c> or <c>markers</c>.</summary>
    [JsonPropertyName("kind")]
    public required string Kind { get; init; }

    /// <summary>Stream name (LSL <c>name</c>).</summary>
    [JsonPropertyName("name")]
    public string Name { get; init; } = "";

    /// <summary>Content type (<c>EEG</c>, <c>NIRS</c>, <c>Markers</c>…).</summary>
    [JsonPropertyName("type")]
    public string Type { get; init; } = "";

    /// <summary>Device identifier (LSL <c>source_id</c>).</summary>
    [JsonPropertyName("sourceId")]
    public string SourceId { get; init; } = "";

    /// <summary>Computer the stream comes from, or null (simulators, files).</summary>
    [JsonPropertyName("hostname")]
    public string? Hostname { get; init; }

    /// <summary>Nominal rate in Hz (0 for marker streams).</summary>
    [JsonPropertyName("nominalRateHz")]
    public double NominalRateHz { get; init; }

    /// <summary>Rate measured from the sample timestamps (least-squares slope), or null with fewer than two samples.</summary>
    [JsonPropertyName("effectiveRateHz")]
    public double? EffectiveRateHz { get; init; }

    /// <summary>Verdict on the effective rate (fail without data; pass for marker streams).</summary>
    [JsonPropertyName("rateVerdict")]
    public CheckVerdict RateVerdict { get; init; }

    /// <summary>Last clock offset reported for the stream in seconds (local − remote), or null when none arrived.</summary>
    [JsonPropertyName("clockOffsetSeconds")]
    public double? ClockOffsetSeconds { get; init; }

    /// <summary>Samples received (signal streams).</summary>
    [JsonPropertyName("samples")]
    public long Samples { get; init; }

    /// <summary>Markers received (marker streams; null for signal streams).</summary>
    [JsonPropertyName("markers")]
    public int? Markers { get; init; }

    /// <summary>Gaps the source reported.</summary>
    [JsonPropertyName("gaps")]
    public int Gaps { get; init; }

    /// <summary>Mains frequency the line-noise figures refer to (configured or detected), or null (marker streams, no data).</summary>
    [JsonPropertyName("mainsHz")]
    public double? MainsHz { get; init; }

    /// <summary>Worst of the rate verdict, the stream's own findings and its channels' verdicts.</summary>
    [JsonPropertyName("verdict")]
    public CheckVerdict Verdict { get; init; }

    /// <summary>Stream-level findings (no data, rate, gaps, source errors).</summary>
    [JsonPropertyName("reasons")]
    public IReadOnlyList<string> Reasons { get; init; } = [];

    /// <summary>Per channel figures (signal streams; empty for markers).</summary>
    [JsonPropertyName("channels")]
    public IReadOnlyList<ChannelCheck> Channels { get; init; } = [];
}

/// <summary>One channel of a <see cref="StreamCheck"/>; figures are null when not applicable (no data, band above Nyquist).</summary>
public sealed class ChannelCheck
{
    /// <summary>Channel label.</summary>
    [JsonPropertyName("label")]
    public required string Label { get; init; }

    /// <summary>Unit of <see cref="Rms"/>, <see cref="PeakToPeak"/> and <see cref="HfNoise"/>: <c>µV</c> for electrophysiological channels (converted), else the channel's own unit.</summary>
    [JsonPropertyName("unit")]
    public string Unit { get; init; } = "µV";

    /// <summary>RMS after removing the mean.</summary>
    [JsonPropertyName("rms")]
    public double? Rms { get; init; }

    /// <summary>Peak-to-peak range.</summary>
    [JsonPropertyName("peakToPeak")]
    public double? PeakToPeak { get; init; }

    /// <summary>RMS below <see cref="CheckThresholds.FlatFailUv"/> (or constant values, for channels without amplitude criteria).</summary>
    [JsonPropertyName("flat")]
    public bool Flat { get; init; }

    /// <summary>Fraction of samples at the extremes or beyond full scale.</summary>
    [JsonPropertyName("railedFraction")]
    public double? RailedFraction { get; init; }

    /// <summary>Mains-band power over EEG-band power.</summary>
    [JsonPropertyName("lineNoiseRatio")]
    public double? LineNoiseRatio { get; init; }

    /// <summary>RMS in the high-frequency band, mains harmonics excluded.</summary>
    [JsonPropertyName("hfNoise")]
    public double? HfNoise { get; init; }

    /// <summary>Worst verdict over the criteria.</summary>
    [JsonPropertyName("verdict")]
    public CheckVerdict Verdict { get; init; }

    /// <summary>One line per crossed threshold (empty when the channel passes).</summary>
    [JsonPropertyName("reasons")]
    public IReadOnlyList<string> Reasons { get; init; } = [];
}
