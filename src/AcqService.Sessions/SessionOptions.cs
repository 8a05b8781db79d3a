namespace AcqService.Sessions;

/// <summary>Configuration section <c>Session</c>.</summary>
public sealed class SessionOptions
{
    /// <summary>Folder under which sessions are written when <c>--out</c> is not given.</summary>
    public string OutputRoot { get; set; } = "sessions";

    /// <summary>Seconds between live status lines.</summary>
    public double StatusIntervalSeconds { get; set; } = 1;

    /// <summary>Seconds the service waits for the pipeline to drain after a stop request.</summary>
    public double ShutdownTimeoutSeconds { get; set; } = 60;

    /// <summary>Record every session to XDF (<see cref="RecordingFileName"/> in the session folder).</summary>
    public bool Record { get; set; } = true;

    /// <summary>File name of the recording inside the session folder.</summary>
    public string RecordingFileName { get; set; } = "recording.xdf";

    /// <summary>Subject id written into the recording and session metadata (e.g. <c>P001</c>).</summary>
    public string SubjectId { get; set; } = "";

    /// <summary>Session label written into the recording and session metadata (e.g. <c>S01</c>).</summary>
    public string SessionLabel { get; set; } = "";

    /// <summary>Protocol name written into the recording and session metadata.</summary>
    public string Protocol { get; set; } = "";

    /// <summary>Task label (BIDS <c>task</c>, LabRecorder's block/task <c>%b</c>) written into the session metadata; empty for none.</summary>
    public string Task { get; set; } = "";

    /// <summary>Run label (BIDS <c>run</c>, LabRecorder's <c>%n</c>/<c>%r</c>) written into the session metadata; empty for none.</summary>
    public string Run { get; set; } = "";

    /// <summary>
    /// A protocol lock (<c>acq protocol lock</c>): its analysis settings, conditions and regions are used, any other
    /// source of them is refused, and the session's outputs carry its SHA-256. Empty = no lock.
    /// </summary>
    public string ProtocolLock { get; set; } = "";

    /// <summary>The blinding key of a blinded locked protocol (keep it outside the session folders).</summary>
    public string BlindingKey { get; set; } = "";

    /// <summary>
    /// When the session uses LSL, publish its results as LSL outlets: alpha power (regular stream, one channel per
    /// EEG channel and region) and ERP outcomes (string markers, type <c>ErpOutcomes</c>).
    /// </summary>
    public bool PublishResultsOverLsl { get; set; } = true;

    /// <summary>Validates the values.</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(OutputRoot))
        {
            yield return "Session:OutputRoot must not be empty";
        }
        if (Record && (string.IsNullOrWhiteSpace(RecordingFileName) || RecordingFileName.IndexOfAny(['/', '\\']) >= 0 || !RecordingFileName.EndsWith(".xdf", StringComparison.OrdinalIgnoreCase)))
        {
            yield return $"Session:RecordingFileName must be a plain file name ending in .xdf (was '{RecordingFileName}')";
        }
        if (!(StatusIntervalSeconds >= 0.1 && StatusIntervalSeconds <= 3600))
        {
            yield return $"Session:StatusIntervalSeconds must be between 0.1 and 3600 (was {StatusIntervalSeconds})";
        }
        if (!(ShutdownTimeoutSeconds >= 1 && ShutdownTimeoutSeconds <= 3600))
        {
            yield return $"Session:ShutdownTimeoutSeconds must be between 1 and 3600 (was {ShutdownTimeoutSeconds})";
        }
    }
}
