using AcqService.Core.Model;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Runtime.CompilerServices;
using AcqService.Lsl.Config;

namespace AcqService.Lsl.Managed;

/// <summary>
/// A managed LSL inlet: one background connection loop (handshake, test-pattern check, sample decoding into a
/// bounded drop-oldest buffer, recovery by re-resolving on loss), a watchdog, and a lazily started time-sync loop.
/// This file holds the state and the pull API; the other jobs live in their own files: <c>ManagedInlet.Connection.cs</c>
/// (connection loop, recovery, watchdog), <c>ManagedInlet.Receive.cs</c> (one data connection),
/// <see cref="StreamfeedHandshake"/> (handshake checks), <see cref="InletBuffer"/> (the bounded buffer),
/// <c>ManagedInlet.TimeSync.cs</c> (time correction) and <c>ManagedInlet.FullInfo.cs</c> (full info).
/// </summary>
internal sealed partial class ManagedInlet : ILslInlet
{
    private readonly ManagedLslBackend _backend;
    private readonly LslConfig _config;
    private readonly bool _recover;
    private readonly int _maxBufferSamples;
    private readonly int _maxChunkLength;
    private readonly InletBuffer _buffer;
    private readonly SampleArrayPool _pool;
    private readonly CancellationTokenSource _cts = new();
    private readonly CancellationTokenSource _lostCts = new();
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _startGate = new();
    private volatile LslStreamInfo _current;
    private volatile Exception? _lost;
    private volatile CancellationTokenSource? _connectionCts;
    private volatile TimeEstimate? _estimate;
    private volatile TaskCompletionSource _estimateReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _runTask;
    private Task? _watchdogTask;
    private Task? _timeTask;
    private int _recoveries;
    private bool _hadConnection;
    private long _lastDataTicks;
    private int _disposed;

    public ManagedInlet(ManagedLslBackend backend, LslStreamInfo info, int maxBufferedSeconds, int maxChunkLength, bool recover)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (info.ChannelCount < 1 || info.ChannelCount > LslLimits.MaxChannelCount)
        {
            throw new ArgumentException($"channel count {info.ChannelCount} is outside 1..{LslLimits.MaxChannelCount}", nameof(info));
        }
        if (info.ChannelFormat == ChannelFormat.Undefined || !Enum.IsDefined(info.ChannelFormat))
        {
            throw new ArgumentException("channel format is undefined", nameof(info));
        }
        _backend = backend;
        _config = backend.Config;
        Info = info.Clone();
        _current = info.Clone();
        // Like liblsl: an unresolved info (no address) can only ever be reached by resolving, so recovery is forced on.
        _recover = recover || !HasEndpoint(info);
        double seconds = Math.Max(1, maxBufferedSeconds);
        double samples = info.NominalSrate > 0 ? seconds * info.NominalSrate : seconds * 100;
        // liblsl's max_buflen in samples, but also capped in bytes: 360 s of 1024 channels at 20 kHz would be ~59 GB,
        // so without the cap a consumer that falls behind such a stream makes the process grow until it dies.
        double bytesPerSample = info.ChannelCount * 8.0 + LslLimits.BufferedSampleOverheadBytes;
        _maxBufferSamples = (int)Math.Clamp(Math.Min(samples, LslLimits.MaxInletBufferBytes / bytesPerSample), 1, 1 << 24);
        _maxChunkLength = Math.Max(0, maxChunkLength);
        _pool = new SampleArrayPool(info.ChannelCount, Math.Min(_maxBufferSamples, 4096));
        _buffer = new InletBuffer(_maxBufferSamples, _pool);
    }

    /// <inheritdoc />
    public LslStreamInfo Info { get; }

    /// <inheritdoc />
    public int SamplesAvailable => _buffer.Count;

    /// <inheritdoc />
    public long SamplesDropped => _buffer.Dropped;

    /// <inheritdoc />
    public long SamplesDroppedBeforeLastPull => _buffer.DroppedBeforeLastRead;

    /// <summary>The receive buffer's bound in samples (seconds × rate, capped by <see cref="LslLimits.MaxInletBufferBytes"/>).</summary>
    internal int MaxBufferedSamples => _maxBufferSamples;

    /// <summary>True once the time-sync state was reset by a recovery (liblsl's <c>was_clock_reset</c>).</summary>
    internal bool ClockWasReset { get; private set; }

    /// <inheritdoc />
    public int TakeRecoveryCount() => Interlocked.Exchange(ref _recoveries, 0);

    /// <inheritdoc />
    public void Open(TimeSpan timeout)
    {
        ThrowIfLost();
        EnsureStarted();
        Task first = _connected.Task;
        int index = Task.WaitAny([first, WhenLost()], timeout);
        ThrowIfLost();
        if (index != 0)
        {
            throw OpenTimeout(timeout);
        }
    }

    /// <inheritdoc />
    public async ValueTask OpenAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfLost();
        EnsureStarted();
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lostCts.Token, _cts.Token);
        wait.CancelAfter(timeout);
        try
        {
            await _connected.Task.WaitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            ThrowIfLost();
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            throw OpenTimeout(timeout);
        }
    }

    private TimeoutException OpenTimeout(TimeSpan timeout) =>
        new($"stream '{Info.Name}' did not connect within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");

    /// <summary>Checks the caller's buffer against the channel count; returns the channel count.</summary>
    private int CheckCapacity(int values, int samples)
    {
        int channels = Info.ChannelCount;
        if (values < samples * channels)
        {
            throw new ArgumentException($"data holds {values} values but {samples} samples × {channels} channels need {samples * channels}");
        }
        return channels;
    }

    private void CheckNumeric()
    {
        if (Info.ChannelFormat == ChannelFormat.String)
        {
            throw new InvalidOperationException("numeric pull from a string stream; use the string overload");
        }
    }

    /// <inheritdoc />
    public int PullChunk(Span<double> data, Span<double> timestamps, TimeSpan timeout)
    {
        CheckNumeric();
        int channels = CheckCapacity(data.Length, timestamps.Length);
        // Only the first sample of a pull waits, so a pull returns what is buffered instead of waiting for a full chunk.
        int count = _buffer.Read(data, timestamps, channels);
        if (count == 0 && timestamps.Length > 0 && WaitForData(timeout))
        {
            count = _buffer.Read(data, timestamps, channels);
        }
        return count;
    }

    /// <inheritdoc />
    public int PullChunk(Span<string> data, Span<double> timestamps, TimeSpan timeout)
    {
        int channels = CheckCapacity(data.Length, timestamps.Length);
        int count = _buffer.Read(data, timestamps, channels);
        if (count == 0 && timestamps.Length > 0 && WaitForData(timeout))
        {
            count = _buffer.Read(data, timestamps, channels);
        }
        return count;
    }

    /// <inheritdoc />
    public ValueTask<int> PullChunkAsync(Memory<double> data, Memory<double> timestamps, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        CheckNumeric();
        int channels = CheckCapacity(data.Length, timestamps.Length);
        int count = _buffer.Read(data.Span, timestamps.Span, channels);
        if (count > 0 || timestamps.Length == 0)
        {
            return new ValueTask<int>(count);
        }
        return PullNumbersSlowAsync(data, timestamps, channels, timeout, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<int> PullChunkAsync(Memory<string> data, Memory<double> timestamps, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        int channels = CheckCapacity(data.Length, timestamps.Length);
        int count = _buffer.Read(data.Span, timestamps.Span, channels);
        if (count > 0 || timestamps.Length == 0)
        {
            return new ValueTask<int>(count);
        }
        return PullStringsSlowAsync(data, timestamps, channels, timeout, cancellationToken);
    }

    // Pooled builders: a pull that has to wait would otherwise box its state machine on every call.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> PullNumbersSlowAsync(Memory<double> data, Memory<double> timestamps, int channels, TimeSpan timeout, CancellationToken cancellationToken)
    {
        return await WaitForDataAsync(timeout, cancellationToken).ConfigureAwait(false)
            ? _buffer.Read(data.Span, timestamps.Span, channels)
            : 0;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> PullStringsSlowAsync(Memory<string> data, Memory<double> timestamps, int channels, TimeSpan timeout, CancellationToken cancellationToken)
    {
        return await WaitForDataAsync(timeout, cancellationToken).ConfigureAwait(false)
            ? _buffer.Read(data.Span, timestamps.Span, channels)
            : 0;
    }

    /// <summary>Blocks until a sample is buffered (true) or the timeout passes (false); throws once the stream is lost and drained.</summary>
    private bool WaitForData(TimeSpan timeout)
    {
        EnsureStarted();
        // Buffered samples are still delivered after a loss; only an empty buffer reports it.
        ThrowIfLostAndEmpty();
        bool more = _buffer.WaitForSample(timeout);
        if (!more)
        {
            ThrowIfLostAndEmpty();
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
        }
        return more;
    }

    /// <summary>Asynchronous <see cref="WaitForData"/>; a cancelled token throws <see cref="OperationCanceledException"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> WaitForDataAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        EnsureStarted();
        ThrowIfLostAndEmpty();
        bool more = await _buffer.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        if (!more)
        {
            ThrowIfLostAndEmpty();
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
        }
        return more;
    }

    private void ThrowIfLostAndEmpty()
    {
        if (_buffer.Count == 0)
        {
            ThrowIfLost();
        }
    }

    private Task WhenLost() => Task.Delay(Timeout.Infinite, _lostCts.Token).ContinueWith(_ => { }, TaskScheduler.Default);

    private void ThrowIfLost()
    {
        if (_lost is Exception reason)
        {
            throw new LslStreamLostException($"stream '{Info.Name}' is lost: {reason.Message}", reason);
        }
    }

    private static bool HasEndpoint(LslStreamInfo info) => info.V4Address.Length > 0 && info.V4DataPort > 0;

    private void EnsureStarted()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_runTask is not null)
        {
            return;
        }
        lock (_startGate)
        {
            if (_runTask is null)
            {
                _watchdogTask = Task.Run(WatchdogAsync);
                _runTask = Task.Run(RunAsync);
            }
        }
    }

    private void EnsureTimeSync()
    {
        EnsureStarted();
        if (_timeTask is not null)
        {
            return;
        }
        lock (_startGate)
        {
            _timeTask ??= Task.Run(TimeSyncLoopAsync);
        }
    }


    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _cts.Cancel();
        _buffer.Complete();
        Task[] tasks = new[] { _runTask, _watchdogTask, _timeTask }.Where(t => t is not null).Select(t => t!).ToArray();
        try
        {
            Task.WaitAll(tasks, LslLimits.DisposeTimeout);
        }
        catch (AggregateException)
        {
        }
        // Only after the loops stopped: the receive loop must not write into a disposed timer's buffer.
        _buffer.Dispose();
    }
}