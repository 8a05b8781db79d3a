using AcqService.Core.Model;

namespace AcqService.Sinks.Snirf;

/// <summary>One stimulus condition of a SNIRF file (<c>/nirs/stim{n}</c>).</summary>
/// <param name="Name">Condition name, e.g. <c>insert/real</c>.</param>
/// <param name="Events">Rows <c>[onset s, duration s, value]</c>, onsets relative to the first sample.</param>
public sealed record SnirfStim(string Name, IReadOnlyList<(double Onset, double Duration, double Value)> Events);

/// <summary>
/// What one SNIRF file holds for one continuous-wave fNIRS stream: raw intensities (<c>dataType</c> 1), their
/// time base, the probe (<see cref="NirsMontage"/>), stimuli and the required metadata tags.
/// </summary>
public sealed class SnirfDocument
{
    /// <summary>Creates a document.</summary>
    /// <param name="montage">The probe; the data has one column per <see cref="NirsMontage.Channels"/> entry, in that order.</param>
    /// <param name="time">Seconds of each frame from the first frame (first value 0).</param>
    /// <param name="values">Frame-major values, <c>time.Length × montage.Channels.Count</c>.</param>
    /// <exception cref="ArgumentException">The value count does not match.</exception>
    public SnirfDocument(NirsMontage montage, double[] time, double[] values)
    {
        ArgumentNullException.ThrowIfNull(montage);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != time.Length * montage.Channels.Count)
        {
            throw new ArgumentException($"{values.Length} values for {time.Length} frames × {montage.Channels.Count} channels", nameof(values));
        }
        Montage = montage;
        Time = time;
        Values = values;
    }

    /// <summary>The probe and the channel list.</summary>
    public NirsMontage Montage { get; }

    /// <summary>Frame times in seconds from the first frame.</summary>
    public double[] Time { get; }

    /// <summary>Frame-major values (frames × channels).</summary>
    public double[] Values { get; }

    /// <summary>Number of frames.</summary>
    public int Frames => Time.Length;

    /// <summary>Stimulus conditions (one <c>stim{n}</c> group each).</summary>
    public List<SnirfStim> Stims { get; init; } = [];

    /// <summary>Subject id (<c>SubjectID</c>; SNIRF requires one, <c>unknown</c> when the recording has none).</summary>
    public string SubjectId { get; init; } = "unknown";

    /// <summary>UTC wall-clock time of the first frame, or null when unknown (then <c>MeasurementDate</c>/<c>Time</c> are <c>unknown</c>).</summary>
    public DateTimeOffset? StartUtc { get; init; }

    /// <summary>Further string metadata tags (e.g. <c>ManufacturerName</c>); names must not clash with the required ones.</summary>
    public Dictionary<string, string> ExtraTags { get; init; } = [];

    /// <summary>Value at frame <paramref name="frame"/>, channel <paramref name="channel"/>.</summary>
    public double this[int frame, int channel] => Values[(frame * Montage.Channels.Count) + channel];
}
