using AcqService.Sessions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AcqService.Host.Hosting;

/// <summary>
/// The background service: runs one session until it ends or the host is asked to stop (Ctrl+C, SIGTERM, service
/// stop). A stop request cancels only the sources; the pipeline then drains and the session folder is completed
/// (bounded by Session:ShutdownTimeoutSeconds) before the process exits, and the summary says who stopped it and when.
/// </summary>
internal sealed partial class SessionWorker(SessionJob job, IHostApplicationLifetime lifetime, ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger("AcqService.Session");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Session session = job.Session ?? throw new InvalidOperationException("the worker started without a session");
        using var statusStop = new CancellationTokenSource();
        Task status = new StatusReporter(session.Pipeline, job.StatusIntervalSeconds).RunAsync(statusStop.Token);
        try
        {
            job.Summary = await session.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogFailed(_logger, ex, session.Folder);
        }
        finally
        {
            await statusStop.CancelAsync().ConfigureAwait(false);
            await status.ConfigureAwait(false);
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "The session in {Folder} could not run")]
    private static partial void LogFailed(ILogger logger, Exception exception, string folder);
}
