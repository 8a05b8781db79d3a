namespace AcqService.Core.Analysis;

/// <summary>
/// One alpha band-power estimate of one stream. Instances are recycled by the analyzer (see
/// <see cref="AlphaAnalyzer"/>): a consumer reads it synchronously and copies what it keeps.
/// </summary>
public sealed class AlphaUpdate
{
    internal AlphaUpdate(int channels, int regions)
    {
        Absolute = new double[channels];
        Relative = new double[channels];
        RegionAbsolute = new double[regions];
        RegionRelative = new double[regions];
    }

    /// <summary>Key of the stream.</summary>
    public string StreamKey { get; internal set; } = "";

    /// <summary>Absolute index of the last sample of the analysed window.</summary>
    public long SampleIndex { get; internal set; }

    /// <summary>Local-clock time (seconds) of the last sample of the window.</summary>
    public double Time { get; internal set; }

    /// <summary>Absolute alpha power per channel (µV²).</summary>
    public double[] Absolute { get; }

    /// <summary>Alpha power relative to broad-band power per channel (0..1).</summary>
    public double[] Relative { get; }

    /// <summary>Mean absolute alpha power per region of interest (µV²).</summary>
    public double[] RegionAbsolute { get; }

    /// <summary>Mean relative alpha power per region of interest.</summary>
    public double[] RegionRelative { get; }
}
