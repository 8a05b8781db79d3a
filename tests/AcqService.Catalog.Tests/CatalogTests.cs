using System.Globalization;
using System.Security.Cryptography;
using Npgsql;

namespace AcqService.Catalog.Tests;

/// <summary>The study catalogue against a real PostgreSQL cluster on loopback (skips when PostgreSQL is not installed).</summary>
[Collection(PostgresCollection.Name)]
public sealed class CatalogTests : IDisposable
{
    private const string Study = "ST36-trial";
    private readonly PostgresCluster _cluster;
    private readonly SessionFolders _sessions;
    private readonly string _work = Path.Combine(Path.GetTempPath(), "acq-catalog-tests", Guid.NewGuid().ToString("N")[..12]);

    public CatalogTests(PostgresCluster cluster, SessionFolders sessions)
    {
        _cluster = cluster;
        _sessions = sessions;
        Directory.CreateDirectory(_work);
    }

    public void Dispose()
    {
        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    [SkippableFact]
    public async Task TwoStations_PublishingConcurrently_StoreEverySessionOnce_AndPooledQueriesEqualTheSessionFolders()
    {
        Skip.If(_cluster.Unavailable is not null, _cluster.Unavailable);
        string connection = await _cluster.CreateDatabaseAsync();
        // Station A at site "hamburg" recorded sessions 1-3, station B at site "lyon" sessions 4-6.
        (string Site, string Station, int[] Sessions)[] stations = [("hamburg", "eeg-lab-1", [0, 1, 2]), ("lyon", "eeg-lab-7", [3, 4, 5])];
        await using CatalogPublisher a = Publisher(connection, stations[0].Site, stations[0].Station, "outbox-a");
        await using CatalogPublisher b = Publisher(connection, stations[1].Site, stations[1].Station, "outbox-b");

        // Both stations migrate the empty database and upload at the same time.
        await Task.WhenAll(PublishAllAsync(a, stations[0].Sessions), PublishAllAsync(b, stations[1].Sessions));

        Assert.Equal(0, a.Backlog.Pending);
        Assert.Equal(0, b.Backlog.Pending);
        await using var store = new CatalogStore(connection);
        Assert.Equal(CatalogSchema.LatestVersion, await store.SchemaVersionAsync(default));
        Assert.Equal(6, await store.CountAsync(Study, null, null, null, default));
        Assert.Equal(3, await store.CountAsync(Study, "hamburg", "eeg-lab-1", null, default));
        Assert.Equal(3, await store.CountAsync(Study, "lyon", "eeg-lab-7", null, default));
        await AssertSchemaVersionRowsAsync(connection, CatalogSchema.LatestVersion);

        var bySite = stations.SelectMany(s => s.Sessions.Select(i => (s.Site, Folder: _sessions.Folders[i]))).ToList();
        await AssertPooledEqualsFoldersAsync(store, bySite);
        // The data make the comparison meaningful: real and sham at both sites, several sessions per row, epochs dropped.
        IReadOnlyList<AlphaChangeRow> alpha = await store.AlphaChangeAsync(Study, default);
        foreach (string site in new[] { "hamburg", "lyon", "(all)" })
        {
            int least = site == "(all)" ? 3 : 1;
            Assert.Contains(alpha, r => r.Site == site && r.Condition.EndsWith("/real", StringComparison.Ordinal) && r.Sessions >= least);
            Assert.Contains(alpha, r => r.Site == site && r.Condition.EndsWith("/sham", StringComparison.Ordinal) && r.Sessions >= least);
        }
        Assert.Contains(await store.EpochsAsync(Study, default), r => r.Pooled && r.Dropped > 0);
        await AssertErpGrandAverageEqualsFoldersAsync(store, bySite, "Cz");
        // The locked session's protocol hash is catalogued: one hash at lyon (session 6), none at hamburg.
        IReadOnlyList<SessionCountRow> perStation = await store.SessionsAsync(Study, default);
        Assert.Equal([("hamburg", "eeg-lab-1", 3, 3, 0), ("lyon", "eeg-lab-7", 3, 3, 1)],
            perStation.Select(r => (r.Site, r.Station, r.Sessions, r.Subjects, r.ProtocolHashes)));

        // The file checksums stored are the SHA-256 of the files in the session folder.
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var files = new NpgsqlCommand(
            "SELECT f.name, f.bytes, f.sha256 FROM catalog_files f JOIN catalog_sessions s ON s.id = f.session_ref WHERE s.session_id = 'session-01' AND s.station = 'eeg-lab-1' ORDER BY f.name", db);
        await using NpgsqlDataReader reader = await files.ExecuteReaderAsync();
        var stored = new List<(string, long, string)>();
        while (await reader.ReadAsync())
        {
            stored.Add((reader.GetString(0), reader.GetInt64(1), reader.GetString(2)));
        }
        var expected = Directory.GetFiles(_sessions.Folders[0]).Order(StringComparer.Ordinal)
            .Select(f => (Path.GetFileName(f), new FileInfo(f).Length, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))))).ToList();
        Assert.Contains(expected, e => e.Item1 == "recording.xdf");
        Assert.Equal(expected, stored);
        await reader.DisposeAsync();
        await using var hash = new NpgsqlCommand("SELECT protocol_hash FROM catalog_sessions WHERE session_id = 'session-06'", db);
        Assert.Equal(_sessions.ProtocolHash, (string?)await hash.ExecuteScalarAsync());
    }

    [SkippableFact]
    public async Task OfflineStation_KeepsSessionsInTheOutbox_AndCatchesUpWhenTheDatabaseIsReachable()
    {
        Skip.If(_cluster.Unavailable is not null, _cluster.Unavailable);
        string connection = await _cluster.CreateDatabaseAsync();
        // Nothing listens on this port: the station is offline.
        int deadPort = DeadPort();
        string offline = new NpgsqlConnectionStringBuilder(connection) { Port = deadPort }.ConnectionString;
        await using (CatalogPublisher down = Publisher(offline, "hamburg", "eeg-lab-2", "outbox", retrySeconds: 60))
        {
            await down.EnqueueAsync(_sessions.Folders[0]);
            await down.EnqueueAsync(_sessions.Folders[1]);
            SyncReport report = await down.SyncAsync(force: false, default);
            Assert.True(report.Offline);
            Assert.Equal(0, report.Stored);
            Assert.Equal(2, report.Failed);
            CatalogBacklog backlog = down.Backlog;
            Assert.Equal(2, backlog.Pending);
            Assert.NotNull(backlog.LastError);
            Assert.NotNull(backlog.OldestQueuedUtc);
            Assert.True(backlog.NextAttemptUtc > DateTimeOffset.UtcNow.AddSeconds(30), $"next attempt {backlog.NextAttemptUtc}");
            Assert.Contains("2 waiting", backlog.ToString(), StringComparison.Ordinal);
            Assert.All(down.Outbox.Pending(), p => Assert.Equal(1, p.State.Attempts));

            // Not due yet: a normal pass leaves them alone (the backoff holds); a second failure doubles the wait.
            SyncReport early = await down.SyncAsync(force: false, default);
            Assert.Equal(0, early.Stored);
            Assert.All(down.Outbox.Pending(), p => Assert.Equal(1, p.State.Attempts));
            await down.SyncAsync(force: true, default);
            OutboxItem item = down.Outbox.Pending()[0];
            Assert.Equal(2, item.State.Attempts);
            double wait = (item.State.NextAttemptUtc!.Value - item.State.LastAttemptUtc!.Value).TotalSeconds;
            Assert.InRange(wait, 119, 121);
        }

        // The network is back (the connection string is fixed): the background loop uploads the backlog by itself.
        await using CatalogPublisher up = Publisher(connection, "hamburg", "eeg-lab-2", "outbox", retrySeconds: 60);
        foreach (OutboxItem waiting in up.Outbox.Pending())
        {
            up.Outbox.RecordFailure(waiting, waiting.State.LastError ?? "", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddSeconds(-1));
        }
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Task loop = up.RunAsync(stop.Token);
        while (up.Backlog.Pending > 0 && !stop.IsCancellationRequested)
        {
            await Task.Delay(100);
        }
        await stop.CancelAsync();
        await loop;
        Assert.Equal(0, up.Backlog.Pending);
        await using var store = new CatalogStore(connection);
        Assert.Equal(2, await store.CountAsync(Study, "hamburg", "eeg-lab-2", null, default));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(up.Outbox.Folder, CatalogOutbox.SentLog)).Length);
    }

    [SkippableFact]
    public async Task Duplicates_AreStoredOnce_AndDifferentContentUnderTheSameKeyIsAConflict()
    {
        Skip.If(_cluster.Unavailable is not null, _cluster.Unavailable);
        string connection = await _cluster.CreateDatabaseAsync();
        await using CatalogPublisher station = Publisher(connection, "lyon", "eeg-lab-3", "outbox");
        await using var store = new CatalogStore(connection);

        // Queued twice before an upload: one outbox item.
        await station.EnqueueAsync(_sessions.Folders[2]);
        await station.EnqueueAsync(_sessions.Folders[2]);
        Assert.Single(station.Outbox.Pending());
        SyncReport first = await station.SyncAsync(false, default);
        Assert.Equal(1, first.Stored);

        // Sent again after it was stored: recognised as the same, stored once.
        await station.EnqueueAsync(_sessions.Folders[2]);
        SyncReport again = await station.SyncAsync(false, default);
        Assert.Equal((0, 1, 0), (again.Stored, again.AlreadyStored, again.Conflicts));
        Assert.Equal(1, await store.CountAsync(Study, "lyon", "eeg-lab-3", "session-03", default));
        Assert.Equal(0, station.Backlog.Pending);

        // The same session id with different content (a file changed after publishing) is refused and kept aside.
        string changed = _sessions.CopyOf(2, Path.Combine(_work, "changed"));
        File.AppendAllText(Path.Combine(changed, "summary.txt"), "edited after the session\n");
        CatalogEntry original = CatalogEntryReader.Read(_sessions.Folders[2], Study, "lyon", "eeg-lab-3");
        await station.EnqueueAsync(changed);
        SyncReport conflict = await station.SyncAsync(false, default);
        Assert.Equal((0, 0, 1), (conflict.Stored, conflict.AlreadyStored, conflict.Conflicts));
        Assert.Contains(conflict.Messages, m => m.Contains("CONFLICT", StringComparison.Ordinal) && m.Contains("session-03", StringComparison.Ordinal));
        Assert.Equal(1, station.Backlog.Conflicts);
        Assert.Equal(0, station.Backlog.Pending);
        Assert.Single(station.Outbox.Conflicts());
        Assert.Equal(1, await store.CountAsync(Study, "lyon", "eeg-lab-3", "session-03", default));
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var hash = new NpgsqlCommand("SELECT content_hash FROM catalog_sessions WHERE session_id = 'session-03'", db);
        Assert.Equal(original.ContentHash, (string?)await hash.ExecuteScalarAsync());

        // Two stations uploading the same entry at once (same key): still one row.
        CatalogEntry entry = CatalogEntryReader.Read(_sessions.Folders[4], Study, "lyon", "eeg-lab-3");
        UploadResult[] results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => store.UploadAsync(entry, default)));
        Assert.Equal(1, results.Count(r => r.Outcome == UploadOutcome.Stored));
        Assert.Equal(3, results.Count(r => r.Outcome == UploadOutcome.AlreadyStored));
        Assert.Equal(1, await store.CountAsync(Study, "lyon", "eeg-lab-3", "session-05", default));
    }

    [SkippableFact]
    public async Task Migration_FromVersion1WithData_KeepsTheDataAndRecordsTheVersion()
    {
        Skip.If(_cluster.Unavailable is not null, _cluster.Unavailable);
        Assert.True(CatalogSchema.LatestVersion >= 2);
        string connection = await _cluster.CreateDatabaseAsync();
        await using var store = new CatalogStore(connection);
        Assert.Equal(0, await store.SchemaVersionAsync(default));

        IReadOnlyList<CatalogMigration> first = await store.MigrateAsync(1, default);
        Assert.Equal([1], first.Select(m => m.Version));
        Assert.Equal(1, await store.SchemaVersionAsync(default));
        CatalogEntry entry = CatalogEntryReader.Read(_sessions.Folders[0], Study, "hamburg", "eeg-lab-1");
        Assert.Equal(UploadOutcome.Stored, (await store.UploadAsync(entry, default)).Outcome);
        // Version 1 has no study views yet.
        PostgresException missing = await Assert.ThrowsAsync<PostgresException>(() => store.AlphaChangeAsync(Study, default));
        Assert.Equal("42P01", missing.SqlState);

        IReadOnlyList<CatalogMigration> rest = await store.MigrateAsync(null, default);
        Assert.Equal(Enumerable.Range(2, CatalogSchema.LatestVersion - 1), rest.Select(m => m.Version));
        Assert.Equal(CatalogSchema.LatestVersion, await store.SchemaVersionAsync(default));
        Assert.Empty(await store.MigrateAsync(null, default));
        await AssertSchemaVersionRowsAsync(connection, CatalogSchema.LatestVersion);

        // The session stored under version 1 is still there, whole, and the new views see it.
        Assert.Equal(1, await store.CountAsync(Study, null, null, null, default));
        await AssertPooledEqualsFoldersAsync(store, [("hamburg", _sessions.Folders[0])]);
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var counts = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM catalog_files)::int, (SELECT count(*) FROM catalog_erp)::int, (SELECT count(*) FROM catalog_alpha)::int", db);
        await using NpgsqlDataReader reader = await counts.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal((entry.Files.Count, entry.Erp.Count, entry.Alpha.Count), (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2)));
    }

    [SkippableFact]
    public async Task ErpAverages_AreStoredWithTheirCounts_AndMatchTheFile()
    {
        Skip.If(_cluster.Unavailable is not null, _cluster.Unavailable);
        string connection = await _cluster.CreateDatabaseAsync();
        await using var store = new CatalogStore(connection);
        await store.MigrateAsync(null, default);
        CatalogEntry entry = CatalogEntryReader.Read(_sessions.Folders[1], Study, "hamburg", "eeg-lab-1");
        await store.UploadAsync(entry, default);

        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var erp = new NpgsqlCommand("SELECT condition, epochs, channels, times_s, mean_uv FROM catalog_erp ORDER BY condition", db);
        await using NpgsqlDataReader reader = await erp.ExecuteReaderAsync();
        int rows = 0;
        using var file = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_sessions.Folders[1], "erp_averages.json")));
        var conditions = file.RootElement.GetProperty("conditions").EnumerateArray().ToDictionary(c => c.GetProperty("condition").GetString()!);
        while (await reader.ReadAsync())
        {
            rows++;
            System.Text.Json.JsonElement expected = conditions[reader.GetString(0)];
            Assert.Equal(expected.GetProperty("count").GetInt32(), reader.GetInt32(1));
            string[] channels = reader.GetFieldValue<string[]>(2);
            double[] times = reader.GetFieldValue<double[]>(3);
            double?[] mean = reader.GetFieldValue<double?[]>(4);
            Assert.Equal(expected.GetProperty("channels").GetArrayLength(), channels.Length);
            Assert.Equal(channels.Length * times.Length, mean.Length);
            // Spot checks: Cz at the last time point, and the first channel at the first.
            int cz = Array.IndexOf(channels, "Cz");
            Assert.True(cz >= 0);
            Assert.Equal(expected.GetProperty("meanUv")[cz][times.Length - 1].GetDouble(), mean[cz * times.Length + times.Length - 1]);
            Assert.Equal(expected.GetProperty("meanUv")[0][0].GetDouble(), mean[0]);
        }
        Assert.Equal(conditions.Count, rows);
        Assert.True(rows >= 4, $"{rows} conditions");
    }

    private CatalogPublisher Publisher(string connection, string site, string station, string outbox, double retrySeconds = 0.5) =>
        new(new StudyOptions { Name = Study, Site = site, ConnectionString = connection, RetrySeconds = retrySeconds, MaxRetrySeconds = Math.Max(retrySeconds * 8, 2) },
            station, Path.Combine(_work, station + "-" + outbox));

    private async Task PublishAllAsync(CatalogPublisher publisher, int[] sessions)
    {
        // Queue and upload one at a time, as the service does after each session.
        foreach (int i in sessions)
        {
            await publisher.EnqueueAsync(_sessions.Folders[i]);
            SyncReport report = await publisher.SyncAsync(force: false, default);
            Assert.False(report.Offline, string.Join("; ", report.Messages));
            Assert.Equal(1, report.Stored);
        }
    }

    private static async Task AssertSchemaVersionRowsAsync(string connection, int latest)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var rows = new NpgsqlCommand("SELECT version, name FROM schema_version ORDER BY version", db);
        await using NpgsqlDataReader reader = await rows.ExecuteReaderAsync();
        var versions = new List<(int, string)>();
        while (await reader.ReadAsync())
        {
            versions.Add((reader.GetInt32(0), reader.GetString(1)));
        }
        Assert.Equal(CatalogSchema.Migrations.Take(latest).Select(m => (m.Version, m.Name)), versions);
    }

    /// <summary>The pooled query results against numbers computed here straight from the folders' CSV files.</summary>
    private static async Task AssertPooledEqualsFoldersAsync(CatalogStore store, IReadOnlyList<(string Site, string Folder)> sessions)
    {
        // Alpha: per (site | all) × stream × condition × region, the sessions' change_percent values.
        var alpha = new Dictionary<(string, string, string, string), List<(double Change, int Events)>>();
        foreach ((string site, string folder) in sessions)
        {
            string[] lines = File.ReadAllLines(Path.Combine(folder, "alpha_summary.csv"));
            Assert.Equal("stream,condition,region,events,pre_mean_uV2,post_mean_uV2,change_percent,change_percent_sem", lines[0]);
            foreach (string line in lines.Skip(1).Where(l => l.Length > 0))
            {
                string[] f = line.Split(',');
                if (f[6].Length == 0)
                {
                    continue;
                }
                var value = (double.Parse(f[6], CultureInfo.InvariantCulture), int.Parse(f[3], CultureInfo.InvariantCulture));
                foreach (string key in new[] { site, "(all)" })
                {
                    (alpha.TryGetValue((key, f[0], f[1], f[2]), out var list) ? list : alpha[(key, f[0], f[1], f[2])] = []).Add(value);
                }
            }
        }
        IReadOnlyList<AlphaChangeRow> rows = await store.AlphaChangeAsync(Study, default);
        Assert.Equal(alpha.Count, rows.Count);
        foreach (AlphaChangeRow row in rows)
        {
            List<(double Change, int Events)> values = alpha[(row.Site, row.Stream, row.Condition, row.Region)];
            Assert.Equal(row.Site == "(all)", row.Pooled);
            Assert.Equal(values.Count, row.Sessions);
            Assert.Equal(values.Sum(v => v.Events), row.Events);
            double mean = values.Average(v => v.Change);
            Assert.Equal(mean, row.MeanChangePercent, 9);
            if (values.Count > 1)
            {
                double sd = Math.Sqrt(values.Sum(v => (v.Change - mean) * (v.Change - mean)) / (values.Count - 1));
                Assert.Equal(sd / Math.Sqrt(values.Count), row.SemChangePercent!.Value, 9);
            }
            else
            {
                Assert.Null(row.SemChangePercent);
            }
        }

        // Epochs: per (site | all) × stream × condition, from the drop logs.
        var epochs = new Dictionary<(string, string, string), (HashSet<string> Sessions, long Epochs, long Dropped)>();
        foreach ((string site, string folder) in sessions)
        {
            string[] lines = File.ReadAllLines(Path.Combine(folder, "drop_log.csv"));
            Assert.StartsWith("marker_time_s,session_time_s,stream,label,code,condition,outcome,reason", lines[0], StringComparison.Ordinal);
            foreach (string line in lines.Skip(1).Where(l => l.Length > 0))
            {
                string[] f = line.Split(',');
                foreach (string key in new[] { site, "(all)" })
                {
                    var k = (key, f[2], f[5]);
                    var current = epochs.TryGetValue(k, out var c) ? c : ([], 0, 0);
                    current.Sessions.Add(folder);
                    epochs[k] = f[6] == "epoch" ? (current.Sessions, current.Epochs + 1, current.Dropped) : (current.Sessions, current.Epochs, current.Dropped + 1);
                }
            }
        }
        IReadOnlyList<EpochRow> epochRows = await store.EpochsAsync(Study, default);
        Assert.Equal(epochs.Count, epochRows.Count);
        foreach (EpochRow row in epochRows)
        {
            var expected = epochs[(row.Site, row.Stream, row.Condition)];
            Assert.Equal((expected.Sessions.Count, expected.Epochs, expected.Dropped), (row.Sessions, row.Epochs, row.Dropped));
        }
    }

    /// <summary>The grand-average ERP at one channel against the mean, computed here, of the sessions' erp_averages.json.</summary>
    private static async Task AssertErpGrandAverageEqualsFoldersAsync(CatalogStore store, IReadOnlyList<(string Site, string Folder)> sessions, string channel)
    {
        var expected = new Dictionary<(string, string, string), (List<double[]> Waves, long Epochs)>();
        foreach ((string site, string folder) in sessions)
        {
            using var file = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "erp_averages.json")));
            foreach (System.Text.Json.JsonElement c in file.RootElement.GetProperty("conditions").EnumerateArray())
            {
                int count = c.GetProperty("count").GetInt32();
                if (count == 0)
                {
                    continue;
                }
                int index = c.GetProperty("channels").EnumerateArray().Select(x => x.GetString()).ToList().IndexOf(channel);
                double[] wave = [.. c.GetProperty("meanUv")[index].EnumerateArray().Select(x => x.GetDouble())];
                foreach (string key in new[] { site, "(all)" })
                {
                    var k = (key, c.GetProperty("stream").GetString()!, c.GetProperty("condition").GetString()!);
                    var current = expected.TryGetValue(k, out var e) ? e : ([], 0);
                    current.Waves.Add(wave);
                    expected[k] = (current.Waves, current.Epochs + count);
                }
            }
        }
        IReadOnlyList<ErpGrandAverageRow> rows = await store.ErpGrandAverageAsync(Study, channel, default);
        Assert.Equal(expected.Count, rows.Count);
        foreach (ErpGrandAverageRow row in rows)
        {
            (List<double[]> waves, long epochs) = expected[(row.Site, row.Stream, row.Condition)];
            Assert.Equal((waves.Count, epochs), (row.Sessions, row.Epochs));
            Assert.Equal(waves[0].Length, row.MeanUv.Count);
            for (int k = 0; k < row.MeanUv.Count; k++)
            {
                Assert.Equal(waves.Average(w => w[k]), row.MeanUv[k]!.Value, 9);
            }
        }
    }

    private static int DeadPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
