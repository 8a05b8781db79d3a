using System.Text.Json;
using AcqService.Sinks;
using Npgsql;
using NpgsqlTypes;
using AcqService.Core;

namespace AcqService.Catalog;

/// <summary>What happened to one upload.</summary>
public enum UploadOutcome
{
    /// <summary>Stored now.</summary>
    Stored,

    /// <summary>The same session with the same content was already stored (a repeat; nothing changed).</summary>
    AlreadyStored,

    /// <summary>A session with the same key but different content is stored; the new one was refused.</summary>
    Conflict,
}

/// <summary>Result of one upload.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="StoredContentHash">Content hash of the row in the database (the existing one for a conflict).</param>
public sealed record UploadResult(UploadOutcome Outcome, string StoredContentHash);

/// <summary>Pooled alpha change of one condition and region, at one site or over all sites (<see cref="Pooled"/>).</summary>
/// <param name="Site">Site, or <c>(all)</c> for the pooled row.</param>
/// <param name="Pooled">True for the row over all sites (the grand average).</param>
/// <param name="Stream">Stream key.</param>
/// <param name="Condition">Condition.</param>
/// <param name="Region">Region.</param>
/// <param name="Sessions">Sessions with a defined change.</param>
/// <param name="Events">Events over those sessions.</param>
/// <param name="MeanChangePercent">Mean over sessions of each session's mean change (%), every session weighted once.</param>
/// <param name="SemChangePercent">Standard error of that mean over sessions; null with one session.</param>
public sealed record AlphaChangeRow(string Site, bool Pooled, string Stream, string Condition, string Region, int Sessions, long Events, double MeanChangePercent, double? SemChangePercent);

/// <summary>Epochs kept and markers dropped for one condition, at one site or over all sites.</summary>
/// <param name="Site">Site, or <c>(all)</c>.</param>
/// <param name="Pooled">True for the row over all sites.</param>
/// <param name="Stream">Stream key.</param>
/// <param name="Condition">Condition.</param>
/// <param name="Sessions">Sessions with markers of the condition.</param>
/// <param name="Epochs">Epochs kept.</param>
/// <param name="Dropped">Markers whose epoch was dropped.</param>
public sealed record EpochRow(string Site, bool Pooled, string Stream, string Condition, int Sessions, long Epochs, long Dropped);

/// <summary>Grand-average ERP of one channel and condition, at one site or over all sites.</summary>
/// <param name="Site">Site, or <c>(all)</c>.</param>
/// <param name="Pooled">True for the row over all sites.</param>
/// <param name="Stream">Stream key.</param>
/// <param name="Condition">Condition.</param>
/// <param name="Channel">Channel label.</param>
/// <param name="Sessions">Sessions with at least one epoch of the condition.</param>
/// <param name="Epochs">Epochs over those sessions.</param>
/// <param name="TimesS">Time of each point relative to the marker (s).</param>
/// <param name="MeanUv">Mean over sessions of each session's average (every session counts once), µV; null where no session has a value.</param>
public sealed record ErpGrandAverageRow(string Site, bool Pooled, string Stream, string Condition, string Channel, int Sessions, long Epochs,
    IReadOnlyList<double> TimesS, IReadOnlyList<double?> MeanUv);

/// <summary>Sessions catalogued per site and station.</summary>
/// <param name="Site">Site.</param>
/// <param name="Station">Station.</param>
/// <param name="Sessions">Sessions.</param>
/// <param name="Subjects">Distinct subjects.</param>
/// <param name="First">Earliest session start.</param>
/// <param name="Last">Latest session start.</param>
/// <param name="ProtocolHashes">Distinct protocol hashes (more than one means the sessions did not all run the same locked analysis).</param>
public sealed record SessionCountRow(string Site, string Station, int Sessions, int Subjects, DateTimeOffset First, DateTimeOffset Last, int ProtocolHashes);

/// <summary>
/// The study catalogue in PostgreSQL: schema migrations, idempotent uploads of <see cref="CatalogEntry"/>, and the
/// pooled study queries. Thread-safe (one pooled data source; each call takes its own connection).
/// </summary>
public sealed class CatalogStore : IAsyncDisposable
{
    private const string PooledSite = "(all)";
    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Connects lazily to <paramref name="connectionString"/>.</summary>
    /// <param name="connectionString">Npgsql connection string.</param>
    /// <param name="connectTimeoutSeconds">Connection timeout (applied unless the string sets <c>Timeout</c>).</param>
    /// <param name="commandTimeoutSeconds">Statement timeout (applied unless the string sets <c>Command Timeout</c>).</param>
    /// <exception cref="ArgumentException">The connection string is malformed.</exception>
    public CatalogStore(string connectionString, int connectTimeoutSeconds = 5, int commandTimeoutSeconds = 30)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // Only the keys the string really contains (the Npgsql builder reports every known key).
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!given.ContainsKey("Timeout"))
        {
            builder.Timeout = connectTimeoutSeconds;
        }
        if (!given.ContainsKey("Command Timeout") && !given.ContainsKey("CommandTimeout"))
        {
            builder.CommandTimeout = commandTimeoutSeconds;
        }
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    /// <summary>The database's schema version (0 when empty).</summary>
    public async Task<int> SchemaVersionAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await CatalogSchema.CurrentVersionAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Applies pending migrations up to <paramref name="targetVersion"/> (default all); returns those applied now.</summary>
    public async Task<IReadOnlyList<CatalogMigration>> MigrateAsync(int? targetVersion, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await CatalogSchema.MigrateAsync(connection, targetVersion, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores an entry once: the key is (study, site, station, session id). A repeat with the same content hash is
    /// <see cref="UploadOutcome.AlreadyStored"/>; different content under a stored key is a <see cref="UploadOutcome.Conflict"/>
    /// and changes nothing. The session and all its results are written in one transaction.
    /// </summary>
    /// <exception cref="NpgsqlException">The database cannot be reached or refused the statement.</exception>
    public async Task<UploadResult> UploadAsync(CatalogEntry entry, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        long? id;
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO catalog_sessions (study, site, station, session_id, subject, session_label, task, run, protocol, protocol_hash, mode,
                software_version, host, started_utc, ended_utc, duration_s, end_kind, end_reason, folder, content_hash, entry_format, streams, quality)
            VALUES (@study, @site, @station, @session_id, @subject, @session_label, @task, @run, @protocol, @protocol_hash, @mode,
                @software_version, @host, @started_utc, @ended_utc, @duration_s, @end_kind, @end_reason, @folder, @content_hash, @entry_format, @streams, @quality)
            ON CONFLICT ON CONSTRAINT catalog_sessions_key DO NOTHING
            RETURNING id
            """, connection, transaction))
        {
            NpgsqlParameterCollection p = insert.Parameters;
            p.AddWithValue("study", entry.Study);
            p.AddWithValue("site", entry.Site);
            p.AddWithValue("station", entry.Station);
            p.AddWithValue("session_id", entry.SessionId);
            p.AddWithValue("subject", entry.Subject);
            p.AddWithValue("session_label", entry.SessionLabel);
            p.AddWithValue("task", entry.Task);
            p.AddWithValue("run", entry.Run);
            p.AddWithValue("protocol", entry.Protocol);
            p.AddWithValue("protocol_hash", NpgsqlDbType.Text, (object?)entry.ProtocolHash ?? DBNull.Value);
            p.AddWithValue("mode", entry.Mode);
            p.AddWithValue("software_version", entry.SoftwareVersion);
            p.AddWithValue("host", entry.Host);
            p.AddWithValue("started_utc", entry.StartedUtc.ToUniversalTime());
            p.AddWithValue("ended_utc", NpgsqlDbType.TimestampTz, entry.EndedUtc is { } ended ? ended.ToUniversalTime() : DBNull.Value);
            p.AddWithValue("duration_s", entry.DurationSeconds);
            p.AddWithValue("end_kind", NpgsqlDbType.Text, (object?)entry.EndKind ?? DBNull.Value);
            p.AddWithValue("end_reason", NpgsqlDbType.Text, (object?)entry.EndReason ?? DBNull.Value);
            p.AddWithValue("folder", entry.Folder);
            p.AddWithValue("content_hash", entry.ContentHash);
            p.AddWithValue("entry_format", entry.FormatVersion);
            p.AddWithValue("streams", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(entry.Streams, CatalogJson.Options.TypeInfo<IReadOnlyList<CatalogStream>>()));
            p.AddWithValue("quality", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(entry.Quality, CatalogJson.Options.TypeInfo<CatalogQuality>()));
            id = (long?)await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }
        if (id is null)
        {
            // Already there (sent before, or by a concurrent upload that committed first): same content or a conflict.
            await using var existing = new NpgsqlCommand(
                "SELECT content_hash FROM catalog_sessions WHERE study = @study AND site = @site AND station = @station AND session_id = @session_id", connection, transaction);
            existing.Parameters.AddWithValue("study", entry.Study);
            existing.Parameters.AddWithValue("site", entry.Site);
            existing.Parameters.AddWithValue("station", entry.Station);
            existing.Parameters.AddWithValue("session_id", entry.SessionId);
            string stored = (string)(await existing.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return new UploadResult(stored == entry.ContentHash ? UploadOutcome.AlreadyStored : UploadOutcome.Conflict, stored);
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (CatalogFile f in entry.Files)
        {
            batch.BatchCommands.Add(Command("INSERT INTO catalog_files (session_ref, name, bytes, sha256) VALUES ($1, $2, $3, $4)", id.Value, f.Name, f.Bytes, f.Sha256));
        }
        foreach (ErpResult e in entry.Erp)
        {
            // Flattened channel after channel: one array per condition instead of a row per channel keeps the table small.
            var mean = new double?[e.Channels.Count * e.TimesS.Count];
            for (int c = 0; c < e.MeanUv.Count && c < e.Channels.Count; c++)
            {
                for (int k = 0; k < e.MeanUv[c].Count && k < e.TimesS.Count; k++)
                {
                    mean[c * e.TimesS.Count + k] = e.MeanUv[c][k];
                }
            }
            batch.BatchCommands.Add(Command("INSERT INTO catalog_erp (session_ref, stream, condition, epochs, channels, times_s, mean_uv) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                id.Value, e.Stream, e.Condition, e.Count, e.Channels.ToArray(), e.TimesS.ToArray(), mean));
        }
        foreach (AlphaResult a in entry.Alpha)
        {
            batch.BatchCommands.Add(Command("""
                INSERT INTO catalog_alpha (session_ref, stream, condition, region, events, pre_mean_uv2, post_mean_uv2, change_percent, change_percent_sem)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                """, id.Value, a.Stream, a.Condition, a.Region, a.Events, Nullable(a.PreMeanUv2), Nullable(a.PostMeanUv2), Nullable(a.ChangePercent), Nullable(a.ChangePercentSem)));
        }
        foreach (DropCount d in entry.Drops)
        {
            batch.BatchCommands.Add(Command("INSERT INTO catalog_drops (session_ref, stream, condition, outcome, reason, markers) VALUES ($1, $2, $3, $4, $5, $6)",
                id.Value, d.Stream, d.Condition, d.Outcome, d.Reason, d.Count));
        }
        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new UploadResult(UploadOutcome.Stored, entry.ContentHash);
    }

    /// <summary>
    /// Alpha change per site, stream, condition and region, and the same pooled over all sites: the mean over sessions
    /// of each session's mean change (every session counts once), its standard error over sessions, sessions and events.
    /// </summary>
    public async Task<IReadOnlyList<AlphaChangeRow>> AlphaChangeAsync(string study, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT GROUPING(site) = 1, coalesce(site, ''), stream, condition, region, count(*)::int, sum(events)::bigint,
                   avg(change_percent), stddev_samp(change_percent) / sqrt(count(*))
            FROM study_alpha
            WHERE study = $1 AND change_percent IS NOT NULL
            GROUP BY GROUPING SETS ((site, stream, condition, region), (stream, condition, region))
            ORDER BY stream, condition, region, GROUPING(site), site
            """;
        var rows = new List<AlphaChangeRow>();
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = study } } };
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            bool pooled = reader.GetBoolean(0);
            rows.Add(new AlphaChangeRow(pooled ? PooledSite : reader.GetString(1), pooled, reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetInt32(5), reader.GetInt64(6), reader.GetDouble(7), reader.IsDBNull(8) ? null : reader.GetDouble(8)));
        }
        return rows;
    }

    /// <summary>Epochs kept and markers dropped per site, stream and condition, and the same over all sites.</summary>
    public async Task<IReadOnlyList<EpochRow>> EpochsAsync(string study, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT GROUPING(site) = 1, coalesce(site, ''), stream, condition, count(*)::int, sum(epochs)::bigint, sum(dropped)::bigint
            FROM study_epochs
            WHERE study = $1
            GROUP BY GROUPING SETS ((site, stream, condition), (stream, condition))
            ORDER BY stream, condition, GROUPING(site), site
            """;
        var rows = new List<EpochRow>();
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = study } } };
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            bool pooled = reader.GetBoolean(0);
            rows.Add(new EpochRow(pooled ? PooledSite : reader.GetString(1), pooled, reader.GetString(2), reader.GetString(3), reader.GetInt32(4), reader.GetInt64(5), reader.GetInt64(6)));
        }
        return rows;
    }

    /// <summary>
    /// Grand-average ERP of one channel per site, stream and condition, and over all sites: the mean over sessions of
    /// each session's average (every session counts once, as subjects do in a grand average), with the epoch total.
    /// </summary>
    /// <exception cref="InvalidDataException">Sessions of one condition have different time axes (different epoch settings); the message names the condition.</exception>
    public async Task<IReadOnlyList<ErpGrandAverageRow>> ErpGrandAverageAsync(string study, string channel, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT s.site, e.stream, e.condition, e.epochs, e.times_s, e.mean_uv[(array_position(e.channels, $2) - 1) * cardinality(e.times_s) + 1 : array_position(e.channels, $2) * cardinality(e.times_s)]
            FROM catalog_sessions s JOIN catalog_erp e ON e.session_ref = s.id
            WHERE s.study = $1 AND e.epochs > 0 AND array_position(e.channels, $2) IS NOT NULL
            ORDER BY e.stream, e.condition, s.site, s.id
            """;
        var groups = new Dictionary<(string Site, string Stream, string Condition), Accumulator>();
        await using (NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        await using (var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = study }, new() { Value = channel } } })
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                string site = reader.GetString(0), stream = reader.GetString(1), condition = reader.GetString(2);
                int epochs = reader.GetInt32(3);
                double[] times = reader.GetFieldValue<double[]>(4);
                double?[] mean = reader.GetFieldValue<double?[]>(5);
                foreach (string key in new[] { site, PooledSite })
                {
                    if (!groups.TryGetValue((key, stream, condition), out Accumulator? sum))
                    {
                        groups[(key, stream, condition)] = sum = new Accumulator(times);
                    }
                    sum.Add(times, mean, epochs, condition);
                }
            }
        }
        return [.. groups.OrderBy(g => g.Key.Stream, StringComparer.Ordinal).ThenBy(g => g.Key.Condition, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Site == PooledSite ? 1 : 0).ThenBy(g => g.Key.Site, StringComparer.Ordinal)
            .Select(g => new ErpGrandAverageRow(g.Key.Site, g.Key.Site == PooledSite, g.Key.Stream, g.Key.Condition, channel, g.Value.Sessions, g.Value.Epochs, g.Value.Times, g.Value.Mean()))];
    }

    /// <summary>Sums of session averages on one time axis.</summary>
    private sealed class Accumulator(double[] times)
    {
        private readonly double[] _sum = new double[times.Length];
        private readonly int[] _count = new int[times.Length];

        public double[] Times { get; } = times;

        public int Sessions { get; private set; }

        public long Epochs { get; private set; }

        public void Add(double[] times, double?[] mean, int epochs, string condition)
        {
            if (!times.AsSpan().SequenceEqual(Times) || mean.Length != Times.Length)
            {
                throw new InvalidDataException($"condition '{condition}': sessions with different epoch time axes cannot be averaged (different epoch settings; compare their protocol hashes)");
            }
            for (int k = 0; k < mean.Length; k++)
            {
                if (mean[k] is double v)
                {
                    _sum[k] += v;
                    _count[k]++;
                }
            }
            Sessions++;
            Epochs += epochs;
        }

        public double?[] Mean()
        {
            var mean = new double?[_sum.Length];
            for (int k = 0; k < mean.Length; k++)
            {
                mean[k] = _count[k] > 0 ? _sum[k] / _count[k] : null;
            }
            return mean;
        }
    }

    /// <summary>Sessions per site and station of a study.</summary>
    public async Task<IReadOnlyList<SessionCountRow>> SessionsAsync(string study, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT site, station, count(*)::int, count(DISTINCT subject)::int, min(started_utc), max(started_utc), count(DISTINCT protocol_hash)::int
            FROM catalog_sessions WHERE study = $1
            GROUP BY site, station ORDER BY site, station
            """;
        var rows = new List<SessionCountRow>();
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = study } } };
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new SessionCountRow(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetInt32(6)));
        }
        return rows;
    }

    /// <summary>Number of catalogued sessions under a key (0 or 1; for checks and tests).</summary>
    public async Task<int> CountAsync(string study, string? site, string? station, string? sessionId, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "SELECT count(*)::int FROM catalog_sessions WHERE study = $1 AND ($2::text IS NULL OR site = $2) AND ($3::text IS NULL OR station = $3) AND ($4::text IS NULL OR session_id = $4)",
            connection)
        {
            Parameters =
            {
                new() { Value = study },
                new() { Value = (object?)site ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = (object?)station ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = (object?)sessionId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
            },
        };
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private static object Nullable(double? value) => value is double v ? v : DBNull.Value;

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (object value in values)
        {
            command.Parameters.Add(value is DBNull ? new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlDbType.Double } : new NpgsqlParameter { Value = value });
        }
        return command;
    }
}
