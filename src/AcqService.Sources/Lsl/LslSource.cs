using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Profiles;
using AcqService.Lsl;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AcqService.Sources.Lsl;

/// <summary>
/// What every LSL-backed source shares: the resolved and checked connection, the stream it produces, the
/// run-once rule, gap counting and closing the inlet when the source never ran. Signal and marker sources differ
/// only in how they pull (<see cref="LslSignalSource"/>, <see cref="LslMarkerSource"/>).
/// </summary>
public abstract class LslSource : ISource, IDisposable
{
    private int _started;
    private int _gaps;

    private protected LslSource(LslConnection connection)
    {
        Connection = connection;
        Stream = connection.Descriptor;
    }

    private protected LslConnection Connection { get; }

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>The stream, as resolved and checked.</summary>
    public StreamDescriptor Stream { get; }

    /// <inheritdoc />
    public IReadOnlyList<StreamDescriptor> Streams => [Stream];

    /// <summary>The stream info the source connected to (with desc).</summary>
    public LslStreamInfo Info => Connection.Info;

    /// <summary>
    /// How the stream was chosen among those matching the profile, e.g. "the only stream matching" or "the newest of
    /// 2 streams matching (…)"; for <c>session.json</c> beside <see cref="StreamDescriptor.SourceId"/> and
    /// <see cref="StreamDescriptor.Hostname"/>.
    /// </summary>
    public string Selection => Connection.Selection;

    /// <summary>Gaps reported so far (any thread).</summary>
    public int Gaps => Volatile.Read(ref _gaps);

    /// <inheritdoc />
    /// <exception cref="LslSourceException">The stream was lost for good (a gap is written first).</exception>
    public abstract Task RunAsync(Edge<SourceItem> output, CancellationToken cancellationToken);

    /// <summary>Closes the inlet if the source never ran (a session that failed to start).</summary>
    public void Dispose()
    {
        if (Volatile.Read(ref _started) == 0)
        {
            Connection.Dispose();
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Marks the source as running; a source runs once because it owns its inlet.</summary>
    private protected void BeginRun()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("an LSL source runs once");
        }
    }

    /// <summary>Counts a reported gap.</summary>
    private protected void CountGap() => Interlocked.Increment(ref _gaps);

    /// <summary>Resolves and checks a profile stream of the expected kind and opens its inlet.</summary>
    private protected static Task<LslConnection> ConnectCoreAsync(StreamProfile profile, ILslBackend backend, ILogger? logger, string kind, string otherSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(backend);
        if (profile.Kind != kind)
        {
            throw new ArgumentException($"stream '{profile.Key}' is a {profile.Kind} stream; use {otherSource}", nameof(profile));
        }
        return LslConnection.ConnectAsync(profile, backend, logger ?? NullLogger.Instance, cancellationToken);
    }
}
