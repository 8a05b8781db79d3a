using AcqService.Sessions;
using AcqService.Sinks;

namespace AcqService.Host.Hosting;

/// <summary>The session the worker runs, and what came of it.</summary>
internal sealed class SessionJob
{
    /// <summary>What was asked for.</summary>
    public required SessionRequest Request { get; init; }

    /// <summary>Seconds between status lines.</summary>
    public double StatusIntervalSeconds { get; init; } = 1;

    /// <summary>The session built by the factory (set before the host starts).</summary>
    public Session? Session { get; set; }

    /// <summary>Summary of the finished session; null if it could not run.</summary>
    public SessionSummary? Summary { get; set; }
}
