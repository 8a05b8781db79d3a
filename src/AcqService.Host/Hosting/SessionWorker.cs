using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sinks;
using AcqService.Sources.Lsl;
using AcqService.Host.Cli;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using AcqService.Sessions;
using AcqService.Sinks.Lsl;

namespace AcqService.Host.Hosting;

/// <summary>
/// The background service: runs one acquisition session until its sources finish (duration reached) or the host
/// is asked to stop (Ctrl+C, SIGTERM, service stop). A stop request cancels only the sources; the pipeline then
/// drains and the session folder is completed before the process exits.
/// </summary>
internal sealed partial class SessionWorker(SessionJob job, IHostApplicationLifetime lifetime, ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger("AcqService.Session");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var statusStop = new CancellationTokenSource();
        Task status = Task.CompletedTask;
        LslResultPublisher? publisher = null;
        try
        {
            var session = new AcquisitionSession(job.Sources, job.Plan, job.Folder, job.Metadata, LocalClock.Now, job.RawSinks(loggers), _logger);
            if (job.Lsl is not null && job.Settings.Session.PublishResultsOverLsl)
            {
                // Display edges feed the publisher: a slow LSL consumer can only cost dropped (counted) result samples.
                publisher = new LslResultPublisher(job.Lsl, session.Streams, session.Alpha, job.Plan.Alpha, sourceIdPrefix: "acqservice-" + Path.GetFileName(job.Folder), logger: loggers.CreateLogger("AcqService.Results"));
                session.AddResultSink(publisher);
            }
            status = new StatusReporter(session, job.Settings.Session.StatusIntervalSeconds).RunAsync(statusStop.Token);
            SessionSummary summary = await session.RunAsync(stoppingToken).ConfigureAwait(false);
            job.Summary = summary;
            job.ExitCode = summary.Errors.Count > 0 ? ExitCodes.SessionErrors : ExitCodes.Ok;
        }
        catch (Exception ex)
        {
            LogFailed(_logger, ex, job.Folder);
            job.ExitCode = ExitCodes.Failure;
        }
        finally
        {
            await statusStop.CancelAsync().ConfigureAwait(false);
            await status.ConfigureAwait(false);
            publisher?.Dispose();
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "The session in {Folder} could not run")]
    private static partial void LogFailed(ILogger logger, Exception exception, string folder);
}
