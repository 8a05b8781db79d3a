using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace AcqService.Catalog.Tests;

/// <summary>
/// A throwaway PostgreSQL cluster for the catalogue tests: <c>initdb</c> into a temporary folder, listening on
/// 127.0.0.1 only on a free port (its unix socket in the same folder), started with <c>pg_ctl -w</c>, stopped and
/// deleted at the end. The server refuses to run as root, so as root it runs as the <c>postgres</c> user. When the
/// binaries are missing (no <c>postgresql</c> package) <see cref="Unavailable"/> says why and the tests skip.
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);
    private string? _bin;
    private string? _folder;
    private bool _started;
    private int _databases;

    /// <summary>Why no cluster is available (tests skip with it), or null.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>TCP port on 127.0.0.1.</summary>
    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        _bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
                .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out int v) ? v : 0).FirstOrDefault()
            : null;
        if (_bin is null)
        {
            Unavailable = "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (install the Debian package 'postgresql')";
            return;
        }
        bool root = Environment.UserName == "root" || (OperatingSystem.IsLinux() && File.Exists("/proc/self/status") && File.ReadLines("/proc/self/status").Any(l => l.StartsWith("Uid:\t0\t", StringComparison.Ordinal)));
        if (root && !File.Exists("/usr/sbin/runuser") && !File.Exists("/sbin/runuser"))
        {
            Unavailable = "running as root and 'runuser' is missing: the PostgreSQL server refuses to run as root";
            return;
        }
        _folder = Path.Combine(Path.GetTempPath(), "acq-catalog-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_folder);
        string data = Path.Combine(_folder, "data");
        if (root)
        {
            await RunAsync("chown", ["postgres:postgres", _folder]);
        }
        // Trust authentication is safe here: the cluster only listens on loopback and lives for one test run.
        await RunAsServerUserAsync(root, Path.Combine(_bin, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--locale=C"]);
        Port = FreePort();
        File.AppendAllText(Path.Combine(data, "postgresql.conf"),
            $"\nlisten_addresses = '127.0.0.1'\nport = {Port}\nunix_socket_directories = '{_folder}'\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 60\nshared_buffers = 32MB\n");
        await RunAsServerUserAsync(root, Path.Combine(_bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "60", "start"]);
        _started = true;
        _root = root;
    }

    private bool _root;

    /// <summary>Connection string of the cluster's <c>postgres</c> database.</summary>
    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false;Timeout=10";

    /// <summary>A new empty database for one test; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        string name = $"catalog_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid().ToString("N")[..6]}";
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return $"Host=127.0.0.1;Port={Port};Username=postgres;Database={name}";
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_started && _bin is not null && _folder is not null)
        {
            try
            {
                await RunAsServerUserAsync(_root, Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "-t", "30", "stop"]);
            }
            catch (InvalidOperationException)
            {
                // Already gone; the folder is removed all the same.
            }
        }
        if (_folder is not null && Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Task RunAsServerUserAsync(bool root, string program, string[] arguments) =>
        root ? RunAsync(File.Exists("/usr/sbin/runuser") ? "/usr/sbin/runuser" : "/sbin/runuser", ["-u", "postgres", "--", program, .. arguments]) : RunAsync(program, arguments);

    private static async Task RunAsync(string program, string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }
        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} did not finish within {CommandTimeout.TotalSeconds} s");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error}{await output}");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresCluster>, ICollectionFixture<SessionFolders>
{
    public const string Name = "postgres";
}
