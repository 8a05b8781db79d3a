using System.Text.Json;

namespace AcqService.Sources.Profiles;

/// <summary>
/// A device profile (<c>device-profiles/*.json</c>): the streams of a set-up, where each comes from, how marker
/// labels map to conditions and which channels form regions of interest. Field names carry their units
/// (<c>sampleRateHz</c>). See <c>device-profiles/README.md</c> and the JSON schema beside it.
/// </summary>
public sealed class DeviceProfile
{
    /// <summary>Optional link to the JSON schema (ignored).</summary>
    [System.Text.Json.Serialization.JsonPropertyName("$schema")]
    public string? Schema { get; set; }

    /// <summary>Profile name (shown in logs and session metadata).</summary>
    public required string Name { get; set; }

    /// <summary>Free text for people.</summary>
    public string? Description { get; set; }

    /// <summary>Streams of the set-up.</summary>
    public required List<StreamProfile> Streams { get; set; }

    /// <summary>Marker label → condition rules, first match wins.</summary>
    public List<ConditionProfile> Conditions { get; set; } = [];

    /// <summary>Regions of interest: name → channel labels of the EEG stream(s).</summary>
    public Dictionary<string, List<string>> Regions { get; set; } = [];

    /// <summary>Settings of the simulated devices (used by the <c>simulated-*</c> drivers).</summary>
    public JsonElement? Simulation { get; set; }

    /// <summary>
    /// Optional serial trigger output: a byte sent to a trigger device when the session starts and stops and when a
    /// marker matches a rule, so an amplifier with its own trigger input carries the same events (see
    /// <c>device-profiles/README.md</c>, <i>Trigger output</i>).
    /// </summary>
    public JsonElement? TriggerOutput { get; set; }
}

/// <summary>One stream of a profile.</summary>
public sealed class StreamProfile
{
    /// <summary>Stable key used in settings and output files (letters, digits, '-', '_').</summary>
    public required string Key { get; set; }

    /// <summary><c>signal</c> or <c>markers</c>.</summary>
    public required string Kind { get; set; }

    /// <summary>Stream name (as published over LSL).</summary>
    public string? Name { get; set; }

    /// <summary>Content type: <c>EEG</c>, <c>NIRS</c>, <c>Markers</c>…</summary>
    public required string Type { get; set; }

    /// <summary>Nominal sampling rate in Hz (signals; markers: 0 or absent).</summary>
    public double? SampleRateHz { get; set; }

    /// <summary><c>float32</c>, <c>double64</c>, <c>int8/16/32/64</c> or <c>string</c>.</summary>
    public string? ChannelFormat { get; set; }

    /// <summary>Expected channel count; must equal the number of <see cref="Channels"/> when both are given.</summary>
    public int? ChannelCount { get; set; }

    /// <summary>Channels in sample order.</summary>
    public List<ChannelProfile>? Channels { get; set; }

    /// <summary>Where the data comes from.</summary>
    public required SourceProfile Source { get; set; }

    /// <summary>fNIRS streams: what the channels carry, wavelengths, pairs, distances, short channels, pathlength factor, channel order.</summary>
    public NirsStreamProfile? Nirs { get; set; }
}

/// <summary>One channel of a stream profile.</summary>
public sealed class ChannelProfile
{
    /// <summary>Label, e.g. <c>Pz</c>.</summary>
    public required string Label { get; set; }

    /// <summary>Unit, e.g. <c>uV</c>.</summary>
    public string Unit { get; set; } = "";

    /// <summary>Type, e.g. <c>EEG</c>.</summary>
    public string Type { get; set; } = "";
}

/// <summary>The driver a stream comes from, with driver-specific fields.</summary>
public sealed class SourceProfile
{
    /// <summary>A driver registered in <c>SourceDriverRegistry</c>: <c>simulated-eeg</c>, <c>simulated-needle</c>, <c>simulated-nirs</c>, <c>lsl</c>…</summary>
    public required string Driver { get; set; }

    /// <summary>LSL: XPath predicate selecting the stream, e.g. <c>type='EEG' and name='actiCHamp'</c>.</summary>
    public string? Predicate { get; set; }

    /// <summary>LSL: seconds to wait for the stream at start.</summary>
    public double? ResolveTimeoutSeconds { get; set; }

    /// <summary>LSL: what to do when the stream's channel count or rate differ from the profile: <c>error</c> (default) or <c>warn</c>.</summary>
    public string? OnMismatch { get; set; }

    /// <summary>LSL: only the stream with this <c>source_id</c> (added to the predicate).</summary>
    public string? SourceId { get; set; }

    /// <summary>LSL: only streams published by this computer (its LSL <c>hostname</c>; added to the predicate).</summary>
    public string? Hostname { get; set; }

    /// <summary>
    /// LSL: what to do when the predicate (with <see cref="SourceId"/>/<see cref="Hostname"/>) matches more than one
    /// stream: <c>only</c> (default) refuses and lists the candidates; <c>newest</c> takes the one created last
    /// (largest <c>created_at</c>), which is allowed only when all candidates are on one computer, because
    /// <c>created_at</c> is each computer's own clock.
    /// </summary>
    public string? Choose { get; set; }

    /// <summary>
    /// Every other field of the object, for the driver to read and check (serial port settings, code maps…). A field
    /// no driver knows is reported by the driver's validation with its path.
    /// </summary>
    [System.Text.Json.Serialization.JsonExtensionData]
    public Dictionary<string, JsonElement>? Options { get; set; }
}

/// <summary>A condition rule in a profile.</summary>
public sealed class ConditionProfile
{
    /// <summary>Condition name, e.g. <c>insert/real</c>.</summary>
    public required string Name { get; set; }

    /// <summary>.NET regular expression matched against the marker label.</summary>
    public required string Match { get; set; }
}
