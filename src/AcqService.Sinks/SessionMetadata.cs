namespace AcqService.Sinks;

/// <summary>What <c>session.json</c> records about a session.</summary>
public sealed class SessionMetadata
{
    /// <summary>AcqService version that produced the session.</summary>
    public string SoftwareVersion { get; set; } = typeof(SessionMetadata).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    /// <summary><c>live</c>, <c>fast</c> (simulated as fast as possible) or <c>analyze</c> (recorded file).</summary>
    public string Mode { get; set; } = "live";

    /// <summary>Device profile name.</summary>
    public string ProfileName { get; set; } = "";

    /// <summary>Where the profile came from (file path or <c>embedded:default</c>).</summary>
    public string ProfileSource { get; set; } = "";

    /// <summary>The profile as loaded, so the session folder is self-describing.</summary>
    public System.Text.Json.JsonElement? Profile { get; set; }

    /// <summary>Effective analysis settings.</summary>
    public object? Settings { get; set; }

    /// <summary>Wall-clock start (UTC, ISO-8601 with milliseconds).</summary>
    public DateTimeOffset StartedUtc { get; set; }

    /// <summary>Wall-clock end (UTC); null while running.</summary>
    public DateTimeOffset? EndedUtc { get; set; }

    /// <summary>Local LSL clock at start (seconds); <c>session_time_s</c> columns are relative to it. Set it before the run to fix the origin (analysis of a recording); 0 = now.</summary>
    public double ClockAtStart { get; set; }

    /// <summary>Machine name.</summary>
    public string Host { get; set; } = Environment.MachineName;

    /// <summary>Streams of the session.</summary>
    public List<StreamSummary> Streams { get; set; } = [];

    /// <summary>SHA-256 of the locked protocol the session ran under (<c>acq protocol lock</c>); null (not written) without one.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? ProtocolHash { get; set; }

    /// <summary>Notes and warnings (e.g. assumed units).</summary>
    public List<string> Notes { get; set; } = [];
}

/// <summary>A stream as recorded in the session metadata.</summary>
/// <param name="Key">Stream key.</param>
/// <param name="Kind">signal or markers.</param>
/// <param name="Name">Stream name.</param>
/// <param name="Type">Content type.</param>
/// <param name="NominalRateHz">Nominal rate.</param>
/// <param name="Format">Channel format.</param>
/// <param name="Channels">Channel labels.</param>
/// <param name="Units">Channel units.</param>
/// <param name="SourceId">Source id (for LSL streams: of the device the session chose).</param>
/// <param name="Hostname">Computer that published the stream (LSL), or null.</param>
public sealed record StreamSummary(string Key, string Kind, string Name, string Type, double NominalRateHz, string Format, IReadOnlyList<string> Channels, IReadOnlyList<string> Units, string SourceId,
    string? Hostname = null);
