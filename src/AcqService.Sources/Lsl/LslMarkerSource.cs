using System.Globalization;
using System.Runtime.CompilerServices;
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
        bool strings = Connection.Info.ChannelFormat == ChannelFormat.String;
        var buffers = new PullBuffers(
            strings ? new string[MaxPull * channels] : [],
            strings ? [] : new double[MaxPull * channels],
            new double[MaxPull]);
        return Connection.RunAsync(output, token => PullOnceAsync(output, buffers, channels, strings, token), () => _last, cancellationToken);
    }

    private sealed record PullBuffers(string[] Text, double[] Numbers, double[] Times)
    {
        public long DroppedReported { get; set; }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask PullOnceAsync(Edge<SourceItem> output, PullBuffers buffers, int channels, bool strings, CancellationToken cancellationToken)
    {
        int n = strings
            ? await Connection.Inlet.PullChunkAsync(buffers.Text.AsMemory(), buffers.Times.AsMemory(), LslConnection.PullTimeout, cancellationToken).ConfigureAwait(false)
            : await Connection.Inlet.PullChunkAsync(buffers.Numbers.AsMemory(), buffers.Times.AsMemory(), LslConnection.PullTimeout, cancellationToken).ConfigureAwait(false);
        // After the pull, so markers from the new instance come after the gap (see LslSignalSource).
        if (Connection.Inlet.TakeRecoveryCount() > 0)
        {
            // Markers sent while disconnected are gone; the gap tells the analysis and the recording so.
            await LslConnection.WriteAsync(output, SourceItem.ForGap(new StreamGap(Stream.Index, _last, double.NaN, 0, LslConnection.RecoveredReason)), cancellationToken).ConfigureAwait(false);
            CountGap();
        }
        // Drops counted when this pull took its markers lie before them (see LslSignalSource).
        long dropped = n > 0 ? Connection.Inlet.SamplesDroppedBeforeLastPull : buffers.DroppedReported;
        if (dropped > buffers.DroppedReported)
        {
            long missing = dropped - buffers.DroppedReported;
            buffers.DroppedReported = dropped;
            string reason = string.Create(CultureInfo.InvariantCulture, $"{LslSignalSource.OverflowReason}: {missing} markers dropped (the consumer was slower than the stream)");
            await LslConnection.WriteAsync(output, SourceItem.ForGap(new StreamGap(Stream.Index, _last, buffers.Times[0], missing, reason)), cancellationToken).ConfigureAwait(false);
            CountGap();
        }
        for (int i = 0; i < n; i++)
        {
            Marker marker = strings
                ? new Marker(Stream.Index, buffers.Times[i], buffers.Text[i * channels] ?? "")
                : Numeric(buffers.Numbers[i * channels], buffers.Times[i]);
            await LslConnection.WriteAsync(output, SourceItem.ForMarker(marker), cancellationToken).ConfigureAwait(false);
            _last = buffers.Times[i];
            Interlocked.Increment(ref _received);
        }
    }

    private Marker Numeric(double value, double timestamp)
    {
        int? code = value == Math.Floor(value) && value >= int.MinValue && value <= int.MaxValue ? (int)value : null;
        return new Marker(Stream.Index, timestamp, value.ToString("R", CultureInfo.InvariantCulture), code);
    }

}
