using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AcqService.Catalog;

/// <summary>Result of one pass over the outbox.</summary>
/// <param name="Stored">Sessions stored now.</param>
/// <param name="AlreadyStored">Sessions the catalogue already had with the same content (removed from the outbox).</param>
/// <param name="Conflicts">Sessions refused: different content under the same key (moved to <c>conflicts/</c>).</param>
/// <param name="Failed">Sessions that could not be uploaded and stay in the outbox.</param>
/// <param name="Messages">One line per session handled and per failure.</param>
/// <param name="Backlog">The backlog after the pass.</param>
public sealed record SyncReport(int Stored, int AlreadyStored, int Conflicts, int Failed, IReadOnlyList<string> Messages, CatalogBacklog Backlog)
{
    /// <summary>True when the catalogue could not be reached (everything stays queued for a retry).</summary>
    public bool Offline { get; init; }
}

/// <summary>
/// Publishes finished sessions to the study catalogue, offline first: <see cref="EnqueueAsync"/> writes the session's
/// <see cref="CatalogEntry"/> to the local <see cref="Outbox"/>; <see cref="SyncAsync"/> uploads what is due;
/// <see cref="RunAsync"/> keeps doing so in the background, retrying with exponential backoff while the database is
/// unreachable. Uploads are idempotent (see <see cref="CatalogStore.UploadAsync"/>).
/// </summary>
public sealed partial class CatalogPublisher : IAsyncDisposable
{
    private readonly StudyOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CatalogStore? _store;
    private readonly SemaphoreSlim _pass = new(1, 1);
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private int _consecutiveFailures;
    private bool _schemaChecked;

    /// <summary>Creates a publisher.</summary>
    /// <param name="options">Study settings (name, site, connection string, retry timing).</param>
    /// <param name="station">This station's name (<c>Station:Name</c>).</param>
    /// <param name="outboxFolder">Outbox folder (e.g. <c>&lt;Session:OutputRoot&gt;/.outbox</c>).</param>
    /// <param name="logger">Logger, or null.</param>
    /// <param name="time">Clock (tests), or null for the system clock.</param>
    /// <exception cref="ArgumentException">Invalid settings (the message lists the problems) or a malformed connection string.</exception>
    public CatalogPublisher(StudyOptions options, string station, string outboxFolder, ILogger? logger = null, TimeProvider? time = null)
    {
        List<string> problems = [.. options.Validate()];
        if (string.IsNullOrWhiteSpace(station))
        {
            problems.Add($"{StudyOptions.StationNameKey} is empty");
        }
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", problems), nameof(options));
        }
        _options = options;
        Station = station;
        Outbox = new CatalogOutbox(outboxFolder);
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _store = string.IsNullOrWhiteSpace(options.ConnectionString) ? null
            : new CatalogStore(options.ConnectionString, options.ConnectTimeoutSeconds, options.CommandTimeoutSeconds);
    }

    /// <summary>This station's name.</summary>
    public string Station { get; }

    /// <summary>The local outbox.</summary>
    public CatalogOutbox Outbox { get; }

    /// <summary>The backlog now (same as <c>Outbox.Backlog</c>).</summary>
    public CatalogBacklog Backlog => Outbox.Backlog;

    /// <summary>
    /// Puts a finished session in the outbox (reads the folder and checksums its files on a pool thread) and wakes
    /// <see cref="RunAsync"/>. Never talks to the database, so it is quick and works offline.
    /// </summary>
    /// <param name="sessionFolder">The finished session folder.</param>
    /// <param name="cancellationToken">Cancels reading the folder.</param>
    /// <returns>The entry queued.</returns>
    /// <exception cref="InvalidDataException">Not a finished session folder, or a damaged result file.</exception>
    /// <exception cref="IOException">The folder or the outbox cannot be read or written.</exception>
    public async Task<CatalogEntry> EnqueueAsync(string sessionFolder, CancellationToken cancellationToken = default)
    {
        CatalogEntry entry = await Task.Run(() => CatalogEntryReader.Read(sessionFolder, _options.Name, _options.Site, Station), cancellationToken).ConfigureAwait(false);
        Outbox.Add(entry, _time.GetUtcNow());
        LogQueued(_logger, entry.SessionId, Outbox.Folder);
        _wake.Release();
        return entry;
    }

    /// <summary>
    /// Uploads the waiting sessions: those due, or all with <paramref name="force"/>. Stops at the first sign that the
    /// database is unreachable (the rest wait for the next retry). One pass at a time per publisher.
    /// </summary>
    public async Task<SyncReport> SyncAsync(bool force, CancellationToken cancellationToken)
    {
        await _pass.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await PassAsync(force, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pass.Release();
        }
    }

    /// <summary>
    /// Background loop for the lab service: uploads what is due, then sleeps until the next retry time or until
    /// <see cref="EnqueueAsync"/> queues a session. Returns when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await SyncAsync(force: false, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // The outbox folder itself failed (disk full, permissions) or something unforeseen: the station keeps
                // recording and the sessions stay queued, so log it and try again later rather than end the loop.
                LogOutboxFailed(_logger, ex, Outbox.Folder);
            }
            DateTimeOffset now = _time.GetUtcNow();
            CatalogBacklog backlog = Outbox.Backlog;
            TimeSpan wait = backlog.Pending == 0 || _store is null ? TimeSpan.FromSeconds(_options.MaxRetrySeconds)
                : backlog.NextAttemptUtc is { } next && next > now ? next - now : TimeSpan.FromSeconds(_options.RetrySeconds);
            try
            {
                await _wake.WaitAsync(Clamp(wait), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }
        _pass.Dispose();
        _wake.Dispose();
    }

    private async Task<SyncReport> PassAsync(bool force, CancellationToken cancellationToken)
    {
        int stored = 0, already = 0, conflicts = 0, failed = 0;
        var messages = new List<string>();
        IReadOnlyList<OutboxItem> pending = Outbox.Pending();
        if (_store is null)
        {
            if (pending.Count > 0)
            {
                messages.Add($"Study:ConnectionString is empty: {pending.Count} session(s) wait in {Outbox.Folder}");
            }
            return new SyncReport(0, 0, 0, pending.Count, messages, Outbox.Backlog) { Offline = true };
        }
        DateTimeOffset now = _time.GetUtcNow();
        List<OutboxItem> due = [.. pending.Where(p => force || p.State.NextAttemptUtc is not { } next || next <= now)];
        foreach (OutboxItem item in due)
        {
            cancellationToken.ThrowIfCancellationRequested();
            CatalogEntry? entry;
            try
            {
                entry = CatalogOutbox.Load(item);
            }
            catch (InvalidDataException ex)
            {
                Outbox.MoveToConflicts(item, ex.Message, _time.GetUtcNow());
                conflicts++;
                messages.Add($"{item.Name}: unreadable, moved to {CatalogOutbox.ConflictsFolder}/: {ex.Message}");
                continue;
            }
            if (entry is null)
            {
                continue; // Uploaded by another process meanwhile.
            }
            try
            {
                if (!_schemaChecked && _options.MigrateOnUpload)
                {
                    await _store.MigrateAsync(null, cancellationToken).ConfigureAwait(false);
                }
                _schemaChecked = true;
                UploadResult result = await _store.UploadAsync(entry, cancellationToken).ConfigureAwait(false);
                _consecutiveFailures = 0;
                DateTimeOffset done = _time.GetUtcNow();
                switch (result.Outcome)
                {
                    case UploadOutcome.Stored:
                        Outbox.Complete(item, entry, result.Outcome, done);
                        stored++;
                        messages.Add($"{entry.SessionId}: stored");
                        LogUploaded(_logger, entry.SessionId);
                        break;
                    case UploadOutcome.AlreadyStored:
                        Outbox.Complete(item, entry, result.Outcome, done);
                        already++;
                        messages.Add($"{entry.SessionId}: already in the catalogue (same content)");
                        break;
                    default:
                        string reason = $"the catalogue already holds {entry.Study}/{entry.Site}/{entry.Station}/{entry.SessionId} with different content " +
                            $"(stored {result.StoredContentHash[..12]}…, this {entry.ContentHash[..12]}…); not replaced";
                        Outbox.MoveToConflicts(item, reason, done);
                        conflicts++;
                        messages.Add($"{entry.SessionId}: CONFLICT: {reason}");
                        LogConflict(_logger, entry.SessionId, reason);
                        break;
                }
            }
            catch (Exception ex) when (IsUnreachable(ex) && !cancellationToken.IsCancellationRequested)
            {
                // Offline: one failure says it for every waiting session; all wait for the same backoff.
                _consecutiveFailures++;
                DateTimeOffset at = _time.GetUtcNow();
                DateTimeOffset retry = at + Backoff(_consecutiveFailures);
                foreach (OutboxItem waiting in pending)
                {
                    Outbox.RecordFailure(waiting, ReferenceEquals(waiting, item) ? Describe(ex) : waiting.State.LastError ?? Describe(ex), at, retry);
                }
                failed = Outbox.Pending().Count;
                messages.Add($"catalogue unreachable ({Describe(ex)}); {failed} session(s) wait, next try {retry:HH:mm:ss} UTC");
                LogUnreachable(_logger, Describe(ex), failed);
                return new SyncReport(stored, already, conflicts, failed, messages, Outbox.Backlog) { Offline = true };
            }
            catch (PostgresException ex)
            {
                // The database refused this entry (not a connection problem): it waits with its own backoff, others go on.
                failed++;
                DateTimeOffset at = _time.GetUtcNow();
                Outbox.RecordFailure(item, Describe(ex), at, at + Backoff(item.State.Attempts + 1));
                messages.Add($"{entry.SessionId}: refused by the database: {Describe(ex)}");
                LogRefused(_logger, ex, entry.SessionId);
            }
        }
        return new SyncReport(stored, already, conflicts, failed, messages, Outbox.Backlog);
    }

    private TimeSpan Backoff(int failures)
    {
        double seconds = _options.RetrySeconds * Math.Pow(2, Math.Min(failures - 1, 30));
        return TimeSpan.FromSeconds(Math.Min(seconds, _options.MaxRetrySeconds));
    }

    private static TimeSpan Clamp(TimeSpan wait) => wait < TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : wait > TimeSpan.FromHours(1) ? TimeSpan.FromHours(1) : wait;

    /// <summary>Whether a failure means "cannot reach the catalogue now" (retry later) rather than "this entry was refused".</summary>
    private static bool IsUnreachable(Exception ex) => ex switch
    {
        PostgresException pg => pg.IsTransient || pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState is "57P01" or "57P02" or "57P03" or "53300" or "28P01" or "3D000",
        NpgsqlException => true,
        SocketException or TimeoutException or IOException => true,
        OperationCanceledException => true, // a connect or command timeout
        _ => false,
    };

    private static string Describe(Exception ex)
    {
        string message = ex is PostgresException pg ? $"{pg.SqlState}: {pg.MessageText}" : ex.Message;
        if (ex.InnerException is { } inner && ex is not PostgresException)
        {
            message += $" ({inner.Message})";
        }
        return message;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} queued for the study catalogue in {Outbox}")]
    private static partial void LogQueued(ILogger logger, string sessionId, string outbox);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} stored in the study catalogue")]
    private static partial void LogUploaded(ILogger logger, string sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Study catalogue unreachable ({Reason}); {Waiting} session(s) wait in the outbox")]
    private static partial void LogUnreachable(ILogger logger, string reason, int waiting);

    [LoggerMessage(Level = LogLevel.Error, Message = "Session {SessionId} refused by the study catalogue: {Reason}")]
    private static partial void LogConflict(ILogger logger, string sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Session {SessionId} refused by the study catalogue database")]
    private static partial void LogRefused(ILogger logger, Exception exception, string sessionId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Catalogue upload pass over {Outbox} failed; retrying later")]
    private static partial void LogOutboxFailed(ILogger logger, Exception exception, string outbox);
}
