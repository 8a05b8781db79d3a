using System.Text.Json.Serialization;

namespace AcqService.Catalog;

/// <summary>
/// What a station publishes about one finished session: who, where and when, the streams and their quality, every file
/// with its SHA-256, and the derived results (ERP averages, alpha pre/post, drop counts). Self-contained, so it can wait
/// in the outbox and be uploaded after the session folder has moved. Built by <see cref="CatalogEntryReader"/>.
/// </summary>
public sealed class CatalogEntry
{
    /// <summary>Layout version of this record (outbox files and the database's <c>entry_format</c>).</summary>
    public int FormatVersion { get; init; } = 1;

    /// <summary>Study name (<c>Study:Name</c>).</summary>
    public required string Study { get; init; }

    /// <summary>Site (<c>Study:Site</c>).</summary>
    public required string Site { get; init; }

    /// <summary>Station (<c>Station:Name</c>).</summary>
    public required string Station { get; init; }

    /// <summary>Session id: the session folder's name, unique on its station (the lab service's session id).</summary>
    public required string SessionId { get; init; }

    /// <summary>Subject (<c>Session:SubjectId</c>); empty when none was given.</summary>
    public string Subject { get; init; } = "";

    /// <summary>Session label (<c>Session:SessionLabel</c>).</summary>
    public string SessionLabel { get; init; } = "";

    /// <summary>Task label.</summary>
    public string Task { get; init; } = "";

    /// <summary>Run label.</summary>
    public string Run { get; init; } = "";

    /// <summary>Protocol name.</summary>
    public string Protocol { get; init; } = "";

    /// <summary>SHA-256 of the locked protocol the session ran under (<c>protocolHash</c> in <c>session.json</c>), or null.</summary>
    public string? ProtocolHash { get; init; }

    /// <summary><c>live</c>, <c>fast</c> or <c>analyze</c>.</summary>
    public string Mode { get; init; } = "";

    /// <summary>AcqService version that recorded the session.</summary>
    public string SoftwareVersion { get; init; } = "";

    /// <summary>Computer that recorded the session.</summary>
    public string Host { get; init; } = "";

    /// <summary>Wall-clock start (UTC).</summary>
    public DateTimeOffset StartedUtc { get; init; }

    /// <summary>Wall-clock end (UTC), or null when the session never finished.</summary>
    public DateTimeOffset? EndedUtc { get; init; }

    /// <summary>Seconds of data the session covered.</summary>
    public double DurationSeconds { get; init; }

    /// <summary>How the session ended (<c>completed</c>, <c>durationReached</c>, <c>sourceFailed</c> …), or null.</summary>
    public string? EndKind { get; init; }

    /// <summary>Why it ended, in words.</summary>
    public string? EndReason { get; init; }

    /// <summary>Full path of the session folder on the station when the entry was made.</summary>
    public required string Folder { get; init; }

    /// <summary>SHA-256 over the sorted (file, SHA-256) list: equal for the same folder content, different otherwise.</summary>
    public required string ContentHash { get; init; }

    /// <summary>Streams of the session with their received sample counts.</summary>
    public IReadOnlyList<CatalogStream> Streams { get; init; } = [];

    /// <summary>Quality of the session: drops by reason, markers, input damage, errors, incomplete files.</summary>
    public CatalogQuality Quality { get; init; } = new();

    /// <summary>Files of the folder (relative path, size, SHA-256), sorted by path.</summary>
    public IReadOnlyList<CatalogFile> Files { get; init; } = [];

    /// <summary>ERP averages per stream and condition.</summary>
    public IReadOnlyList<ErpResult> Erp { get; init; } = [];

    /// <summary>Alpha pre/post per stream, condition and region (<c>alpha_summary.csv</c>).</summary>
    public IReadOnlyList<AlphaResult> Alpha { get; init; } = [];

    /// <summary>Epoch outcomes per stream, condition and reason (<c>drop_log.csv</c>).</summary>
    public IReadOnlyList<DropCount> Drops { get; init; } = [];
}

/// <summary>A stream of a catalogued session.</summary>
/// <param name="Key">Stream key.</param>
/// <param name="Kind">signal or markers.</param>
/// <param name="Name">Stream name.</param>
/// <param name="Type">Content type (EEG, NIRS, Markers).</param>
/// <param name="NominalRateHz">Nominal rate (0 for irregular).</param>
/// <param name="Channels">Channel count.</param>
/// <param name="Samples">Samples received.</param>
/// <param name="EffectiveRateHz">Measured rate.</param>
/// <param name="Gaps">Gaps detected.</param>
public sealed record CatalogStream(string Key, string Kind, string Name, string Type, double NominalRateHz, int Channels, long Samples, double EffectiveRateHz, int Gaps);

/// <summary>Quality figures of a catalogued session.</summary>
public sealed class CatalogQuality
{
    /// <summary>Epochs dropped per reason (<c>summary.json</c>).</summary>
    public Dictionary<string, int> DropsByReason { get; init; } = [];

    /// <summary>Markers received per label.</summary>
    public Dictionary<string, int> Markers { get; init; } = [];

    /// <summary>Damage found in the input (analysis of a damaged recording).</summary>
    public List<string> InputDamage { get; init; } = [];

    /// <summary>Errors the session reported.</summary>
    public List<string> Errors { get; init; } = [];

    /// <summary>Result files the session could not complete, with the reason.</summary>
    public List<string> IncompleteFiles { get; init; } = [];
}

/// <summary>One file of a session folder.</summary>
/// <param name="Name">Path relative to the session folder, with <c>/</c>.</param>
/// <param name="Bytes">Size.</param>
/// <param name="Sha256">SHA-256, lower-case hex.</param>
public sealed record CatalogFile(string Name, long Bytes, string Sha256);

/// <summary>One ERP average of a session.</summary>
/// <param name="Stream">Stream key.</param>
/// <param name="Condition">Condition.</param>
/// <param name="Count">Epochs averaged.</param>
/// <param name="Channels">Channel labels.</param>
/// <param name="TimesS">Time of each point relative to the marker (s).</param>
/// <param name="MeanUv">Mean per channel and time point (µV); null where undefined.</param>
public sealed record ErpResult(string Stream, string Condition, int Count, IReadOnlyList<string> Channels, IReadOnlyList<double> TimesS,
    [property: JsonPropertyName("meanUv")] IReadOnlyList<IReadOnlyList<double?>> MeanUv);

/// <summary>Alpha band power before and after a condition's events, in one region.</summary>
/// <param name="Stream">Stream key.</param>
/// <param name="Condition">Condition.</param>
/// <param name="Region">Region.</param>
/// <param name="Events">Events averaged.</param>
/// <param name="PreMeanUv2">Mean power before (µV²), or null.</param>
/// <param name="PostMeanUv2">Mean power after (µV²), or null.</param>
/// <param name="ChangePercent">Mean change (%), or null.</param>
/// <param name="ChangePercentSem">Standard error of the change over events, or null.</param>
public sealed record AlphaResult(string Stream, string Condition, string Region, int Events, double? PreMeanUv2, double? PostMeanUv2, double? ChangePercent, double? ChangePercentSem);

/// <summary>How many markers of a condition ended in one outcome.</summary>
/// <param name="Stream">Epoched stream.</param>
/// <param name="Condition">Condition (empty when the marker matched none).</param>
/// <param name="Outcome"><c>epoch</c> or <c>dropped</c>.</param>
/// <param name="Reason">Drop reason with its measured values replaced by <c>#</c> (see <see cref="CatalogEntryReader.ReasonKind"/>); empty for epochs.</param>
/// <param name="Count">Markers.</param>
public sealed record DropCount(string Stream, string Condition, string Outcome, string Reason, int Count);
