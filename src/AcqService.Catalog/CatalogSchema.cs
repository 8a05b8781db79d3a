using System.Reflection;
using System.Text.RegularExpressions;
using Npgsql;

namespace AcqService.Catalog;

/// <summary>A versioned schema change (<c>Migrations/NNNN_name.sql</c>, embedded in the assembly).</summary>
/// <param name="Version">Version the database has once it is applied (the file's number).</param>
/// <param name="Name">File name.</param>
/// <param name="Sql">SQL text.</param>
public sealed record CatalogMigration(int Version, string Name, string Sql);

/// <summary>
/// Versioned migrations of the catalogue schema. The database records what it has in <c>schema_version</c>; each
/// pending migration runs in its own transaction together with its <c>schema_version</c> row, under an advisory lock,
/// so two stations migrating at once apply each step exactly once and a failed step leaves the previous version intact.
/// </summary>
public static partial class CatalogSchema
{
    /// <summary>Advisory lock key held while migrating ("AcqC").</summary>
    private const long LockKey = 0x41637143;

    /// <summary>All migrations in the assembly, in version order.</summary>
    public static IReadOnlyList<CatalogMigration> Migrations { get; } = Load();

    /// <summary>The version the newest migration brings the database to.</summary>
    public static int LatestVersion => Migrations[^1].Version;

    /// <summary>The database's schema version (0 for an empty database).</summary>
    public static async Task<int> CurrentVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var exists = new NpgsqlCommand("SELECT to_regclass('schema_version') IS NOT NULL", connection);
        if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
        {
            return 0;
        }
        await using var version = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM schema_version", connection);
        return (int)(await version.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Applies the migrations the database lacks, up to <paramref name="targetVersion"/> (default: all).</summary>
    /// <returns>The migrations applied now, in order (empty when the database was up to date).</returns>
    public static async Task<IReadOnlyList<CatalogMigration>> MigrateAsync(NpgsqlConnection connection, int? targetVersion, CancellationToken cancellationToken)
    {
        int target = targetVersion ?? LatestVersion;
        var applied = new List<CatalogMigration>();
        foreach (CatalogMigration migration in Migrations.Where(m => m.Version <= target))
        {
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var command = new NpgsqlCommand(
                "SELECT pg_advisory_xact_lock(@key); " +
                "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, name text NOT NULL, applied_utc timestamptz NOT NULL DEFAULT now())",
                connection, transaction))
            {
                command.Parameters.AddWithValue("key", LockKey);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            // Read under the lock: another station may have applied it while this one waited.
            await using (var check = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM schema_version WHERE version = @v)", connection, transaction))
            {
                check.Parameters.AddWithValue("v", migration.Version);
                if ((bool)(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                {
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }
            }
            await using (var step = new NpgsqlCommand(migration.Sql, connection, transaction))
            {
                await step.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await using (var record = new NpgsqlCommand("INSERT INTO schema_version (version, name) VALUES (@v, @n)", connection, transaction))
            {
                record.Parameters.AddWithValue("v", migration.Version);
                record.Parameters.AddWithValue("n", migration.Name);
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            applied.Add(migration);
        }
        return applied;
    }

    private static List<CatalogMigration> Load()
    {
        Assembly assembly = typeof(CatalogSchema).Assembly;
        var list = new List<CatalogMigration>();
        foreach (string resource in assembly.GetManifestResourceNames())
        {
            Match match = MigrationName().Match(resource);
            if (!match.Success)
            {
                continue;
            }
            using Stream stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            list.Add(new CatalogMigration(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups[0].Value["Migrations/".Length..], reader.ReadToEnd()));
        }
        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (int i = 0; i < list.Count; i++)
        {
            // Versions are 1, 2, 3 … with no gap or repeat: a missing file would otherwise be skipped silently.
            if (list[i].Version != i + 1)
            {
                throw new InvalidOperationException($"catalogue migrations must be numbered 1, 2, 3 … without gaps; found {string.Join(", ", list.Select(m => m.Name))}");
            }
        }
        return list;
    }

    [GeneratedRegex(@"^Migrations/(\d{4})_[A-Za-z0-9_]+\.sql$")]
    private static partial Regex MigrationName();
}
