namespace AcqService.Lsl;

/// <summary>
/// One implementation of Lab Streaming Layer: the managed wire-protocol implementation (default) or the
/// native liblsl binding. Every blocking member takes a finite timeout.
/// </summary>
public interface ILslBackend : IDisposable
{
    /// <summary>Short backend name: <c>managed</c> or <c>native</c>.</summary>
    string Name { get; }

    /// <summary>Library or protocol version, for logs and session metadata (e.g. <c>liblsl 1.17.7</c>).</summary>
    string Version { get; }

    /// <summary>The LSL clock in seconds (CLOCK_MONOTONIC on Linux, same epoch as liblsl's <c>lsl_local_clock</c>).</summary>
    double LocalClock();

    /// <summary>
    /// Resolves streams matching an XPath predicate over the stream info (e.g. <c>name='X' and type='EEG'</c>;
    /// empty or null = all streams of this session). Returns as soon as <paramref name="minimum"/> distinct
    /// streams were seen (when &gt; 0), otherwise after <paramref name="timeout"/>.
    /// </summary>
    IReadOnlyList<LslStreamInfo> Resolve(string? predicate, int minimum, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Starts a background resolver that keeps the current set of matching streams.</summary>
    ILslContinuousResolver CreateContinuousResolver(string? predicate, TimeSpan forgetAfter);

    /// <summary>Creates an outlet that is immediately discoverable.</summary>
    /// <param name="info">Stream description; the backend fills uid, ports, hostname, created_at.</param>
    /// <param name="chunkSize">Preferred samples per network write (0 = as pushed).</param>
    /// <param name="maxBufferedSeconds">Per-consumer buffer in seconds of data (samples ×100 for irregular streams).</param>
    ILslOutlet CreateOutlet(LslStreamInfo info, int chunkSize = 0, int maxBufferedSeconds = 360);

    /// <summary>Creates an inlet for a resolved stream. The connection is opened lazily or by <see cref="ILslInlet.Open"/>.</summary>
    /// <param name="info">A stream returned by <see cref="Resolve"/>.</param>
    /// <param name="maxBufferedSeconds">Inlet-side buffer in seconds of data.</param>
    /// <param name="maxChunkLength">Preferred samples per network chunk (0 = sender's choice).</param>
    /// <param name="recover">Re-resolve and reconnect (same source_id) when the outlet disappears.</param>
    ILslInlet CreateInlet(LslStreamInfo info, int maxBufferedSeconds = 360, int maxChunkLength = 0, bool recover = true);
}

/// <summary>A background resolver.</summary>
public interface ILslContinuousResolver : IDisposable
{
    /// <summary>The streams seen within the forget interval, one per uid.</summary>
    IReadOnlyList<LslStreamInfo> Results();
}

/// <summary>Sends samples to any number of consumers.</summary>
public interface ILslOutlet : IDisposable
{
    /// <summary>The stream info as published (uid, ports and hostname filled in).</summary>
    LslStreamInfo Info { get; }

    /// <summary>True while at least one inlet is connected.</summary>
    bool HaveConsumers { get; }

    /// <summary>Waits up to <paramref name="timeout"/> for a consumer; true if one is connected.</summary>
    bool WaitForConsumers(TimeSpan timeout);

    /// <summary>Pushes <c>timestamps.Length</c> samples of interleaved numeric data (frames × channels). The values are
    /// converted to the stream's channel format. A timestamp of 0 means "now".</summary>
    void PushChunk(ReadOnlySpan<double> data, ReadOnlySpan<double> timestamps, bool pushthrough = true);

    /// <summary>Float32 overload of <see cref="PushChunk(ReadOnlySpan{double}, ReadOnlySpan{double}, bool)"/> without conversion for float32 streams.</summary>
    void PushChunk(ReadOnlySpan<float> data, ReadOnlySpan<double> timestamps, bool pushthrough = true);

    /// <summary>Integer overload (int8/int16/int32/int64 streams are filled exactly).</summary>
    void PushChunk(ReadOnlySpan<long> data, ReadOnlySpan<double> timestamps, bool pushthrough = true);

    /// <summary>Pushes string samples (interleaved frames × channels). Valid for string streams only.</summary>
    void PushChunk(ReadOnlySpan<string> data, ReadOnlySpan<double> timestamps, bool pushthrough = true);
}

/// <summary>Receives samples of one stream.</summary>
public interface ILslInlet : IDisposable
{
    /// <summary>The stream info given at creation (shortinfo).</summary>
    LslStreamInfo Info { get; }

    /// <summary>Fetches the full info including <c>desc</c> (channel labels, units).</summary>
    /// <exception cref="TimeoutException">Not received within <paramref name="timeout"/>.</exception>
    LslStreamInfo GetFullInfo(TimeSpan timeout);

    /// <summary>Asynchronous <see cref="GetFullInfo"/>.</summary>
    /// <exception cref="TimeoutException">Not received within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<LslStreamInfo> GetFullInfoAsync(TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Opens the data connection and waits up to <paramref name="timeout"/> for it.</summary>
    void Open(TimeSpan timeout);

    /// <summary>Asynchronous <see cref="Open"/>.</summary>
    /// <exception cref="TimeoutException">Not connected within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask OpenAsync(TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>
    /// Estimated offset (seconds) to add to this stream's timestamps to map them into the local clock
    /// (liblsl's <c>time_correction</c>: local − remote).
    /// </summary>
    double TimeCorrection(TimeSpan timeout);

    /// <summary>Asynchronous <see cref="TimeCorrection"/>; completes synchronously once an estimate exists.</summary>
    /// <exception cref="TimeoutException">No estimate within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<double> TimeCorrectionAsync(TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>
    /// Pulls up to <c>timestamps.Length</c> samples (numeric streams, converted to double) into interleaved
    /// <paramref name="data"/>; waits up to <paramref name="timeout"/> for the first one. Returns the sample count
    /// (0 on timeout). Timestamps are the sender's raw timestamps (deduced ones filled in).
    /// </summary>
    /// <exception cref="LslStreamLostException">The stream is gone and cannot be recovered.</exception>
    int PullChunk(Span<double> data, Span<double> timestamps, TimeSpan timeout);

    /// <summary>String overload for string streams (marker streams).</summary>
    int PullChunk(Span<string> data, Span<double> timestamps, TimeSpan timeout);

    /// <summary>
    /// Asynchronous <see cref="PullChunk(Span{double}, Span{double}, TimeSpan)"/>: the same samples and timestamps into the
    /// caller's buffers, completing synchronously when samples are buffered. Waiting allocates nothing in steady state on
    /// the managed backend. One pull at a time; the buffers must stay untouched until it completes.
    /// </summary>
    /// <exception cref="LslStreamLostException">The stream is gone and cannot be recovered.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    ValueTask<int> PullChunkAsync(Memory<double> data, Memory<double> timestamps, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Asynchronous string overload (marker streams); see <see cref="PullChunkAsync(Memory{double}, Memory{double}, TimeSpan, CancellationToken)"/>.</summary>
    /// <exception cref="LslStreamLostException">The stream is gone and cannot be recovered.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    ValueTask<int> PullChunkAsync(Memory<string> data, Memory<double> timestamps, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Samples buffered and ready to pull.</summary>
    int SamplesAvailable { get; }

    /// <summary>
    /// Samples dropped since creation because the inlet's bounded buffer (<c>maxBufferedSeconds</c> of data, like
    /// liblsl's <c>max_buflen</c>) was full: the consumer was slower than the stream, and the oldest samples went.
    /// Drops happen between pulls, never inside one pull's chunk. The native backend always reports 0, because
    /// liblsl's C API does not expose its drop count.
    /// </summary>
    long SamplesDropped { get; }

    /// <summary>
    /// What <see cref="SamplesDropped"/> was when the last pull that returned samples took them: every drop it counts
    /// lies before those samples, every later drop after them. A consumer compares it between pulls to place a loss
    /// exactly (the live counter can move between reading it and pulling). 0 on the native backend.
    /// </summary>
    long SamplesDroppedBeforeLastPull { get; }

    /// <summary>
    /// Number of times the connection was lost and recovered since the last call (reset on read).
    /// The source adapter reports a gap for each.
    /// </summary>
    int TakeRecoveryCount();
}

/// <summary>The stream is lost and will not come back (no source_id, or recovery disabled).</summary>
public sealed class LslStreamLostException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LslStreamLostException(string message) : base(message) { }

    /// <summary>Creates the exception with an inner cause.</summary>
    public LslStreamLostException(string message, Exception inner) : base(message, inner) { }
}
