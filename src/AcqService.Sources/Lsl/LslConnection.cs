using System.Globalization;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Profiles;
using AcqService.Lsl;
using Microsoft.Extensions.Logging;

namespace AcqService.Sources.Lsl;

/// <summary>
/// The part the LSL signal and marker sources share: resolve the profile's predicate, open the inlet, check the
/// stream against the profile, build the descriptor, and the pull thread with clock offsets and loss handling.
/// The descriptor is built from the resolved stream, which is why sources are connected before the session
/// registers their streams.
/// </summary>
internal sealed partial class LslConnection : IDisposable
{
    /// <summary>Default seconds to wait for a stream when the profile does not say.</summary>
    public const double DefaultResolveTimeoutSeconds = 10;

    /// <summary>
    /// Seconds of listening for further matching streams after the first one answered (capped by the resolve
    /// timeout). Discovery answers on one network arrive within a few hundred milliseconds.
    /// </summary>
    public const double CandidateWindowSeconds = 1.0;

    /// <summary>How long one pull waits for data; bounds how late a stop is noticed.</summary>
    public static readonly TimeSpan PullTimeout = TimeSpan.FromMilliseconds(200);

    /// <summary>Seconds between clock-offset reports (LSL measures every 2 s; the brief asks for ≤ 5 s).</summary>
    public const double OffsetIntervalSeconds = 2.5;

    /// <summary>Reason written into gaps caused by a lost connection.</summary>
    public const string RecoveredReason = "LSL stream lost and recovered";

    private static readonly TimeSpan s_fullInfoTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_openTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_firstOffsetTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_laterOffsetTimeout = TimeSpan.FromMilliseconds(100);

    private readonly ILslBackend _backend;
    private double _nextOffsetAt;
    private bool _haveOffset;
    private double _offset;

    private LslConnection(ILslBackend backend, StreamProfile profile, ILslInlet inlet, LslStreamInfo info, StreamDescriptor descriptor, string selection, ILogger logger)
    {
        Selection = selection;
        _backend = backend;
        Profile = profile;
        Inlet = inlet;
        Info = info;
        Descriptor = descriptor;
        Logger = logger;
    }

    public StreamProfile Profile { get; }

    public ILslInlet Inlet { get; }

    /// <summary>Full info of the stream (with desc when the outlet served it).</summary>
    public LslStreamInfo Info { get; }

    public StreamDescriptor Descriptor { get; }

    public ILogger Logger { get; }

    /// <summary>How the stream was chosen among those matching (see <see cref="LslStreamChoice"/>).</summary>
    public string Selection { get; }

    /// <summary>Latest clock offset (local − remote), 0 until measured.</summary>
    public double Offset => _offset;

    /// <summary>
    /// Resolves the profile's stream, opens an inlet and checks it. Blocking calls run on a worker with finite
    /// timeouts, so several sources can connect in parallel.
    /// </summary>
    /// <exception cref="LslSourceException">Not found, ambiguous, or not matching the profile (onMismatch = error).</exception>
    public static Task<LslConnection> ConnectAsync(StreamProfile profile, ILslBackend backend, ILogger logger, CancellationToken cancellationToken) =>
        Task.Run(() => ConnectCoreAsync(profile, backend, logger, cancellationToken), cancellationToken);

    private static async Task<LslConnection> ConnectCoreAsync(StreamProfile profile, ILslBackend backend, ILogger logger, CancellationToken cancellationToken)
    {
        if (profile.Source.Driver != Drivers.LslDriver.Name || string.IsNullOrWhiteSpace(profile.Source.Predicate))
        {
            throw new ArgumentException($"stream '{profile.Key}' is not an LSL stream with a predicate", nameof(profile));
        }
        string predicate = LslStreamChoice.Query(profile.Source);
        double seconds = profile.Source.ResolveTimeoutSeconds is > 0 and double s ? s : DefaultResolveTimeoutSeconds;
        IReadOnlyList<LslStreamInfo> first = backend.Resolve(predicate, 1, TimeSpan.FromSeconds(seconds), cancellationToken);
        if (first.Count == 0)
        {
            throw new LslSourceException(NotFoundMessage(profile, predicate, seconds, backend, cancellationToken));
        }
        // A resolve that returns at the first answer shows only the fastest outlet; a second, full listening window
        // collects every stream that matches, so a second amplifier or simulator is seen and not silently ignored.
        var candidates = new Dictionary<string, LslStreamInfo>(StringComparer.Ordinal);
        foreach (LslStreamInfo info in first.Concat(backend.Resolve(predicate, 0, TimeSpan.FromSeconds(Math.Min(seconds, CandidateWindowSeconds)), cancellationToken)))
        {
            candidates.TryAdd(info.Uid.Length > 0 ? info.Uid : info.SourceId + "@" + info.Hostname, info);
        }
        (LslStreamInfo shortInfo, string selection) = LslStreamChoice.Choose(profile, predicate, [.. candidates.Values]);
        ILslInlet inlet = backend.CreateInlet(shortInfo, maxBufferedSeconds: 360, maxChunkLength: 0, recover: true);
        try
        {
            LslStreamInfo info;
            try
            {
                info = await inlet.GetFullInfoAsync(s_fullInfoTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException ex)
            {
                // Without desc only the labels are missing; the profile's channels still apply.
                LogNoFullInfo(logger, profile.Key, ex.Message);
                info = shortInfo;
            }
            StreamDescriptor descriptor = LslProfileCheck.Describe(profile, info, logger);
            await inlet.OpenAsync(s_openTimeout, cancellationToken).ConfigureAwait(false);
            LogChosen(logger, profile.Key, info.Name, info.SourceId, info.Hostname, selection, predicate);
            return new LslConnection(backend, profile, inlet, info, descriptor, selection, logger);
        }
        catch (LslStreamLostException ex)
        {
            inlet.Dispose();
            throw new LslSourceException($"stream '{profile.Key}' ({LslDiscoveryHelp.Describe(shortInfo)}) was lost while connecting: {ex.Message}", ex);
        }
        catch (TimeoutException ex)
        {
            inlet.Dispose();
            throw new LslSourceException($"stream '{profile.Key}' ({LslDiscoveryHelp.Describe(shortInfo)}) was found but its data connection did not open: {ex.Message}. "
                + "A firewall that allows discovery (UDP) but blocks TCP 16572-16603 does exactly this.", ex);
        }
        catch
        {
            inlet.Dispose();
            throw;
        }
    }

    private static string NotFoundMessage(StreamProfile profile, string predicate, double seconds, ILslBackend backend, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // What is visible at all tells the user whether discovery works and only the predicate is wrong.
        IReadOnlyList<LslStreamInfo> visible;
        try
        {
            visible = backend.Resolve(null, 0, TimeSpan.FromSeconds(1.5), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            visible = [];
        }
        string seen = visible.Count == 0
            ? "No LSL stream at all is visible from here."
            : $"Visible streams ({visible.Count}), none of which match:\n" + string.Join("\n", visible.Take(20).Select(v => "  " + LslDiscoveryHelp.Describe(v)));
        return string.Create(CultureInfo.InvariantCulture,
            $"stream '{profile.Key}': no LSL stream matching the predicate \"{predicate}\" was found within {seconds:0.#} s (source.resolveTimeoutSeconds).\n{seen}\n")
            + LslDiscoveryHelp.Explain(backend);
    }

    /// <summary>
    /// Runs <paramref name="pullOnce"/> until cancelled, reporting clock offsets first and then every
    /// <see cref="OffsetIntervalSeconds"/>. Asynchronous end to end: waiting for data, for the clock offset and for a
    /// full edge holds no thread. A lost stream becomes a gap and a <see cref="LslSourceException"/>.
    /// </summary>
    /// <param name="output">Edge to write to.</param>
    /// <param name="pullOnce">Pulls once with <see cref="PullTimeout"/> and writes what it got.</param>
    /// <param name="lastTimestamp">Raw timestamp of the last item written (for the final gap).</param>
    /// <param name="cancellationToken">Graceful stop.</param>
    public Task RunAsync(Edge<SourceItem> output, Func<CancellationToken, ValueTask> pullOnce, Func<double> lastTimestamp, CancellationToken cancellationToken) =>
        Task.Run(() => PumpAsync(output, pullOnce, lastTimestamp, cancellationToken), CancellationToken.None);

    private async Task PumpAsync(Edge<SourceItem> output, Func<CancellationToken, ValueTask> pullOnce, Func<double> lastTimestamp, CancellationToken cancellationToken)
    {
        try
        {
            await ReportOffsetAsync(output, first: true, cancellationToken).ConfigureAwait(false);
            while (!cancellationToken.IsCancellationRequested)
            {
                if (_backend.LocalClock() >= _nextOffsetAt)
                {
                    await ReportOffsetAsync(output, first: false, cancellationToken).ConfigureAwait(false);
                }
                await pullOnce(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Graceful stop while waiting for data or on a full edge.
        }
        catch (LslStreamLostException ex)
        {
            double last = lastTimestamp();
            await WriteAsync(output, SourceItem.ForGap(new StreamGap(Descriptor.Index, last, double.NaN, 0, "LSL stream lost: " + ex.Message)), cancellationToken).ConfigureAwait(false);
            throw new LslSourceException($"LSL stream '{Info.Name}' (source_id '{Info.SourceId}') is lost and cannot be recovered: {ex.Message}", ex);
        }
        finally
        {
            Inlet.Dispose();
        }
    }

    private async ValueTask ReportOffsetAsync(Edge<SourceItem> output, bool first, CancellationToken cancellationToken)
    {
        double now = _backend.LocalClock();
        try
        {
            _offset = await Inlet.TimeCorrectionAsync(first ? s_firstOffsetTimeout : s_laterOffsetTimeout, cancellationToken).ConfigureAwait(false);
            _haveOffset = true;
            _nextOffsetAt = now + OffsetIntervalSeconds;
            // CollectionTime is in the stream's clock, as in XDF.
            await WriteAsync(output, SourceItem.ForOffset(new ClockOffset(Descriptor.Index, _backend.LocalClock() - _offset, _offset)), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // After a recovery the estimate is re-measured; keep the last one and try again soon.
            _nextOffsetAt = now + 0.5;
            if (first || !_haveOffset)
            {
                LogNoOffset(Logger, Descriptor.Key);
            }
        }
    }

    /// <summary>Writes one item; waits only on back-pressure, which the stop token ends.</summary>
    public static ValueTask WriteAsync(Edge<SourceItem> output, SourceItem item, CancellationToken cancellationToken) =>
        output.WriteAsync(item, cancellationToken);

    /// <summary>Writes a chunk, giving back its reference if it could not be written.</summary>
    public static async ValueTask WriteAsync(Edge<SourceItem> output, SampleChunk chunk, CancellationToken cancellationToken)
    {
        try
        {
            await output.WriteAsync(SourceItem.ForSamples(chunk), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            chunk.Release();
            throw;
        }
    }

    public void Dispose() => Inlet.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "LSL stream {Key}: using '{Name}' source_id '{SourceId}' on host '{Host}' ({Selection}; predicate {Predicate})")]
    private static partial void LogChosen(ILogger logger, string key, string name, string sourceId, string host, string selection, string predicate);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LSL stream {Key}: full info (desc) not received ({Reason}); using the profile's channels")]
    private static partial void LogNoFullInfo(ILogger logger, string key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LSL stream {Key}: no clock offset measured yet; timestamps are used uncorrected until one arrives")]
    private static partial void LogNoOffset(ILogger logger, string key);
}
