namespace AcqService.Core.Model;

/// <summary>
/// Immutable description of one stream in a session. <see cref="Index"/> is the dense index the pipeline
/// uses on its hot path (array lookups instead of dictionary lookups); <see cref="Key"/> is the stable name
/// used in profiles and output files.
/// </summary>
public sealed class StreamDescriptor
{
    /// <summary>Creates a descriptor.</summary>
    public StreamDescriptor(string key, StreamKind kind, string name, string type, IReadOnlyList<ChannelDescriptor> channels,
        double nominalRateHz, ChannelFormat format, string sourceId = "")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(channels);
        if (kind == StreamKind.Signal && (!(nominalRateHz > 0) || !double.IsFinite(nominalRateHz)))
        {
            throw new ArgumentOutOfRangeException(nameof(nominalRateHz), nominalRateHz, $"signal stream '{key}' needs a positive nominal rate");
        }
        if (channels.Count == 0)
        {
            throw new ArgumentException($"stream '{key}' has no channels", nameof(channels));
        }
        Key = key;
        Kind = kind;
        Name = name;
        Type = type;
        Channels = channels;
        NominalRateHz = nominalRateHz;
        Format = format;
        SourceId = sourceId;
    }

    /// <summary>Dense index assigned by <see cref="StreamRegistry"/>; -1 until registered.</summary>
    public int Index { get; internal set; } = -1;

    /// <summary>Stable key used in profiles and output files (e.g. <c>eeg</c>).</summary>
    public string Key { get; }

    /// <summary>Signal or markers.</summary>
    public StreamKind Kind { get; }

    /// <summary>Stream name (LSL <c>name</c>).</summary>
    public string Name { get; }

    /// <summary>Content type (LSL <c>type</c>): <c>EEG</c>, <c>NIRS</c>, <c>Markers</c>.</summary>
    public string Type { get; }

    /// <summary>Channels in sample order.</summary>
    public IReadOnlyList<ChannelDescriptor> Channels { get; }

    /// <summary>Number of channels.</summary>
    public int ChannelCount => Channels.Count;

    /// <summary>Nominal sampling rate in Hz; 0 for irregular (marker) streams.</summary>
    public double NominalRateHz { get; }

    /// <summary>Original value format (kept so a recording stores what the device sent).</summary>
    public ChannelFormat Format { get; }

    /// <summary>Device or source identifier (LSL <c>source_id</c>).</summary>
    public string SourceId { get; }

    /// <summary>Computer the stream comes from (LSL <c>hostname</c>), or null when the source has no host (simulators, files).</summary>
    public string? Hostname { get; init; }

    /// <summary>Free-form metadata XML (LSL <c>desc</c>), if the source has it.</summary>
    public string? DescriptionXml { get; init; }

    /// <summary>Index of the channel with this label (ordinal, case-insensitive), or -1.</summary>
    public int IndexOfChannel(string label)
    {
        for (int i = 0; i < Channels.Count; i++)
        {
            if (string.Equals(Channels[i].Label, label, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }
        return -1;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Key} ({Type}, {ChannelCount} ch @ {NominalRateHz} Hz)";
}
