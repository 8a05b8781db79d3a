using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace AcqService.Lsl.Native;

/// <summary>
/// Finds, vets and pins the liblsl shared library for this process, and routes <see cref="Interop.Lsl.LibraryName"/>
/// to it through <see cref="NativeLibrary.SetDllImportResolver"/>. One liblsl per process: liblsl keeps global state
/// (its configuration is read once, lazily) and starts threads, so it is never unloaded once it has been used.
/// </summary>
internal static class LslLibraryLoader
{
    /// <summary>Environment variable naming the liblsl file (or a directory holding it).</summary>
    internal const string PathEnvironmentVariable = "ACQ_LIBLSL_PATH";

    /// <summary>liblsl's own variable for the <c>lsl_api.cfg</c> path.</summary>
    internal const string ConfigEnvironmentVariable = "LSLAPICFG";

    private const string Hint = "set ACQ_LIBLSL_PATH or Lsl:NativeLibraryPath";

    private static readonly Lock s_lock = new();
    private static nint s_handle;
    private static LoadedLibrary? s_loaded;
    private static bool s_resolverInstalled;

    /// <summary>
    /// What was loaded, for logs and session metadata. <c>ConfigContent</c> is the imposed configuration in
    /// <see cref="NormaliseConfig"/> form (null when liblsl searched for its configuration itself).
    /// </summary>
    internal sealed record LoadedLibrary(string Path, int LibraryVersion, int ProtocolVersion, string LibraryInfo, string? ConfigFile, string ConfigSource, string? ConfigContent = null);

    /// <summary>
    /// Loads liblsl once per process. Precedence: <paramref name="explicitPath"/>, else <c>ACQ_LIBLSL_PATH</c>, else the
    /// platform's standard names. A configured path (argument or variable) is exclusive: when it does not work the load
    /// fails instead of silently falling back to some other liblsl on the system.
    /// </summary>
    /// <param name="explicitPath">A liblsl file, or a directory that contains one; null/empty = not configured.</param>
    /// <param name="configFile">An <c>lsl_api.cfg</c> to impose; null = the managed view of <c>LSLAPICFG</c>, and when that is unset too, liblsl's own search.</param>
    /// <param name="loaded">What was loaded (or was already loaded), or null.</param>
    /// <param name="reason">Failure explanation naming every place searched, or a description of the library.</param>
    internal static bool TryLoad(string? explicitPath, string? configFile, out LoadedLibrary? loaded, out string reason)
    {
        lock (s_lock)
        {
            return TryLoadLocked(explicitPath, configFile, out loaded, out reason);
        }
    }

    private static bool TryLoadLocked(string? explicitPath, string? configFile, out LoadedLibrary? loaded, out string reason)
    {
        loaded = null;
        string? requestedConfig = NullIfEmpty(configFile) ?? NullIfEmpty(Environment.GetEnvironmentVariable(ConfigEnvironmentVariable));
        if (requestedConfig is not null)
        {
            requestedConfig = Path.GetFullPath(requestedConfig);
        }

        string? configured = NullIfEmpty(explicitPath);
        string origin = "explicit path";
        if (configured is null)
        {
            configured = NullIfEmpty(Environment.GetEnvironmentVariable(PathEnvironmentVariable));
            origin = PathEnvironmentVariable;
        }

        List<string> candidates = configured is null ? StandardCandidates() : ExpandConfiguredPath(configured);
        var attempts = new List<string>();

        if (s_loaded is not null && (configured is null || candidates.Any(c => PathsEqual(c, s_loaded.Path))))
        {
            // liblsl fixes its configuration at first use; a second configuration can only be accepted when it says
            // the same. Compared by content, not path: a lab's LSLAPICFG and the per-process loopback file are
            // different files with the same settings, and which of them came first depends on test or startup order.
            if (requestedConfig is not null && !ConfigMatchesLoaded(requestedConfig, s_loaded, out string? difference))
            {
                reason = $"liblsl is already initialised in this process with configuration {s_loaded.ConfigSource}; " +
                         $"'{requestedConfig}' cannot be applied any more ({difference})";
                return false;
            }
            loaded = s_loaded;
            reason = Describe(s_loaded);
            return true;
        }

        foreach (string candidate in candidates)
        {
            if (!TryLoadFile(candidate, out nint handle, out string? loadError))
            {
                if (configured is not null)
                {
                    attempts.Add($"'{candidate}' ({origin}: {loadError})");
                }
                continue;
            }
            string path = LoadedPath(handle, candidate);
            if (s_loaded is not null)
            {
                NativeLibrary.Free(handle);
                reason = $"liblsl is already loaded from '{s_loaded.Path}' in this process; cannot switch to '{path}' ({origin})";
                return false;
            }
            if (!TryVet(handle, path, requestedConfig, out LoadedLibrary? vetted, out string? rejection))
            {
                NativeLibrary.Free(handle);
                attempts.Add($"'{path}' (rejected: {rejection})");
                continue;
            }
            if (!TryInstallResolver(out string? resolverError))
            {
                NativeLibrary.Free(handle);
                reason = resolverError!;
                return false;
            }
            s_handle = handle;
            s_loaded = vetted;
            loaded = vetted;
            reason = Describe(vetted!);
            return true;
        }

        if (configured is null)
        {
            // Standard search: name the places rather than every file that did not exist.
            attempts.Insert(0, $"{string.Join(", ", PlatformFileNames().Append("lsl"))} (OS loader search path, incl. '{AppContext.BaseDirectory}')");
            if (!OperatingSystem.IsWindows())
            {
                attempts.Insert(1, $"{(OperatingSystem.IsMacOS() ? "liblsl.*.dylib" : "liblsl.so.*")} in {string.Join(", ", LibraryDirectories().Distinct())}");
            }
        }
        reason = $"liblsl not found: searched {string.Join("; ", attempts)}; {Hint}";
        return false;
    }

    private static string Describe(LoadedLibrary lib) =>
        $"liblsl {lib.LibraryVersion / 100}.{lib.LibraryVersion % 100} (protocol {lib.ProtocolVersion}) loaded from '{lib.Path}'; configuration: {lib.ConfigSource}";

    private static bool TryLoadFile(string candidate, out nint handle, out string? error)
    {
        error = null;
        try
        {
            handle = Path.IsPathRooted(candidate)
                ? NativeLibrary.Load(candidate)
                : NativeLibrary.Load(candidate, typeof(LslLibraryLoader).Assembly, null);
            return true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException)
        {
            handle = 0;
            error = ex.Message.ReplaceLineEndings(" ");
            return false;
        }
    }

    /// <summary>Checks version and exports, then imposes the configuration before anything makes liblsl read its config.</summary>
    private static unsafe bool TryVet(nint handle, string path, string? configFile, out LoadedLibrary? vetted, out string? rejection)
    {
        vetted = null;
        if (!NativeLibrary.TryGetExport(handle, "lsl_library_version", out nint versionFn))
        {
            rejection = "no lsl_library_version export; not a liblsl build";
            return false;
        }
        // Through function pointers rather than the P/Invokes: the resolver must not hand out this handle before
        // it has passed every check.
        int libraryVersion = ((delegate* unmanaged[Cdecl]<int>)versionFn)();
        if (libraryVersion < Interop.Lsl.MinimumLibraryVersion)
        {
            rejection = $"version {libraryVersion / 100}.{libraryVersion % 100} is older than the required " +
                        $"{Interop.Lsl.MinimumLibraryVersion / 100}.{Interop.Lsl.MinimumLibraryVersion % 100}";
            return false;
        }
        string[] missing = Interop.Lsl.RequiredExports.Where(name => !NativeLibrary.TryGetExport(handle, name, out _)).ToArray();
        if (missing.Length > 0)
        {
            rejection = $"missing exports {string.Join(", ", missing)}";
            return false;
        }

        string configSource;
        string? configContent = null;
        if (configFile is not null)
        {
            if (!TryApplyConfig(handle, configFile, out configSource, out configContent, out string? configError))
            {
                rejection = configError;
                return false;
            }
        }
        else
        {
            configSource = "liblsl's own search (native LSLAPICFG, ./lsl_api.cfg, ~/lsl_api/lsl_api.cfg, /etc/lsl_api/lsl_api.cfg, built-in defaults)";
        }

        // lsl_protocol_version reads the configuration (tuning.UseProtocolVersion), so it also pins it from here on.
        int protocolVersion = ((delegate* unmanaged[Cdecl]<int>)NativeLibrary.GetExport(handle, "lsl_protocol_version"))();
        if (protocolVersion < Interop.Lsl.MinimumProtocolVersion)
        {
            rejection = $"protocol version {protocolVersion} is below {Interop.Lsl.MinimumProtocolVersion} (check tuning.UseProtocolVersion in {configSource})";
            return false;
        }
        nint infoPtr = ((delegate* unmanaged[Cdecl]<nint>)NativeLibrary.GetExport(handle, "lsl_library_info"))();
        vetted = new LoadedLibrary(path, libraryVersion, protocolVersion, Interop.Lsl.PtrToString(infoPtr), configFile, configSource, configContent);
        rejection = null;
        return true;
    }

    /// <summary>
    /// Imposes <paramref name="configFile"/>. Preferred: <c>lsl_set_config_content</c> (liblsl ≥ 1.17.7), which outranks
    /// every other source. Fallback: <c>lsl_set_config_filename</c>. Setting <c>LSLAPICFG</c> from managed code is not
    /// enough on Unix, because <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach the
    /// native <c>getenv</c> that liblsl uses, so the file is always forwarded explicitly.
    /// </summary>
    private static unsafe bool TryApplyConfig(nint handle, string configFile, out string source, out string? normalised, out string? error)
    {
        source = configFile;
        normalised = null;
        string content;
        try
        {
            content = File.ReadAllText(configFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Fail closed: falling through to liblsl's defaults would mean site-wide multicast instead of the
            // network scope the operator asked for.
            error = $"LSL configuration '{configFile}' is not readable: {ex.Message}";
            return false;
        }
        normalised = NormaliseConfig(content, configFile);
        byte[] bytes = Encoding.UTF8.GetBytes(content + "\0");
        byte[] pathBytes = Encoding.UTF8.GetBytes(configFile + "\0");
        fixed (byte* p = bytes)
        fixed (byte* f = pathBytes)
        {
            if (NativeLibrary.TryGetExport(handle, "lsl_set_config_content", out nint setContent))
            {
                ((delegate* unmanaged[Cdecl]<byte*, void>)setContent)(p);
                source = $"'{configFile}' (applied with lsl_set_config_content)";
            }
            else
            {
                ((delegate* unmanaged[Cdecl]<byte*, void>)NativeLibrary.GetExport(handle, "lsl_set_config_filename"))(f);
                source = $"'{configFile}' (applied with lsl_set_config_filename)";
            }
        }
        error = null;
        return true;
    }

    private static bool TryInstallResolver(out string? error)
    {
        error = null;
        if (s_resolverInstalled)
        {
            return true;
        }
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(LslLibraryLoader).Assembly, Resolve);
            s_resolverInstalled = true;
            return true;
        }
        catch (InvalidOperationException ex)
        {
            error = $"cannot route liblsl imports: another DllImportResolver is registered for {typeof(LslLibraryLoader).Assembly.GetName().Name} ({ex.Message})";
            return false;
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == Interop.Lsl.LibraryName ? Volatile.Read(ref s_handle) : 0;

    private static List<string> ExpandConfiguredPath(string configured)
    {
        if (!Directory.Exists(configured))
        {
            return [Path.GetFullPath(configured)];
        }
        var list = new List<string>();
        foreach (string name in PlatformFileNames())
        {
            list.Add(Path.GetFullPath(Path.Combine(configured, name)));
        }
        list.AddRange(VersionedFiles([configured]));
        return list.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Bare names first (the OS loader searches the app directory and its standard paths), then versioned files found in common library directories.</summary>
    private static List<string> StandardCandidates()
    {
        var list = new List<string>(PlatformFileNames()) { "lsl" };
        list.AddRange(VersionedFiles(LibraryDirectories()));
        return list.Distinct(StringComparer.Ordinal).ToList();
    }

    private static string[] PlatformFileNames()
    {
        if (OperatingSystem.IsWindows())
        {
            return Environment.Is64BitProcess ? ["lsl.dll", "liblsl64.dll"] : ["lsl.dll", "liblsl32.dll"];
        }
        if (OperatingSystem.IsMacOS())
        {
            return ["liblsl.dylib", "liblsl.2.dylib"];
        }
        // Distribution packages may ship only the soname (liblsl.so.2), without the dev symlink.
        return ["liblsl.so.2", "liblsl.so"];
    }

    /// <summary><c>liblsl.so.1.17.7</c>-style files (and the macOS equivalent), newest version first.</summary>
    private static IEnumerable<string> VersionedFiles(IEnumerable<string> directories)
    {
        if (OperatingSystem.IsWindows())
        {
            return [];
        }
        string pattern = OperatingSystem.IsMacOS() ? "liblsl.*.dylib" : "liblsl.so.*";
        var found = new List<(Version Version, string Path)>();
        foreach (string dir in directories)
        {
            string[] files;
            try
            {
                files = Directory.Exists(dir) ? Directory.GetFiles(dir, pattern) : [];
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (string file in files)
            {
                string name = Path.GetFileName(file);
                string prefix = OperatingSystem.IsMacOS() ? "liblsl." : "liblsl.so.";
                // .NET's wildcard matching lets "liblsl.so.*" match "liblsl.so" itself.
                if (name.Length <= prefix.Length + (OperatingSystem.IsMacOS() ? ".dylib".Length : 0))
                {
                    continue;
                }
                string versionText = OperatingSystem.IsMacOS() ? name["liblsl.".Length..^".dylib".Length] : name["liblsl.so.".Length..];
                if (Version.TryParse(versionText.Contains('.') ? versionText : versionText + ".0", out Version? version))
                {
                    found.Add((version, Path.GetFullPath(file)));
                }
            }
        }
        return found.OrderByDescending(f => f.Version).Select(f => f.Path);
    }

    private static IEnumerable<string> LibraryDirectories()
    {
        var dirs = new List<string> { AppContext.BaseDirectory };
        string? ldPath = Environment.GetEnvironmentVariable(OperatingSystem.IsMacOS() ? "DYLD_LIBRARY_PATH" : "LD_LIBRARY_PATH");
        if (!string.IsNullOrEmpty(ldPath))
        {
            dirs.AddRange(ldPath.Split(':', StringSplitOptions.RemoveEmptyEntries));
        }
        if (OperatingSystem.IsMacOS())
        {
            dirs.AddRange(["/usr/local/lib", "/opt/homebrew/lib"]);
        }
        else
        {
            string multiarch = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => "x86_64-linux-gnu",
                Architecture.Arm64 => "aarch64-linux-gnu",
                Architecture.Arm => "arm-linux-gnueabihf",
                _ => "",
            };
            dirs.AddRange(["/usr/local/lib", "/usr/local/lib64", "/usr/lib", "/usr/lib64"]);
            if (multiarch.Length > 0)
            {
                dirs.Add("/usr/lib/" + multiarch);
            }
        }
        return dirs;
    }

    /// <summary>A bare name tells us nothing about which file the OS picked; report the symbol's containing file when possible.</summary>
    private static string LoadedPath(nint handle, string candidate)
    {
        if (Path.IsPathRooted(candidate))
        {
            return candidate;
        }
        return TryGetModulePath(handle) ?? candidate;
    }

    /// <summary>Linux: the file in /proc/self/maps whose mapping contains an exported symbol. Elsewhere: unknown.</summary>
    private static string? TryGetModulePath(nint handle)
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryGetExport(handle, "lsl_library_version", out nint symbol))
        {
            return null;
        }
        try
        {
            ulong address = (ulong)symbol;
            foreach (string line in File.ReadLines("/proc/self/maps"))
            {
                // "start-end perms offset dev inode   path"
                int dash = line.IndexOf('-');
                int space = line.IndexOf(' ');
                int slash = line.IndexOf('/');
                if (dash < 0 || space < dash || slash < 0)
                {
                    continue;
                }
                ulong start = Convert.ToUInt64(line[..dash], 16);
                ulong end = Convert.ToUInt64(line[(dash + 1)..space], 16);
                if (address >= start && address < end)
                {
                    return line[slash..].Trim();
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            // Only cosmetic: the caller falls back to the name it asked the loader for.
        }
        return null;
    }

    /// <summary>
    /// True when <paramref name="requestedConfig"/> says what the configuration already in effect says. A liblsl that
    /// searched for its configuration itself matches nothing: what it found is unknown.
    /// </summary>
    private static bool ConfigMatchesLoaded(string requestedConfig, LoadedLibrary loaded, out string? difference)
    {
        if (loaded.ConfigContent is null)
        {
            difference = "liblsl chose its configuration itself, so no file can be shown to match it";
            return false;
        }
        string content;
        try
        {
            content = File.ReadAllText(requestedConfig);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The very file that was applied (since removed or locked) still describes what is in effect.
            difference = $"it is not readable: {ex.Message}";
            return PathsEqual(requestedConfig, loaded.ConfigFile);
        }
        if (NormaliseConfig(content, requestedConfig) == loaded.ConfigContent)
        {
            difference = null;
            return true;
        }
        difference = "its settings differ";
        return false;
    }

    /// <summary>
    /// The effective settings of an <c>lsl_api.cfg</c> text as liblsl reads them: one <c>section.key=value</c> line per
    /// setting, sorted, with set values (<c>{a, b}</c>) spaced uniformly. Comments, blank lines, key order and spacing
    /// around <c>=</c> do not change it. A text liblsl's dialect rejects is kept verbatim (it then matches only itself).
    /// </summary>
    internal static string NormaliseConfig(string content, string sourceName)
    {
        Dictionary<string, (string Value, int Line)> values;
        try
        {
            values = Config.IniFile.Parse(content, sourceName);
        }
        catch (Config.LslConfigException)
        {
            return "unparsed:" + content;
        }
        var sb = new StringBuilder();
        foreach (string key in values.Keys.Order(StringComparer.Ordinal))
        {
            string value = values[key].Value;
            if (value.StartsWith('{') && value.EndsWith('}'))
            {
                value = "{" + string.Join(", ", value[1..^1].Split(',', StringSplitOptions.TrimEntries)) + "}";
            }
            sb.Append(key).Append('=').Append(value).Append('\n');
        }
        return sb.ToString();
    }

    private static bool PathsEqual(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }
        return string.Equals(RealPath(a), RealPath(b), OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase);
    }

    private static string RealPath(string path)
    {
        try
        {
            string full = Path.GetFullPath(path);
            return File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return path;
        }
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
