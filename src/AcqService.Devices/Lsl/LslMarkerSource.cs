using System.Globalization;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Core.Profiles;
using AcqService.Lsl;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AcqService.Devices.Lsl;

/// <summary>
/// A marker stream from an LSL outlet. String streams give their text as the label; numeric streams (trigger
/// boxes, int32 markers) give the number as the label and as <see cref="Marker.Code"/>. Only the first channel
/// is used. Timestamps are the sender's raw ones; clock offsets are reported first and every few seconds.
/// </summary>
public sealed class LslMarkerSource : ISource, IDisposable
{
    private const int MaxPull = 64;

    private readonly LslConnection _connection;
    private int _received;
    private int _gaps;
    private double _last = double.NaN;
    private int _started;

    private LslMarkerSource(LslConnection connection)
    {
        _connection = connection;
        Stream = connection.Descriptor;
    }

    /// <summary>Resolves and checks the profile's marker stream and opens the inlet.</summary>
    /// <param name="profile">A <c>markers</c> stream with driver <c>lsl</c>.</param>
    /// <param name="backend">LSL backend.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="cancellationToken">Cancels the resolve.</param>
    /// <exception cref="LslSourceException">Not found (the message names the predicate and discovery hints), ambiguous, or mismatching.</exception>
    public static async Task<LslMarkerSource> ConnectAsync(StreamProfile profile, ILslBackend backend, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(backend);
        if (profile.Kind != "markers")
        {
            throw new ArgumentException($"stream '{profile.Key}' is a {profile.Kind} stream; use LslSignalSource", nameof(profile));
        }
        LslConnection connection = await LslConnection.ConnectAsync(profile, backend, logger ?? NullLogger.Instance, cancellationToken).ConfigureAwait(false);
        return new LslMarkerSource(connection);
    }

    /// <inheritdoc />
    public string Name => $"LSL markers '{_connection.Info.Name}'";

    /// <summary>The stream, as resolved and checked.</summary>
    public StreamDescriptor Stream { get; }

    /// <inheritdoc />
    public IReadOnlyList<StreamDescriptor> Streams => [Stream];

    /// <summary>The stream info the source connected to.</summary>
    public LslStreamInfo Info => _connection.Info;

    /// <summary>Markers received so far (any thread).</summary>
    public int Received => Volatile.Read(ref _received);

    /// <summary>Gaps reported so far (any thread).</summary>
    public int Gaps => Volatile.Read(ref _gaps);

    /// <inheritdoc />
    /// <exception cref="LslSourceException">The stream was lost for good (a gap is written first).</exception>
    public Task RunAsync(Edge<SourceItem> output, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("an LSL source runs once");
        }
        int channels = Stream.ChannelCount;
        bool strings = _connection.Info.ChannelFormat == LslChannelFormat.String;
        string[] text = strings ? new string[MaxPull * channels] : [];
        double[] numbers = strings ? [] : new double[MaxPull * channels];
        double[] times = new double[MaxPull];
        return _connection.RunAsync(output, () =>
        {
            int n = strings
                ? _connection.Inlet.PullChunk(text.AsSpan(), times.AsSpan(), LslConnection.PullTimeout)
                : _connection.Inlet.PullChunk(numbers.AsSpan(), times.AsSpan(), LslConnection.PullTimeout);
            // After the pull, so markers from the new instance come after the gap (see LslSignalSource).
            if (_connection.Inlet.TakeRecoveryCount() > 0)
            {
                // Markers sent while disconnected are gone; the gap tells the analysis and the recording so.
                LslConnection.Write(output, SourceItem.ForGap(new StreamGap(Stream.Index, _last, double.NaN, 0, LslConnection.RecoveredReason)), cancellationToken);
                Interlocked.Increment(ref _gaps);
            }
            for (int i = 0; i < n; i++)
            {
                Marker marker = strings
                    ? new Marker(Stream.Index, times[i], text[i * channels] ?? "")
                    : Numeric(numbers[i * channels], times[i]);
                LslConnection.Write(output, SourceItem.ForMarker(marker), cancellationToken);
                _last = times[i];
                Interlocked.Increment(ref _received);
            }
        }, () => _last, cancellationToken);
    }

    private Marker Numeric(double value, double timestamp)
    {
        int? code = value == Math.Floor(value) && value >= int.MinValue && value <= int.MaxValue ? (int)value : null;
        return new Marker(Stream.Index, timestamp, value.ToString("R", CultureInfo.InvariantCulture), code);
    }

    /// <summary>Closes the inlet if the source never ran.</summary>
    public void Dispose()
    {
        if (Volatile.Read(ref _started) == 0)
        {
            _connection.Dispose();
        }
    }
}
