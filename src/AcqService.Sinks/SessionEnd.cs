namespace AcqService.Sinks;

/// <summary>Why a session ended. Every ending has one; the summary states it in words.</summary>
public enum SessionEndKind
{
    /// <summary>The session is still running (periodic summaries).</summary>
    Running,

    /// <summary>Every source finished on its own (simulated duration, end of a recording).</summary>
    Completed,

    /// <summary>The requested duration was reached (sources that never end by themselves, e.g. LSL).</summary>
    DurationReached,

    /// <summary>The operator stopped it (Ctrl+C, SIGTERM, service stop, API).</summary>
    OperatorStop,

    /// <summary>Every source ended, at least one of them with an error.</summary>
    SourceFailed,

    /// <summary>The raw recording could not be written (disk full, I/O error): acquisition stopped so nothing goes unrecorded.</summary>
    RecordingFailed,

    /// <summary>The analysis fell too far behind the incoming data.</summary>
    Overload,

    /// <summary>A pipeline stage failed.</summary>
    StageFailed,

    /// <summary>After a stop request the pipeline did not drain within the shutdown timeout; stages were aborted.</summary>
    ShutdownTimeout,
}

/// <summary>How and when a session ended.</summary>
/// <param name="Kind">Category.</param>
/// <param name="Reason">Plain words for the technician, e.g. <c>stopped by the operator (SIGTERM)</c>.</param>
/// <param name="AtUtc">When the ending was decided.</param>
/// <param name="SessionSeconds">Seconds after the session start at which it was decided.</param>
public sealed record SessionEnd(SessionEndKind Kind, string Reason, DateTimeOffset AtUtc, double SessionSeconds)
{
    /// <summary>True for endings that mean the results cover what was asked for.</summary>
    public bool IsNormal => Kind is SessionEndKind.Completed or SessionEndKind.DurationReached;
}

/// <summary>State of one output file of the session folder, as listed in the summary.</summary>
/// <param name="File">File name inside the session folder.</param>
/// <param name="Complete">True when the file was written completely.</param>
/// <param name="Error">Why it is incomplete or missing, or null.</param>
public sealed record OutputFileStatus(string File, bool Complete, string? Error);
