namespace AcqService.Xdf;

/// <summary>A clock correction <c>t' = t + Intercept + Slope·t</c>, as pyxdf applies the fitted clock offsets.</summary>
/// <param name="Intercept">Offset in seconds at stream time 0.</param>
/// <param name="Slope">Clock drift in seconds per second.</param>
public readonly record struct XdfLinearMapping(double Intercept, double Slope)
{
    /// <summary>Maps a stream timestamp into the recorder's clock.</summary>
    /// <param name="timestamp">Timestamp in the stream's clock (seconds).</param>
    /// <returns>The corrected timestamp.</returns>
    public double Apply(double timestamp) => timestamp + Intercept + (Slope * timestamp);

    /// <summary>Maps timestamps in place.</summary>
    /// <param name="timestamps">Timestamps in the stream's clock; overwritten with corrected values.</param>
    public void Apply(Span<double> timestamps)
    {
        for (var i = 0; i < timestamps.Length; i++)
        {
            timestamps[i] += Intercept + (Slope * timestamps[i]);
        }
    }
}
