using System.Globalization;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Profiles;
using AcqService.Lsl;
using Microsoft.Extensions.Logging;

namespace AcqService.Sources.Lsl;

/// <summary>
/// A signal stream from an LSL outlet (EEG amplifier, fNIRS device). Created by <see cref="ConnectAsync"/>, which
/// resolves the profile's predicate and checks the stream before the session starts; <see cref="RunAsync"/> then
/// pulls on a dedicated thread into pooled chunks with the sender's raw timestamps, reports the clock offset first
/// and every few seconds, and turns a lost-and-recovered connection into a <see cref="StreamGap"/>.
/// </summary>
public sealed class LslSignalSource : LslSource
{
    /// <summary>Seconds of data per pulled chunk (at most).</summary>
    private const double ChunkSeconds = 0.05;

    private long _received;
    private double _last = double.NaN;

    private LslSignalSource(LslConnection connection)
        : base(connection)
    {
    }

    /// <summary>Resolves and checks the profile's stream and opens the inlet.</summary>
    /// <param name="profile">A <c>signal</c> stream with driver <c>lsl</c>.</param>
    /// <param name="backend">LSL backend.</param>
    /// <param name="logger">Logger (warnings for onMismatch = warn, connection info).</param>
    /// <param name="cancellationToken">Cancels the resolve.</param>
    /// <exception cref="LslSourceException">Not found (the message names the predicate and discovery hints), ambiguous, or mismatching.</exception>
    public static async Task<LslSignalSource> ConnectAsync(StreamProfile profile, ILslBackend backend, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        LslConnection connection = await ConnectCoreAsync(profile, backend, logger, "signal", nameof(LslMarkerSource), cancellationToken).ConfigureAwait(false);
        return new LslSignalSource(connection);
    }

    /// <inheritdoc />
    public override string Name => $"LSL '{Connection.Info.Name}'";

    /// <summary>Samples received so far (any thread).</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <inheritdoc />
    public override Task RunAsync(Edge<SourceItem> output, CancellationToken cancellationToken)
    {
        BeginRun();
        int channels = Stream.ChannelCount;
        double rate = Stream.NominalRateHz;
        int capacity = Math.Clamp((int)Math.Ceiling(rate * ChunkSeconds), 1, 4096);
        var pool = new ChunkPool(Stream.Index, channels, capacity);
        // A real recovery takes ≥ 0.5 s (liblsl waits that long before reconnecting), so without a reported
        // recovery only a jump that long is taken as one; shorter jumps are plain sample loss, which the
        // aligner reports by itself.
        double recoveredThreshold = 3.5 / rate;
        double silentThreshold = Math.Max(0.5, recoveredThreshold);
        bool recoveryPending = false;
        return Connection.RunAsync(output, () =>
        {
            SampleChunk chunk = pool.Rent();
            int n;
            try
            {
                n = Connection.Inlet.PullChunk(chunk.Data.AsSpan(0, capacity * channels), chunk.Timestamps.AsSpan(0, capacity), LslConnection.PullTimeout);
            }
            catch
            {
                chunk.Release();
                throw;
            }
            // Taken after the pull: the inlet counts a recovery before the new connection's first sample is
            // buffered, so samples pulled from the new instance always see it.
            recoveryPending |= Connection.Inlet.TakeRecoveryCount() > 0;
            if (n == 0)
            {
                chunk.Release();
                return;
            }
            chunk.Count = n;
            (int split, double jump) = FindJump(chunk, recoveryPending ? recoveredThreshold : silentThreshold);
            if (recoveryPending && split < 0)
            {
                // Reconnected without losing data (or the jump is below a period): still record where it happened.
                split = 0;
            }
            if (split < 0)
            {
                Emit(output, chunk, cancellationToken);
                return;
            }
            string reason = recoveryPending
                ? LslConnection.RecoveredReason
                : string.Create(CultureInfo.InvariantCulture, $"{LslConnection.RecoveredReason} (timestamp jump of {jump:0.###} s; the backend reported no reconnect)");
            recoveryPending = false;
            if (split > 0)
            {
                SampleChunk tail = pool.Rent();
                int rest = n - split;
                chunk.Data.AsSpan(split * channels, rest * channels).CopyTo(tail.Data);
                chunk.Timestamps.AsSpan(split, rest).CopyTo(tail.Timestamps);
                tail.Count = rest;
                chunk.Count = split;
                Emit(output, chunk, cancellationToken);
                chunk = tail;
            }
            double start = _last;
            double end = chunk.Timestamps[0];
            long missing = double.IsNaN(start) ? 0 : Math.Max(0, (long)Math.Round((end - start) * rate) - 1);
            LslConnection.Write(output, SourceItem.ForGap(new StreamGap(Stream.Index, start, end, missing, reason)), cancellationToken);
            CountGap();
            Emit(output, chunk, cancellationToken);
        }, () => _last, cancellationToken);
    }

    /// <summary>First frame whose step from the previous one exceeds <paramref name="threshold"/> seconds, or -1.</summary>
    private (int Index, double Jump) FindJump(SampleChunk chunk, double threshold)
    {
        double previous = _last;
        ReadOnlySpan<double> times = chunk.Times;
        for (int i = 0; i < times.Length; i++)
        {
            if (!double.IsNaN(previous) && Math.Abs(times[i] - previous) > threshold)
            {
                return (i, times[i] - previous);
            }
            previous = times[i];
        }
        return (-1, 0);
    }

    private void Emit(Edge<SourceItem> output, SampleChunk chunk, CancellationToken cancellationToken)
    {
        int count = chunk.Count;
        double last = chunk.LastTimestamp;
        LslConnection.Write(output, chunk, cancellationToken);
        _last = last;
        Interlocked.Add(ref _received, count);
    }

}
