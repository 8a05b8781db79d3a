using System.Globalization;
using System.Runtime.CompilerServices;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Profiles;
using AcqService.Lsl;
using Microsoft.Extensions.Logging;

namespace AcqService.Sources.Lsl;

/// <summary>
/// A signal stream from an LSL outlet (EEG amplifier, fNIRS device). Created by <see cref="ConnectAsync"/>, which
/// resolves the profile's predicate and checks the stream before the session starts; <see cref="RunAsync"/> then
/// pulls asynchronously into pooled chunks with the sender's raw timestamps, reports the clock offset first
/// and every few seconds, and turns a lost-and-recovered connection, or samples the inlet dropped because this
/// consumer fell behind (<see cref="ILslInlet.SamplesDropped"/>), into a <see cref="StreamGap"/>.
/// </summary>
public sealed class LslSignalSource : LslSource
{
    /// <summary>Seconds of data per pulled chunk (at most).</summary>
    private const double ChunkSeconds = 0.05;

    /// <summary>Start of the reason written into gaps of samples the inlet dropped because its buffer was full.</summary>
    public const string OverflowReason = "LSL inlet buffer overflow";

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
        var pull = new PullState(Stream, output);
        return Connection.RunAsync(output, token => PullOnceAsync(pull, token), () => _last, cancellationToken);
    }

    /// <summary>What one run keeps between pulls (one pump, so no locking).</summary>
    private sealed class PullState(StreamDescriptor stream, Edge<SourceItem> output)
    {
        public readonly Edge<SourceItem> Output = output;
        public readonly int Channels = stream.ChannelCount;
        public readonly double Rate = stream.NominalRateHz;
        public readonly int Capacity = Math.Clamp((int)Math.Ceiling(stream.NominalRateHz * ChunkSeconds), 1, 4096);
        public readonly ChunkPool Pool = new(stream.Index, stream.ChannelCount, Math.Clamp((int)Math.Ceiling(stream.NominalRateHz * ChunkSeconds), 1, 4096));
        // A real recovery takes ≥ 0.5 s (liblsl waits that long before reconnecting), so without a reported
        // recovery only a jump that long is taken as one; shorter jumps are plain sample loss, which the
        // aligner reports by itself.
        public readonly double RecoveredThreshold = 3.5 / stream.NominalRateHz;
        public readonly double SilentThreshold = Math.Max(0.5, 3.5 / stream.NominalRateHz);
        public bool RecoveryPending;
        public long DroppedReported;
    }

    // Pooled builder: the pump awaits this once per pull, and a pull that waits would otherwise box its state machine.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask PullOnceAsync(PullState pull, CancellationToken cancellationToken)
    {
        Edge<SourceItem> output = pull.Output;
        int channels = pull.Channels;
        SampleChunk chunk = pull.Pool.Rent();
        int n;
        try
        {
            n = await Connection.Inlet.PullChunkAsync(chunk.Data.AsMemory(0, pull.Capacity * channels), chunk.Timestamps.AsMemory(0, pull.Capacity), LslConnection.PullTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            chunk.Release();
            throw;
        }
        // When the session got these samples from the inlet (latency measurement only; taken before any other work).
        double receivedAt = LocalClock.Now();
        // Taken after the pull: the inlet counts a recovery before the new connection's first sample is
        // buffered, so samples pulled from the new instance always see it.
        pull.RecoveryPending |= Connection.Inlet.TakeRecoveryCount() > 0;
        if (n == 0)
        {
            chunk.Release();
            return;
        }
        chunk.Count = n;
        chunk.ReceivedAt = receivedAt;
        double previous = _last;
        // Every drop counted when this pull took its samples lies before them, so the gap goes in front of the chunk.
        long dropped = Connection.Inlet.SamplesDroppedBeforeLastPull;
        if (dropped > pull.DroppedReported)
        {
            long missing = dropped - pull.DroppedReported;
            pull.DroppedReported = dropped;
            string overflow = string.Create(CultureInfo.InvariantCulture, $"{OverflowReason}: {missing} samples dropped (the consumer was slower than the stream)");
            await WriteGapAsync(output, new StreamGap(Stream.Index, _last, chunk.Timestamps[0], missing, overflow), chunk, cancellationToken).ConfigureAwait(false);
            // The jump over the dropped samples is explained; look for a recovery only after the first sample.
            previous = chunk.Timestamps[0];
        }
        (int split, double jump) = FindJump(chunk, previous, pull.RecoveryPending ? pull.RecoveredThreshold : pull.SilentThreshold);
        if (pull.RecoveryPending && split < 0)
        {
            // Reconnected without losing data (or the jump is below a period): still record where it happened.
            split = 0;
        }
        if (split < 0)
        {
            await EmitAsync(output, chunk, cancellationToken).ConfigureAwait(false);
            return;
        }
        string reason = pull.RecoveryPending
            ? LslConnection.RecoveredReason
            : string.Create(CultureInfo.InvariantCulture, $"{LslConnection.RecoveredReason} (timestamp jump of {jump:0.###} s; the backend reported no reconnect)");
        pull.RecoveryPending = false;
        if (split > 0)
        {
            SampleChunk tail = pull.Pool.Rent();
            int rest = n - split;
            chunk.Data.AsSpan(split * channels, rest * channels).CopyTo(tail.Data);
            chunk.Timestamps.AsSpan(split, rest).CopyTo(tail.Timestamps);
            tail.Count = rest;
            tail.ReceivedAt = receivedAt;
            chunk.Count = split;
            try
            {
                await EmitAsync(output, chunk, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                tail.Release();
                throw;
            }
            chunk = tail;
        }
        double start = _last;
        double end = chunk.Timestamps[0];
        long lost = double.IsNaN(start) ? 0 : Math.Max(0, (long)Math.Round((end - start) * pull.Rate) - 1);
        await WriteGapAsync(output, new StreamGap(Stream.Index, start, end, lost, reason), chunk, cancellationToken).ConfigureAwait(false);
        await EmitAsync(output, chunk, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a gap in front of <paramref name="pending"/>, giving the chunk back if the write fails.</summary>
    private async ValueTask WriteGapAsync(Edge<SourceItem> output, StreamGap gap, SampleChunk pending, CancellationToken cancellationToken)
    {
        try
        {
            await LslConnection.WriteAsync(output, SourceItem.ForGap(gap), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            pending.Release();
            throw;
        }
        CountGap();
    }

    /// <summary>First frame whose step from the previous one exceeds <paramref name="threshold"/> seconds, or -1.</summary>
    private static (int Index, double Jump) FindJump(SampleChunk chunk, double previous, double threshold)
    {
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

    private async ValueTask EmitAsync(Edge<SourceItem> output, SampleChunk chunk, CancellationToken cancellationToken)
    {
        int count = chunk.Count;
        double last = chunk.LastTimestamp;
        await LslConnection.WriteAsync(output, chunk, cancellationToken).ConfigureAwait(false);
        _last = last;
        Interlocked.Add(ref _received, count);
    }

}
