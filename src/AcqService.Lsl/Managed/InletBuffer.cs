using System.Globalization;
using System.Threading.Tasks.Sources;

namespace AcqService.Lsl.Managed;

/// <summary>
/// The receive buffer of one managed inlet: a bounded FIFO of decoded samples (liblsl's <c>max_buflen</c>). When the
/// consumer is slower than the stream the oldest sample is dropped and counted, so memory stays bounded. One writer
/// (the receive loop) and one puller at a time. A pull takes its whole chunk under the lock, so a drop always lies
/// between two pulled chunks, never inside one.
/// </summary>
/// <remarks>
/// The asynchronous wait is this object itself (<see cref="IValueTaskSource{TResult}"/> over a reusable core, a timer
/// created once, a token registration per wait), so a pull that has to wait allocates nothing in steady state.
/// </remarks>
internal sealed class InletBuffer : IValueTaskSource<bool>, IDisposable
{
    // A plain monitor, not System.Threading.Lock: the synchronous wait needs Monitor.Wait/PulseAll.
    private readonly object _gate = new();
    private readonly Queue<InSample> _queue;
    private readonly int _capacity;
    private readonly SampleArrayPool _pool;
    private readonly Timer _timer;
    private ManualResetValueTaskSourceCore<bool> _core;
    private CancellationTokenRegistration _registration;
    private CancellationToken _waitToken;
    private long _deadline;
    private bool _waiterArmed;
    private bool _completed;
    private long _dropped;
    private long _droppedBeforeLastRead;
    private int _syncWaiters;

    public InletBuffer(int capacity, SampleArrayPool pool)
    {
        _capacity = Math.Max(1, capacity);
        _pool = pool;
        // The queue grows with what is buffered, not to the bound up front: a bound of minutes at a high rate is
        // only ever reached by a consumer that stalls.
        _queue = new Queue<InSample>(Math.Min(_capacity, 1024));
        _core.RunContinuationsAsynchronously = true;
        _timer = new Timer(static s => ((InletBuffer)s!).OnTimer(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Samples buffered now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Samples dropped (oldest first) because the buffer was full, since creation.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary><see cref="Dropped"/> as it was when the last read that returned samples took them (under the same lock).</summary>
    public long DroppedBeforeLastRead => Interlocked.Read(ref _droppedBeforeLastRead);

    /// <summary>Adds a decoded sample; drops and counts the oldest one when the buffer is full.</summary>
    public void Write(InSample sample)
    {
        bool wake;
        InSample dropped = default;
        lock (_gate)
        {
            if (_completed)
            {
                _pool.Return(sample.Numbers);
                return;
            }
            if (_queue.Count >= _capacity)
            {
                dropped = _queue.Dequeue();
                Interlocked.Increment(ref _dropped);
            }
            _queue.Enqueue(sample);
            wake = _waiterArmed;
            _waiterArmed = false;
            if (_syncWaiters > 0)
            {
                Monitor.PulseAll(_gate);
            }
        }
        _pool.Return(dropped.Numbers);
        if (wake)
        {
            _core.SetResult(true);
        }
    }

    /// <summary>
    /// Adds a batch of decoded samples under one lock with one wake-up (dropping and counting the oldest when full), so
    /// a puller woken by the first sample of a network chunk does not contend with the writer for each of the rest.
    /// </summary>
    public void Write(ReadOnlySpan<InSample> samples)
    {
        bool wake;
        lock (_gate)
        {
            if (_completed)
            {
                foreach (InSample sample in samples)
                {
                    _pool.Return(sample.Numbers);
                }
                return;
            }
            foreach (InSample sample in samples)
            {
                if (_queue.Count >= _capacity)
                {
                    _pool.Return(_queue.Dequeue().Numbers);
                    Interlocked.Increment(ref _dropped);
                }
                _queue.Enqueue(sample);
            }
            wake = _waiterArmed;
            _waiterArmed = false;
            if (_syncWaiters > 0)
            {
                Monitor.PulseAll(_gate);
            }
        }
        if (wake)
        {
            _core.SetResult(true);
        }
    }

    /// <summary>No more samples will come (loss or dispose); wakes every waiter. Buffered samples stay readable.</summary>
    public void Complete()
    {
        bool wake;
        lock (_gate)
        {
            _completed = true;
            wake = _waiterArmed;
            _waiterArmed = false;
            if (_syncWaiters > 0)
            {
                Monitor.PulseAll(_gate);
            }
        }
        if (wake)
        {
            _core.SetResult(false);
        }
    }

    /// <summary>Moves up to <c>timestamps.Length</c> samples into interleaved <paramref name="data"/>; returns the count.</summary>
    public int Read(Span<double> data, Span<double> timestamps, int channels)
    {
        lock (_gate)
        {
            int count = Math.Min(_queue.Count, timestamps.Length);
            if (count > 0)
            {
                Interlocked.Exchange(ref _droppedBeforeLastRead, _dropped);
            }
            for (int i = 0; i < count; i++)
            {
                InSample sample = _queue.Dequeue();
                sample.Numbers!.CopyTo(data.Slice(i * channels, channels));
                _pool.Return(sample.Numbers);
                timestamps[i] = sample.Timestamp;
            }
            return count;
        }
    }

    /// <summary>String overload of <see cref="Read(Span{double}, Span{double}, int)"/>; numbers are formatted round-trip.</summary>
    public int Read(Span<string> data, Span<double> timestamps, int channels)
    {
        lock (_gate)
        {
            int count = Math.Min(_queue.Count, timestamps.Length);
            if (count > 0)
            {
                Interlocked.Exchange(ref _droppedBeforeLastRead, _dropped);
            }
            for (int i = 0; i < count; i++)
            {
                InSample sample = _queue.Dequeue();
                for (int k = 0; k < channels; k++)
                {
                    data[i * channels + k] = sample.Strings is not null
                        ? sample.Strings[k]
                        : sample.Numbers![k].ToString("R", CultureInfo.InvariantCulture);
                }
                _pool.Return(sample.Numbers);
                timestamps[i] = sample.Timestamp;
            }
            return count;
        }
    }

    /// <summary>Blocks until a sample is buffered (true), or the buffer is completed and empty or the timeout passed (false).</summary>
    public bool WaitForSample(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + ToMilliseconds(timeout);
        lock (_gate)
        {
            while (_queue.Count == 0 && !_completed)
            {
                long remaining = deadline - Environment.TickCount64;
                if (remaining <= 0)
                {
                    return false;
                }
                _syncWaiters++;
                try
                {
                    Monitor.Wait(_gate, (int)remaining);
                }
                finally
                {
                    _syncWaiters--;
                }
            }
            return _queue.Count > 0;
        }
    }

    /// <summary>
    /// Completes with true once a sample is buffered, with false when the buffer is completed and empty or
    /// <paramref name="timeout"/> passed; a cancelled <paramref name="cancellationToken"/> faults it with
    /// <see cref="OperationCanceledException"/>. One wait at a time.
    /// </summary>
    public ValueTask<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }
        long milliseconds = ToMilliseconds(timeout);
        lock (_gate)
        {
            if (_queue.Count > 0)
            {
                return new ValueTask<bool>(true);
            }
            if (_completed || milliseconds <= 0)
            {
                return new ValueTask<bool>(false);
            }
            if (_waiterArmed)
            {
                throw new InvalidOperationException("another pull is already waiting on this inlet; pull from one caller at a time");
            }
            _core.Reset();
            _waiterArmed = true;
            _waitToken = cancellationToken;
            _deadline = Environment.TickCount64 + milliseconds;
        }
        _timer.Change(milliseconds, Timeout.Infinite);
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(static s => ((InletBuffer)s!).OnCancel(), this);
        }
        return new ValueTask<bool>(this, _core.Version);
    }

    private void OnTimer()
    {
        bool wake = false;
        long remaining = 0;
        lock (_gate)
        {
            if (_waiterArmed)
            {
                remaining = _deadline - Environment.TickCount64;
                // A timer armed by an earlier wait can fire late; only the current wait's deadline counts.
                wake = remaining <= 0;
                _waiterArmed = !wake;
            }
        }
        if (wake)
        {
            _core.SetResult(false);
        }
        else if (remaining > 0)
        {
            _timer.Change(remaining, Timeout.Infinite);
        }
    }

    private void OnCancel()
    {
        bool wake;
        CancellationToken token;
        lock (_gate)
        {
            token = _waitToken;
            // A registration of an earlier wait may still run; only the current wait's token cancels it.
            wake = _waiterArmed && token.IsCancellationRequested;
            if (wake)
            {
                _waiterArmed = false;
            }
        }
        if (wake)
        {
            _core.SetException(new OperationCanceledException(token));
        }
    }

    private static long ToMilliseconds(TimeSpan timeout) =>
        timeout <= TimeSpan.Zero ? 0 : (long)Math.Min(Math.Ceiling(timeout.TotalMilliseconds), int.MaxValue - 1);

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        // Unregister (not Dispose): this may run inside the cancellation callback's continuation, and Dispose would wait for it.
        _registration.Unregister();
        _registration = default;
        return _core.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Completes the buffer and stops its timer.</summary>
    public void Dispose()
    {
        Complete();
        _timer.Dispose();
    }
}
