using System.Globalization;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Profiles;
using AcqService.Lsl;
using Microsoft.Extensions.Logging;

namespace AcqService.Sources.Lsl;

/// <summary>
/// A marker stream from an LSL outlet. String streams give their text as the label; numeric streams (trigger
/// boxes, int32 markers) give the number as the label and as <see cref="Marker.Code"/>. Only the first channel
/// is used. Timestamps are the sender's raw ones; clock offsets are reported first and every few seconds.
/// </summary>
public sealed class LslMarkerSource : LslSource
{
    private const int MaxPull = 64;

    private int _received;
    private double _last = double.NaN;

    private LslMarkerSource(LslConnection connection)
        : base(connection)
    {
    }

    /// <summary>Resolves and checks the profile's marker stream and opens the inlet.</summary>
    /// <param name="profile">A <c>markers</c> stream with driver <c>lsl</c>.</param>
    /// <param name="backend">LSL backend.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="cancellationToken">Cancels the resolve.</param>
    /// <exception cref="LslSourceException">Not found (the message names the predicate and discovery hints), ambiguous, or mismatching.</exception>
    public static async Task<LslMarkerSource> ConnectAsync(StreamProfile profile, ILslBackend backend, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        LslConnection connection = await ConnectCoreAsync(profile, backend, logger, "markers", nameof(LslSignalSource), cancellationToken).ConfigureAwait(false);
        return new LslMarkerSource(connection);
    }

    /// <inheritdoc />
    public override string Name => $"LSL markers '{Connection.Info.Name}'";

    /// <summary>Markers received so far (any thread).</summary>
    public int Received => Volatile.Read(ref _received);

    /// <inheritdoc />
    public override Task RunAsync(Edge<SourceItem> output, CancellationToken cancellationToken)
    {
        BeginRun();
        int channels = Stream.ChannelCount;
        bool strings = Connection.Info.ChannelFormat == LslChannelFormat.String;
        string[] text = strings ? new string[MaxPull * channels] : [];
        double[] numbers = strings ? [] : new double[MaxPull * channels];
        double[] times = new double[MaxPull];
        return Connection.RunAsync(output, () =>
        {
            int n = strings
                ? Connection.Inlet.PullChunk(text.AsSpan(), times.AsSpan(), LslConnection.PullTimeout)
                : Connection.Inlet.PullChunk(numbers.AsSpan(), times.AsSpan(), LslConnection.PullTimeout);
            // After the pull, so markers from the new instance come after the gap (see LslSignalSource).
            if (Connection.Inlet.TakeRecoveryCount() > 0)
            {
                // Markers sent while disconnected are gone; the gap tells the analysis and the recording so.
                LslConnection.Write(output, SourceItem.ForGap(new StreamGap(Stream.Index, _last, double.NaN, 0, LslConnection.RecoveredReason)), cancellationToken);
                CountGap();
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

}
