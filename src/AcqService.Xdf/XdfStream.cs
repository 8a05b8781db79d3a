namespace AcqService.Xdf;

/// <summary>One stream of a loaded XDF file (the C# counterpart of a pyxdf stream dictionary).</summary>
public sealed class XdfStream
{
    internal XdfStream(
        XdfStreamHeader header,
        double[] timestamps,
        double[]? numericValues,
        string[]? stringValues,
        double[] clockTimes,
        double[] clockValues,
        XdfStreamFooter? footer)
    {
        Header = header;
        Timestamps = timestamps;
        NumericValues = numericValues;
        StringValues = stringValues;
        ClockTimes = clockTimes;
        ClockValues = clockValues;
        Footer = footer;
    }

    /// <summary>The stream header (name, type, channel count, rate, format, raw XML).</summary>
    public XdfStreamHeader Header { get; }

    /// <summary>The stream id.</summary>
    public uint StreamId => Header.StreamId;

    /// <summary>Values per sample.</summary>
    public int ChannelCount => Header.ChannelCount;

    /// <summary>Number of samples.</summary>
    public int SampleCount => Timestamps.Length;

    /// <summary>Timestamps in seconds (synchronised and dejittered when the load options asked for it).</summary>
    public double[] Timestamps { get; internal set; }

    /// <summary>Sample-major values (<c>sample * ChannelCount + channel</c>) of numeric streams; null for string streams.</summary>
    public double[]? NumericValues { get; internal set; }

    /// <summary>Sample-major values of string streams; null for numeric streams.</summary>
    public string[]? StringValues { get; internal set; }

    /// <summary>Clock offset collection times, in the stream's clock.</summary>
    public double[] ClockTimes { get; internal set; }

    /// <summary>Clock offset values (seconds to add to stream time).</summary>
    public double[] ClockValues { get; internal set; }

    /// <summary>The last StreamFooter of the stream, if any (informational; may disagree with the data).</summary>
    public XdfStreamFooter? Footer { get; }

    /// <summary>Effective sampling rate in Hz (pyxdf <c>effective_srate</c>); 0 for irregular or too-short streams.</summary>
    public double EffectiveSrate { get; internal set; }

    /// <summary>Timestamp segments between breaks (pyxdf <c>segments</c>).</summary>
    public IReadOnlyList<XdfSegment> Segments { get; internal set; } = [];

    /// <summary>Sample ranges per clock-offset range (pyxdf <c>clock_segments</c>); empty without synchronisation.</summary>
    public IReadOnlyList<XdfSegment> ClockSegments { get; internal set; } = [];

    /// <summary>Returns a numeric value.</summary>
    /// <param name="sample">Sample index.</param>
    /// <param name="channel">Channel index.</param>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidOperationException">The stream holds strings.</exception>
    public double GetValue(int sample, int channel)
    {
        var values = NumericValues ?? throw new InvalidOperationException("String stream; use GetString.");
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)channel, (uint)ChannelCount, nameof(channel));
        return values[(sample * ChannelCount) + channel];
    }

    /// <summary>Returns a string value.</summary>
    /// <param name="sample">Sample index.</param>
    /// <param name="channel">Channel index.</param>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidOperationException">The stream is numeric.</exception>
    public string GetString(int sample, int channel)
    {
        var values = StringValues ?? throw new InvalidOperationException("Numeric stream; use GetValue.");
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)channel, (uint)ChannelCount, nameof(channel));
        return values[(sample * ChannelCount) + channel];
    }
}
