using System.Globalization;
using AcqService.Catalog;
using AcqService.Host.Cli;
using AcqService.Host.Hosting;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace AcqService.Host.Commands;

/// <summary>
/// <c>acq catalog publish SESSION_DIR...</c> (queue in the outbox, then upload), <c>acq catalog sync</c> (upload the
/// backlog), <c>acq catalog backlog</c> (show it without uploading), <c>acq catalog migrate</c> (bring the database
/// schema up to date). Study, site and database come from section <c>Study</c>, the station from <c>Station:Name</c>.
/// </summary>
internal sealed class CatalogCommand : ICommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    public string Name => "catalog";

    public string Summary => "Publish sessions to the multi-site study catalogue (PostgreSQL); upload the outbox; migrate the schema.";

    public string Usage => "./acq catalog publish|sync|backlog|migrate [SESSION_DIR...] [--settings FILE] [--Study:Key=value ...]";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("settings", "FILE", "settings JSON with the Study section (Name, Site, ConnectionString) and Station:Name"),
        new("queue-only", null, "publish: only put the sessions in the outbox (the service or 'catalog sync' uploads them)"),
        new("to", "VERSION", "migrate: stop at this schema version (default: the newest)"),
    ];

    public bool AcceptsSettings => true;

    public async Task<int> RunAsync(ParsedArguments arguments, CancellationToken cancellationToken)
    {
        if (arguments.Positionals.Count == 0)
        {
            throw new UsageException("what to do? publish, sync, backlog or migrate; usage: " + Usage);
        }
        string verb = arguments.Positionals[0];
        List<string> rest = arguments.Positionals[1..];
        if (verb != "publish" && rest.Count > 0)
        {
            throw new UsageException($"unexpected argument '{rest[0]}' for 'catalog {verb}'");
        }
        if (verb == "publish" && rest.Count == 0)
        {
            throw new UsageException("which session folders? usage: ./acq catalog publish SESSION_DIR...");
        }
        IConfigurationRoot configuration = SettingsLoader.Build(arguments.Value("settings"), arguments.ConfigurationOverrides);
        StudyOptions study = CatalogSettings.Study(configuration);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        return verb switch
        {
            "publish" => await PublishAsync(configuration, study, rest, arguments.Flag("queue-only"), timeout.Token).ConfigureAwait(false),
            "sync" => await SyncAsync(configuration, study, timeout.Token).ConfigureAwait(false),
            "backlog" => Backlog(configuration, study),
            "migrate" => await MigrateAsync(study, arguments.Number("to", 1, 10_000) is double to ? (int)to : null, timeout.Token).ConfigureAwait(false),
            _ => throw new UsageException($"unknown action '{verb}': publish, sync, backlog or migrate"),
        };
    }

    private async Task<int> PublishAsync(IConfiguration configuration, StudyOptions study, List<string> folders, bool queueOnly, CancellationToken cancellationToken)
    {
        await using CatalogPublisher publisher = CreatePublisher(configuration, study);
        int unreadable = 0;
        foreach (string folder in folders)
        {
            try
            {
                CatalogEntry entry = await publisher.EnqueueAsync(folder, cancellationToken).ConfigureAwait(false);
                Console.Out.WriteLine($"queued {entry.Study}/{entry.Site}/{entry.Station}/{entry.SessionId}: subject '{entry.Subject}', {entry.Files.Count} files, " +
                    $"{entry.Erp.Count} ERP averages, {entry.Alpha.Count} alpha rows (content {entry.ContentHash[..12]}…)");
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"acq {Name} publish: {folder}: {ex.Message}");
                unreadable++;
            }
        }
        if (queueOnly)
        {
            Console.Out.WriteLine(publisher.Backlog.ToString());
            return unreadable > 0 ? ExitCodes.Failure : ExitCodes.Ok;
        }
        SyncReport report = await publisher.SyncAsync(force: true, cancellationToken).ConfigureAwait(false);
        Print(report);
        return unreadable > 0 ? ExitCodes.Failure : Outcome(report);
    }

    private async Task<int> SyncAsync(IConfiguration configuration, StudyOptions study, CancellationToken cancellationToken)
    {
        await using CatalogPublisher publisher = CreatePublisher(configuration, study);
        SyncReport report = await publisher.SyncAsync(force: true, cancellationToken).ConfigureAwait(false);
        Print(report);
        PrintWaiting(publisher.Outbox);
        return Outcome(report);
    }

    private int Backlog(IConfiguration configuration, StudyOptions study)
    {
        var outbox = new CatalogOutbox(CatalogSettings.Outbox(configuration, study));
        Console.Out.WriteLine($"outbox {outbox.Folder}");
        Console.Out.WriteLine(outbox.Backlog.ToString());
        PrintWaiting(outbox);
        return ExitCodes.Ok;
    }

    private async Task<int> MigrateAsync(StudyOptions study, int? target, CancellationToken cancellationToken)
    {
        if (study.ConnectionString.Length == 0)
        {
            throw new UsageException("Study:ConnectionString is empty (the catalogue database to migrate)");
        }
        if (target > CatalogSchema.LatestVersion)
        {
            throw new UsageException($"--to: this acq knows schema versions up to {CatalogSchema.LatestVersion}");
        }
        try
        {
            await using var store = new CatalogStore(study.ConnectionString, study.ConnectTimeoutSeconds, study.CommandTimeoutSeconds);
            int before = await store.SchemaVersionAsync(cancellationToken).ConfigureAwait(false);
            IReadOnlyList<CatalogMigration> applied = await store.MigrateAsync(target, cancellationToken).ConfigureAwait(false);
            int after = await store.SchemaVersionAsync(cancellationToken).ConfigureAwait(false);
            Console.Out.WriteLine(applied.Count == 0
                ? $"catalogue schema version {after} (up to date; this acq knows {CatalogSchema.LatestVersion})"
                : $"catalogue schema version {before} → {after} (applied {string.Join(", ", applied.Select(m => m.Name))})");
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentException or TimeoutException)
        {
            Console.Error.WriteLine($"acq {Name} migrate: {ex.Message}");
            return ExitCodes.Failure;
        }
    }

    private static CatalogPublisher CreatePublisher(IConfiguration configuration, StudyOptions study)
    {
        try
        {
            return new CatalogPublisher(study, CatalogSettings.Station(configuration), CatalogSettings.Outbox(configuration, study));
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message);
        }
    }

    private static void Print(SyncReport report)
    {
        foreach (string message in report.Messages)
        {
            Console.Out.WriteLine("  " + message);
        }
        Console.Out.WriteLine($"stored {report.Stored}, already stored {report.AlreadyStored}, conflicts {report.Conflicts}, waiting {report.Backlog.Pending}");
        Console.Out.WriteLine(report.Backlog.ToString());
    }

    private static void PrintWaiting(CatalogOutbox outbox)
    {
        foreach (OutboxItem item in outbox.Pending())
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  waiting {item.Name}: queued {item.State.QueuedUtc:yyyy-MM-dd HH:mm} UTC, {item.State.Attempts} failed attempt(s){(item.State.LastError is null ? "" : ", last error: " + item.State.LastError)}"));
        }
        foreach (OutboxItem item in outbox.Conflicts())
        {
            Console.Out.WriteLine($"  conflict {item.Name}: {item.State.LastError}");
        }
    }

    /// <summary>0 when nothing waits and nothing was refused; 1 when sessions wait (offline) or were refused.</summary>
    private static int Outcome(SyncReport report) =>
        report.Conflicts > 0 || report.Failed > 0 || report.Backlog.Pending > 0 ? ExitCodes.SessionErrors : ExitCodes.Ok;
}
