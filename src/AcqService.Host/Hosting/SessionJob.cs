using AcqService.Core.Pipeline;
using AcqService.Sinks;
using AcqService.Sessions;

namespace AcqService.Host.Hosting;

/// <summary>Everything the worker needs to run one session, prepared and validated by the command before the host starts.</summary>
internal sealed class SessionJob
{
    public required IReadOnlyList<ISource> Sources { get; init; }

    public required SessionPlan Plan { get; init; }

    public required string Folder { get; init; }

    public required SessionMetadata Metadata { get; init; }

    public required AppSettings Settings { get; init; }

    /// <summary>Creates the raw sinks (the XDF recorder) once logging is available.</summary>
    public Func<Microsoft.Extensions.Logging.ILoggerFactory, IReadOnlyList<IRawSink>> RawSinks { get; init; } = _ => [];

    /// <summary>The LSL backend when the session uses LSL (results are then published as outlets).</summary>
    public AcqService.Lsl.ILslBackend? Lsl { get; init; }

    /// <summary>Exit code decided by the worker.</summary>
    public int ExitCode { get; set; } = Cli.ExitCodes.Failure;

    /// <summary>Summary of the finished session.</summary>
    public SessionSummary? Summary { get; set; }
}
