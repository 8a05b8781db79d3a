using AcqService.Lsl.Config;
using AcqService.Lsl.Managed;
using AcqService.Lsl.Native;

namespace AcqService.Lsl;

/// <summary>Which LSL implementation <see cref="LslBackends.Create"/> returns (setting <c>Lsl:Backend</c>).</summary>
public enum LslBackendKind
{
    /// <summary>Native liblsl when it loads (version ≥ 1.16), otherwise the managed implementation.</summary>
    Auto,
    /// <summary>Always the managed wire-protocol implementation; liblsl is never touched.</summary>
    Managed,
    /// <summary>Always native liblsl; creation fails with an explanation when it cannot be loaded.</summary>
    Native,
}

/// <summary>Settings of the <c>Lsl</c> configuration section that select and configure the backend.</summary>
public sealed class LslOptions
{
    /// <summary>Backend selection (default <see cref="LslBackendKind.Auto"/>).</summary>
    public LslBackendKind Backend { get; set; } = LslBackendKind.Auto;

    /// <summary>liblsl file or directory; null = <c>ACQ_LIBLSL_PATH</c>, then the platform's standard locations.</summary>
    public string? NativeLibraryPath { get; set; }

    /// <summary>
    /// An <c>lsl_api.cfg</c> used by both backends; null = liblsl's standard lookup (<c>LSLAPICFG</c>,
    /// <c>./lsl_api.cfg</c>, <c>~/lsl_api/lsl_api.cfg</c>, <c>/etc/lsl_api/lsl_api.cfg</c>, defaults).
    /// </summary>
    public string? ConfigFile { get; set; }

    /// <summary>
    /// Forces the loopback preset (<see cref="LslConfig.Loopback"/>: machine scope, 127.0.0.1 only, no IPv6) on both
    /// backends, overriding <see cref="ConfigFile"/> and <c>LSLAPICFG</c>. For tests, benchmarks and single-machine setups.
    /// </summary>
    public bool Loopback { get; set; }
}

/// <summary>Creates the configured <see cref="ILslBackend"/>; both backends always see the same <c>lsl_api.cfg</c>.</summary>
public static class LslBackends
{
    /// <summary>
    /// <see cref="LslConfig.Loopback"/> written in liblsl's dialect: what liblsl receives when
    /// <see cref="LslOptions.Loopback"/> is set.
    /// </summary>
    public const string LoopbackConfigContent =
        "[ports]\nIPv6 = disable\n[multicast]\nResolveScope = machine\nListenAddress = 127.0.0.1\n[lab]\nKnownPeers = {127.0.0.1}\n";

    private const string LoaderHint = "; set ACQ_LIBLSL_PATH or Lsl:NativeLibraryPath";
    private static readonly Lock s_fileLock = new();

    /// <summary>
    /// Creates the backend selected by <paramref name="options"/>. The configuration is resolved once: the managed
    /// backend parses it and liblsl is handed the very same file, so discovery scope, ports and session id agree.
    /// </summary>
    /// <param name="options">Selection and configuration.</param>
    /// <param name="log">Receives one line saying which backend was chosen and why, plus skipped config files.</param>
    /// <param name="description">What was created, for logs and session metadata.</param>
    /// <exception cref="InvalidOperationException"><see cref="LslBackendKind.Native"/> was requested and liblsl is unavailable; the message names what was searched.</exception>
    /// <exception cref="LslConfigException">The configuration file is unreadable or invalid (never silently replaced by defaults).</exception>
    /// <exception cref="NotSupportedException">The managed backend was chosen and the configuration forces IPv6.</exception>
    public static ILslBackend Create(LslOptions options, Action<string>? log, out string description)
    {
        ArgumentNullException.ThrowIfNull(options);
        (LslConfig config, string? nativeConfigFile) = ResolveConfiguration(options, log);

        if (options.Backend == LslBackendKind.Managed)
        {
            return CreateManaged(config, "Lsl:Backend=managed", log, out description);
        }

        bool loaded = NativeLslBackend.TryLoad(options.NativeLibraryPath, nativeConfigFile, out NativeLslBackend? native, out string reason);
        if (loaded && native!.LibraryVersion < NativeLslBackend.MinimumLibraryVersion)
        {
            // The loader already refuses older builds; checked again because Auto promises "≥ 1.16 or managed".
            reason = $"liblsl {native.Version} is older than 1.16";
            loaded = false;
        }
        if (loaded)
        {
            description = $"native: {native!.Version} from '{native.LibraryPath}', configuration {native.ConfigurationSource}";
            log?.Invoke($"LSL backend: native ({(options.Backend == LslBackendKind.Auto ? "Lsl:Backend=auto and liblsl loaded" : "Lsl:Backend=native")}): {reason}");
            return native;
        }

        string unavailable = reason.EndsWith(LoaderHint, StringComparison.Ordinal) ? reason[..^LoaderHint.Length] : reason;
        if (options.Backend == LslBackendKind.Native)
        {
            throw new InvalidOperationException($"{unavailable}; use Lsl:Backend=managed or set ACQ_LIBLSL_PATH (or Lsl:NativeLibraryPath)");
        }
        return CreateManaged(config, $"Lsl:Backend=auto and liblsl is unavailable: {unavailable}", log, out description);
    }

    private static ManagedLslBackend CreateManaged(LslConfig config, string why, Action<string>? log, out string description)
    {
        var managed = new ManagedLslBackend(config);
        description = $"managed: {managed.Version}, configuration {config.SourceName}";
        log?.Invoke($"LSL backend: managed ({why}); configuration {config.SourceName}");
        return managed;
    }

    /// <summary>The managed configuration and the file liblsl must be given so that it reads exactly the same settings.</summary>
    private static (LslConfig Config, string? NativeFile) ResolveConfiguration(LslOptions options, Action<string>? log)
    {
        if (options.Loopback)
        {
            return (LslConfig.Loopback(), WriteLoopbackConfigFile());
        }
        if (!string.IsNullOrWhiteSpace(options.ConfigFile))
        {
            string path = Path.GetFullPath(options.ConfigFile);
            string text;
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Fail closed: defaults mean site-wide multicast, which is not what the operator configured.
                throw new LslConfigException(path, 0, null, $"not readable: {ex.Message}");
            }
            return (LslConfig.Parse(text, path), path);
        }
        LslConfig found = LslConfig.Load(log);
        // Hand liblsl the file the managed lookup chose rather than letting it search again: a managed-only
        // LSLAPICFG (Environment.SetEnvironmentVariable) is invisible to liblsl's getenv on Unix.
        string? file = found.SourceName != new LslConfig().SourceName && File.Exists(found.SourceName) ? Path.GetFullPath(found.SourceName) : null;
        return (found, file);
    }

    /// <summary>
    /// Writes <see cref="LoopbackConfigContent"/> to one file per process and returns its path. liblsl accepts only one
    /// configuration per process, so every loopback user in a process (factory, native test fixture) must share it.
    /// </summary>
    internal static string WriteLoopbackConfigFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"acq-lsl-loopback-{Environment.ProcessId}.cfg");
        lock (s_fileLock)
        {
            if (!File.Exists(path) || File.ReadAllText(path) != LoopbackConfigContent)
            {
                File.WriteAllText(path, LoopbackConfigContent);
            }
        }
        return path;
    }
}
