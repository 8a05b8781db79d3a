using AcqService.Core.Model;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace AcqService.Lsl.Native;

/// <summary>
/// The optional <see cref="ILslBackend"/> on top of the native liblsl (≥ 1.16) C API. Create it with
/// <see cref="TryLoad(string?, out NativeLslBackend?, out string)"/>, which never throws when liblsl is absent or
/// unusable but explains why. See <c>Native/README.md</c> for discovery and installation.
/// </summary>
/// <remarks>
/// Outlets, inlets and continuous resolvers own their native objects and stay valid after this backend is disposed.
/// The library itself is never unloaded.
/// </remarks>
public sealed partial class NativeLslBackend : ILslBackend
{
    /// <summary>Environment variable naming the liblsl file (or its directory); used when no explicit path is given.</summary>
    public const string LibraryPathEnvironmentVariable = LslLibraryLoader.PathEnvironmentVariable;

    /// <summary>liblsl's variable for the <c>lsl_api.cfg</c> path; its managed value is forwarded to liblsl (see <see cref="ConfigurationSource"/>).</summary>
    public const string ConfigEnvironmentVariable = LslLibraryLoader.ConfigEnvironmentVariable;

    /// <summary>Oldest accepted <c>lsl_library_version()</c> (major × 100 + minor).</summary>
    public const int MinimumLibraryVersion = Interop.Lsl.MinimumLibraryVersion;

    private const uint ResolveCapacity = 1024;

    private readonly LslLibraryLoader.LoadedLibrary _library;
    private volatile bool _disposed;

    private NativeLslBackend(LslLibraryLoader.LoadedLibrary library)
    {
        _library = library;
        Version = FormatVersion(library.LibraryVersion, library.LibraryInfo);
    }

    /// <summary>
    /// Loads liblsl (explicit path, else <c>ACQ_LIBLSL_PATH</c>, else standard names) and imposes the configuration
    /// named by <c>LSLAPICFG</c> if set. Never throws for a missing or unusable library.
    /// </summary>
    /// <param name="explicitPath">A liblsl file or its directory (e.g. the <c>Lsl:NativeLibraryPath</c> setting); null/empty = not configured.</param>
    /// <param name="backend">The backend, or null.</param>
    /// <param name="reason">On failure a human-readable explanation naming every place searched; on success what was loaded.</param>
    public static bool TryLoad(string? explicitPath, [NotNullWhen(true)] out NativeLslBackend? backend, out string reason) =>
        TryLoad(explicitPath, configFile: null, out backend, out reason);

    /// <summary>
    /// As <see cref="TryLoad(string?, out NativeLslBackend?, out string)"/>, imposing <paramref name="configFile"/> as
    /// liblsl's configuration (it outranks <c>LSLAPICFG</c>). liblsl reads its configuration once per process, so after
    /// the first successful load a different file is refused.
    /// </summary>
    /// <param name="explicitPath">A liblsl file or its directory; null/empty = not configured.</param>
    /// <param name="configFile">An <c>lsl_api.cfg</c>; null = <c>LSLAPICFG</c>, then liblsl's own search.</param>
    /// <param name="backend">The backend, or null.</param>
    /// <param name="reason">On failure a human-readable explanation; on success what was loaded.</param>
    public static bool TryLoad(string? explicitPath, string? configFile, [NotNullWhen(true)] out NativeLslBackend? backend, out string reason)
    {
        backend = null;
        try
        {
            if (!LslLibraryLoader.TryLoad(explicitPath, configFile, out LslLibraryLoader.LoadedLibrary? library, out reason))
            {
                return false;
            }
            backend = new NativeLslBackend(library!);
            return true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or IOException)
        {
            // Belt and braces: discovery must report, not throw.
            reason = $"liblsl could not be loaded: {ex.Message}";
            return false;
        }
    }

    /// <inheritdoc />
    public string Name => "native";

    /// <inheritdoc />
    /// <remarks>E.g. <c>liblsl 1.17.7</c>; the patch level comes from <c>lsl_library_info()</c> when it carries a git tag.</remarks>
    public string Version { get; }

    /// <summary>The file liblsl was loaded from (a bare name when the OS loader found it and the path could not be determined).</summary>
    public string LibraryPath => _library.Path;

    /// <summary><c>lsl_library_version()</c>: major × 100 + minor, e.g. 117.</summary>
    public int LibraryVersion => _library.LibraryVersion;

    /// <summary><c>lsl_protocol_version()</c> in effect (110 unless the configuration lowers it).</summary>
    public int ProtocolVersion => _library.ProtocolVersion;

    /// <summary><c>lsl_library_info()</c>: build details (git revision, build type, compiler).</summary>
    public string LibraryInfo => _library.LibraryInfo;

    /// <summary>Which <c>lsl_api.cfg</c> liblsl uses in this process and how it was imposed.</summary>
    public string ConfigurationSource => _library.ConfigSource;

    /// <summary>The configuration file imposed by this binding, or null when liblsl searched on its own.</summary>
    public string? ConfigurationFile => _library.ConfigFile;

    /// <inheritdoc />
    public double LocalClock()
    {
        ThrowIfDisposed();
        return Interop.Lsl.lsl_local_clock();
    }

    /// <inheritdoc />
    /// <remarks>
    /// A null/empty predicate uses <c>lsl_resolve_all</c> when <paramref name="minimum"/> is 0, and otherwise
    /// <c>lsl_resolve_bypred("true()")</c> (liblsl's resolve_all has no minimum). The native call cannot be interrupted.
    /// With a cancellable token it runs on a worker thread and cancellation returns at once while the native call
    /// finishes (and cleans up) within its timeout. Results are de-duplicated by uid.
    /// </remarks>
    public IReadOnlyList<LslStreamInfo> Resolve(string? predicate, int minimum, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(minimum);
        double seconds = LslErrors.ToSeconds(timeout);
        cancellationToken.ThrowIfCancellationRequested();
        if (!cancellationToken.CanBeCanceled)
        {
            return ResolveNative(predicate, minimum, seconds);
        }
        Task<IReadOnlyList<LslStreamInfo>> task = Task.Factory.StartNew(
            () => ResolveNative(predicate, minimum, seconds), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            task.Wait(cancellationToken);
        }
        catch (AggregateException)
        {
            // Rethrown unwrapped below.
        }
        return task.GetAwaiter().GetResult();
    }

    /// <inheritdoc />
    public ILslContinuousResolver CreateContinuousResolver(string? predicate, TimeSpan forgetAfter)
    {
        ThrowIfDisposed();
        double seconds = LslErrors.ToSeconds(forgetAfter, nameof(forgetAfter));
        LslContinuousResolverHandle handle = string.IsNullOrWhiteSpace(predicate)
            ? Interop.Lsl.lsl_create_continuous_resolver(seconds)
            : Interop.Lsl.lsl_create_continuous_resolver_bypred(predicate, seconds);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            // liblsl only logs the reason (typically an invalid XPath predicate).
            throw new ArgumentException($"liblsl could not create a continuous resolver for predicate '{predicate}' (invalid XPath?)", nameof(predicate));
        }
        return new NativeLslContinuousResolver(handle);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The native info is built with <c>lsl_create_streaminfo</c> and the <c>desc</c> tree is copied element by
    /// element through liblsl's XML API. Text-only elements become child values; attributes and mixed content are not
    /// representable there and are dropped (LSL metadata conventions use neither). liblsl itself fills uid,
    /// session_id (from its configuration), hostname, ports and created_at.
    /// </remarks>
    public ILslOutlet CreateOutlet(LslStreamInfo info, int chunkSize = 0, int maxBufferedSeconds = 360)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(info);
        ArgumentOutOfRangeException.ThrowIfNegative(chunkSize);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBufferedSeconds);
        if (string.IsNullOrEmpty(info.Name))
        {
            throw new ArgumentException("stream name must not be empty", nameof(info));
        }
        if (info.ChannelCount < 1)
        {
            throw new ArgumentException($"channel count must be at least 1 (is {info.ChannelCount})", nameof(info));
        }
        if (info.ChannelFormat is ChannelFormat.Undefined || !Enum.IsDefined(info.ChannelFormat))
        {
            throw new ArgumentException($"channel format {info.ChannelFormat} cannot be sent", nameof(info));
        }
        if (info.NominalSrate < 0 || !double.IsFinite(info.NominalSrate))
        {
            throw new ArgumentException($"nominal rate must be finite and ≥ 0 (is {info.NominalSrate})", nameof(info));
        }

        // Never NULL for type/source_id: liblsl would construct std::string from a null pointer.
        using LslStreamInfoHandle native = Interop.Lsl.lsl_create_streaminfo(
            info.Name, info.Type ?? "", info.ChannelCount, info.NominalSrate, info.ChannelFormat, info.SourceId ?? "");
        if (native.IsInvalid)
        {
            throw new InvalidOperationException($"lsl_create_streaminfo failed for '{info.Name}': {Interop.Lsl.LastError()}");
        }
        CopyDesc(info.Desc, Interop.Lsl.lsl_get_desc(native)); // `using` keeps the info (and so the borrowed pointer) alive

        LslOutletHandle outlet = Interop.Lsl.lsl_create_outlet(native, chunkSize, maxBufferedSeconds);
        if (outlet.IsInvalid)
        {
            outlet.Dispose();
            throw new InvalidOperationException($"lsl_create_outlet failed for '{info.Name}': {Interop.Lsl.LastError()}");
        }
        try
        {
            return new NativeLslOutlet(outlet, info.ChannelCount, info.ChannelFormat);
        }
        catch
        {
            outlet.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// An info returned by this backend's <see cref="Resolve"/> or a native continuous resolver is used as liblsl
    /// resolved it, including the address it answered from. Any other info (a clone, or one from the managed backend)
    /// travels as XML (<c>lsl_streaminfo_from_xml</c>) and must carry a uid. If it also lacks an address, liblsl
    /// treats it as unresolved: it forces recovery on and finds the stream again by name, type and source_id. The uid
    /// is then replaced by a placeholder, because liblsl's recovery never leaves a dummy endpoint while the uid it is
    /// looking for still matches. With <paramref name="recover"/> and a non-empty source_id, liblsl re-resolves when
    /// the outlet is replaced.
    /// </remarks>
    public ILslInlet CreateInlet(LslStreamInfo info, int maxBufferedSeconds = 360, int maxChunkLength = 0, bool recover = true)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(info);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBufferedSeconds);
        ArgumentOutOfRangeException.ThrowIfNegative(maxChunkLength);

        LslStreamInfoHandle? resolved = ResolvedStreamInfos.Find(info);
        if (resolved is not null)
        {
            return CreateNativeInlet(resolved, info, maxBufferedSeconds, maxChunkLength, recover);
        }

        if (string.IsNullOrEmpty(info.Uid))
        {
            throw new ArgumentException("the stream info has no uid; pass a stream returned by Resolve", nameof(info));
        }
        LslStreamInfo wire = info;
        bool hasAddress = (info.V4Address.Length > 0 && info.V4DataPort > 0 && info.V4ServicePort > 0)
                          || (info.V6Address.Length > 0 && info.V6DataPort > 0 && info.V6ServicePort > 0);
        if (!hasAddress)
        {
            wire = info.Clone();
            wire.Uid = Guid.NewGuid().ToString();
        }
        using LslStreamInfoHandle native = Interop.Lsl.lsl_streaminfo_from_xml(wire.ToXml(includeDesc: false));
        if (native.IsInvalid)
        {
            throw new InvalidOperationException($"lsl_streaminfo_from_xml failed for '{info.Name}': {Interop.Lsl.LastError()}");
        }
        // liblsl does not fail on bad XML; it returns an info named "(invalid: <reason>)".
        string nativeName = Interop.Lsl.PtrToString(Interop.Lsl.lsl_get_name(native));
        if (nativeName.StartsWith("(invalid", StringComparison.Ordinal))
        {
            throw new ArgumentException($"liblsl rejected the stream info of '{info.Name}': {nativeName}", nameof(info));
        }
        return CreateNativeInlet(native, info, maxBufferedSeconds, maxChunkLength, recover);
    }

    private static NativeLslInlet CreateNativeInlet(LslStreamInfoHandle native, LslStreamInfo info, int maxBufferedSeconds, int maxChunkLength, bool recover)
    {
        int channels = Interop.Lsl.lsl_get_channel_count(native);
        ChannelFormat format = Interop.Lsl.lsl_get_channel_format(native);
        // lsl_create_inlet copies the info, so the caller keeps ownership of `native`.
        LslInletHandle inlet = Interop.Lsl.lsl_create_inlet(native, maxBufferedSeconds, maxChunkLength, recover ? 1 : 0);
        if (inlet.IsInvalid)
        {
            inlet.Dispose();
            throw new InvalidOperationException($"lsl_create_inlet failed for '{info.Name}': {Interop.Lsl.LastError()}");
        }
        return new NativeLslInlet(inlet, info.Clone(), channels, format);
    }

    /// <summary>Marks the backend unusable for new work; objects it created keep working until disposed.</summary>
    public void Dispose() => _disposed = true;

    private unsafe IReadOnlyList<LslStreamInfo> ResolveNative(string? predicate, int minimum, double seconds)
    {
        var buffer = new nint[ResolveCapacity];
        int count;
        fixed (nint* p = buffer)
        {
            if (string.IsNullOrWhiteSpace(predicate))
            {
                count = minimum == 0
                    ? Interop.Lsl.lsl_resolve_all(p, ResolveCapacity, seconds)
                    : Interop.Lsl.lsl_resolve_bypred(p, ResolveCapacity, "true()", minimum, seconds);
            }
            else
            {
                count = Interop.Lsl.lsl_resolve_bypred(p, ResolveCapacity, predicate, minimum, seconds);
            }
        }
        if (count < 0)
        {
            // Typically an XPath syntax error in the predicate.
            throw count == Interop.Lsl.ArgumentError || count == Interop.Lsl.InternalError
                ? new ArgumentException($"liblsl rejected the resolve predicate '{predicate}': {Interop.Lsl.LastError()}", nameof(predicate))
                : LslErrors.ToException(count, "lsl_resolve");
        }
        return ResolvedStreamInfos.Take(buffer.AsSpan(0, count));
    }

    /// <summary>Recursively mirrors <paramref name="source"/>'s child elements under <paramref name="target"/>.</summary>
    private static void CopyDesc(XElement source, LslXmlPtr target)
    {
        if (target.IsNull)
        {
            throw new InvalidOperationException("liblsl returned an empty XML element while copying the desc tree");
        }
        foreach (XElement child in source.Elements())
        {
            string name = child.Name.LocalName;
            if (child.HasElements)
            {
                CopyDesc(child, Interop.Lsl.lsl_append_child(target, name));
            }
            else
            {
                Interop.Lsl.lsl_append_child_value(target, name, child.Value);
            }
        }
    }

    private static string FormatVersion(int libraryVersion, string libraryInfo)
    {
        int major = libraryVersion / 100, minor = libraryVersion % 100;
        Match m = VersionInInfo().Match(libraryInfo);
        if (m.Success
            && int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) == major
            && int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) == minor)
        {
            return $"liblsl {major}.{minor}.{m.Groups[3].Value}";
        }
        return $"liblsl {major}.{minor}";
    }

    [GeneratedRegex(@"v(\d+)\.(\d+)\.(\d+)")]
    private static partial Regex VersionInInfo();

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
