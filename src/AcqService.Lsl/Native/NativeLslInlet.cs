using AcqService.Core.Model;
using System.Buffers;
using System.Runtime.InteropServices;

namespace AcqService.Lsl.Native;

/// <summary>
/// <see cref="ILslInlet"/> over <c>lsl_inlet</c>. Pull from one thread at a time (liblsl's own rule without
/// <c>proc_threadsafe</c>); no post-processing is enabled, so timestamps are the sender's raw ones.
/// </summary>
/// <remarks>
/// <para><b>Pull semantics.</b> liblsl's <c>pull_chunk</c> keeps waiting until the whole buffer is full or the timeout
/// has run out. The interface wants "wait for the first sample, then return what is there", so a pull waits for one
/// sample with the timeout and then drains what <c>lsl_samples_available</c> reports with a zero timeout. This also keeps
/// <c>lsl_pull_chunk_str</c>, which mallocs a string for every slot it is given, from allocating for empty slots.</para>
/// <para><b>Recovery reporting: what liblsl can and cannot tell.</b> The C API has no recovery counter or callback.
/// The only signal is <c>lsl_was_clock_reset</c>: liblsl sets it when a recovery (re-resolve and reconnect to a new
/// outlet instance) happens while a clock offset estimate exists, and clears it when read. This inlet starts
/// liblsl's background time sync early (on <see cref="Open"/> or the first pull) so that an estimate usually exists.
/// Consequences: (1) several recoveries between two <see cref="TakeRecoveryCount"/> calls are reported as 1;
/// (2) a recovery within roughly the first second of the connection, or within about one time-sync interval
/// (<c>tuning.TimeUpdateInterval</c>, 2 s) of a previous recovery, is not reported, because no estimate exists then;
/// (3) an outlet that disappears and never comes back is not reported at all while recovery is on. Samples simply
/// stop, so watch for stalls. (4) With recovery off, or a stream without source_id, a loss surfaces as
/// <see cref="LslStreamLostException"/> from the next call instead. liblsl's harmless watchdog re-resolves, which find
/// the same uid, are correctly not counted.</para>
/// <para><b>Asynchronous members.</b> liblsl only blocks. An asynchronous pull first takes what is buffered without
/// waiting (completing synchronously, no allocation); only when nothing is there does it wait on a pool thread, in
/// slices of at most <see cref="s_waitSlice"/> so that cancellation is noticed within one slice. Every native call
/// keeps a finite timeout.</para>
/// </remarks>
internal sealed class NativeLslInlet : ILslInlet
{
    private readonly LslInletHandle _handle;
    private readonly int _channelCount;
    private readonly ChannelFormat _format;
    /// <summary>Longest single blocking liblsl wait behind an asynchronous pull; bounds how late a cancellation is seen.</summary>
    private static readonly TimeSpan s_waitSlice = TimeSpan.FromMilliseconds(50);

    private bool _timeSyncStarted;

    internal NativeLslInlet(LslInletHandle handle, LslStreamInfo info, int channelCount, ChannelFormat format)
    {
        _handle = handle;
        Info = info;
        _channelCount = channelCount;
        _format = format;
    }

    /// <inheritdoc />
    public LslStreamInfo Info { get; }

    /// <inheritdoc />
    public int SamplesAvailable
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return (int)Math.Min(Interop.Lsl.lsl_samples_available(_handle), int.MaxValue);
        }
    }

    /// <inheritdoc />
    public LslStreamInfo GetFullInfo(TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        int ec = Interop.Lsl.NoError; // lsl_get_fullinfo writes ec only on failure
        using LslStreamInfoHandle info = Interop.Lsl.lsl_get_fullinfo(_handle, LslErrors.ToSeconds(timeout), ref ec);
        LslErrors.ThrowIfError(ec, "lsl_get_fullinfo");
        if (info.IsInvalid)
        {
            throw new InvalidOperationException($"lsl_get_fullinfo returned NULL: {Interop.Lsl.LastError()}");
        }
        return Interop.Lsl.ToManaged(info);
    }

    /// <inheritdoc />
    /// <remarks>liblsl blocks; the wait runs on a pool thread (connect-time only).</remarks>
    public ValueTask<LslStreamInfo> GetFullInfoAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        new(Task.Run(() => GetFullInfo(timeout), cancellationToken));

    /// <inheritdoc />
    /// <remarks>liblsl blocks; the wait runs on a pool thread (connect-time only).</remarks>
    public ValueTask OpenAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        new(Task.Run(() => Open(timeout), cancellationToken));

    /// <inheritdoc />
    /// <remarks>Returns at once when liblsl has an estimate; otherwise waits on a pool thread.</remarks>
    public ValueTask<double> TimeCorrectionAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<double>(cancellationToken);
        }
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        int ec = Interop.Lsl.NoError;
        double offset = Interop.Lsl.lsl_time_correction(_handle, 0.0, ref ec);
        _timeSyncStarted = true;
        if (ec == Interop.Lsl.TimeoutError && timeout > TimeSpan.Zero)
        {
            return new ValueTask<double>(Task.Run(() => TimeCorrection(timeout), cancellationToken));
        }
        LslErrors.ThrowIfError(ec, "lsl_time_correction");
        return new ValueTask<double>(offset);
    }

    /// <inheritdoc />
    public ValueTask<int> PullChunkAsync(Memory<double> data, Memory<double> timestamps, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (_format == ChannelFormat.String)
        {
            throw new InvalidOperationException("this is a string stream; use the string overload of PullChunkAsync");
        }
        return PullAsync(data, timestamps, timeout, PullDoubles, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<int> PullChunkAsync(Memory<string> data, Memory<double> timestamps, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (_format != ChannelFormat.String)
        {
            throw new InvalidOperationException($"this is a {_format.ToName()} stream; use the numeric overload of PullChunkAsync");
        }
        return PullAsync(data, timestamps, timeout, PullStrings, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>Always 0: liblsl's C API does not report how many samples its inlet buffer dropped.</remarks>
    public long SamplesDropped => 0;

    /// <inheritdoc />
    /// <remarks>Always 0, as <see cref="SamplesDropped"/>.</remarks>
    public long SamplesDroppedBeforeLastPull => 0;

    private ValueTask<int> PullAsync<T>(Memory<T> data, Memory<double> timestamps, TimeSpan timeout, PullSlice<T> pull, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }
        LslErrors.ToSeconds(timeout);
        int got = Pull(data.Span, timestamps.Span, TimeSpan.Zero, pull);
        if (got > 0 || timeout == TimeSpan.Zero)
        {
            return new ValueTask<int>(got);
        }
        return new ValueTask<int>(Task.Run(() =>
        {
            long deadline = Environment.TickCount64 + (long)Math.Ceiling(timeout.TotalMilliseconds);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                long remaining = deadline - Environment.TickCount64;
                if (remaining <= 0)
                {
                    return 0;
                }
                TimeSpan slice = TimeSpan.FromMilliseconds(Math.Min(remaining, s_waitSlice.TotalMilliseconds));
                int n = Pull(data.Span, timestamps.Span, slice, pull);
                if (n > 0)
                {
                    return n;
                }
            }
        }, cancellationToken));
    }

    /// <inheritdoc />
    /// <exception cref="TimeoutException">The connection was not established within <paramref name="timeout"/>.</exception>
    public void Open(TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        int ec = Interop.Lsl.NoError;
        Interop.Lsl.lsl_open_stream(_handle, LslErrors.ToSeconds(timeout), ref ec);
        LslErrors.ThrowIfError(ec, "lsl_open_stream");
        StartTimeSync();
    }

    /// <inheritdoc />
    /// <exception cref="TimeoutException">No estimate within <paramref name="timeout"/> (the first one takes a few hundred ms).</exception>
    public double TimeCorrection(TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        int ec = Interop.Lsl.NoError;
        double offset = Interop.Lsl.lsl_time_correction(_handle, LslErrors.ToSeconds(timeout), ref ec);
        _timeSyncStarted = true;
        LslErrors.ThrowIfError(ec, "lsl_time_correction");
        return offset;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Values of any numeric format arrive converted to double by liblsl (int64 beyond ±2^53 loses precision).
    /// liblsl ends a chunk early at a sample whose timestamp is exactly 0.0; such a sample cannot be told apart from
    /// "no sample". liblsl outlets never send 0.0, because they replace it with the push time.
    /// </remarks>
    public int PullChunk(Span<double> data, Span<double> timestamps, TimeSpan timeout)
    {
        if (_format == ChannelFormat.String)
        {
            throw new InvalidOperationException("this is a string stream; use the string overload of PullChunk");
        }
        return Pull(data, timestamps, timeout, PullDoubles);
    }

    /// <inheritdoc />
    /// <remarks>Strings are decoded as UTF-8. liblsl hands them out NUL-terminated, so a value with an embedded NUL arrives cut at the NUL.</remarks>
    public int PullChunk(Span<string> data, Span<double> timestamps, TimeSpan timeout)
    {
        if (_format != ChannelFormat.String)
        {
            throw new InvalidOperationException($"this is a {_format.ToName()} stream; use the numeric overload of PullChunk");
        }
        return Pull(data, timestamps, timeout, PullStrings);
    }

    /// <inheritdoc />
    /// <remarks>0 or 1. See the class remarks for what liblsl can and cannot report.</remarks>
    public int TakeRecoveryCount()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        StartTimeSync();
        return Interop.Lsl.lsl_was_clock_reset(_handle) != 0 ? 1 : 0;
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();

    private delegate int PullSlice<T>(Span<T> data, Span<double> timestamps, int samples, double timeoutSeconds);

    private int Pull<T>(Span<T> data, Span<double> timestamps, TimeSpan timeout, PullSlice<T> pull)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        double seconds = LslErrors.ToSeconds(timeout);
        if (timestamps.Length == 0)
        {
            return 0;
        }
        if (data.Length < _channelCount)
        {
            throw new ArgumentException($"data holds {data.Length} values, less than one sample of {_channelCount} channels", nameof(data));
        }
        int capacity = Math.Min(timestamps.Length, data.Length / _channelCount);
        StartTimeSync();

        int got = 0;
        int available = SamplesAvailable;
        if (available == 0)
        {
            got = pull(data[.._channelCount], timestamps[..1], 1, seconds);
            if (got == 0)
            {
                return 0;
            }
            available = SamplesAvailable;
        }
        int more = Math.Min(available, capacity - got);
        if (more > 0)
        {
            got += pull(data.Slice(got * _channelCount, more * _channelCount), timestamps.Slice(got, more), more, 0.0);
        }
        return got;
    }

    private unsafe int PullDoubles(Span<double> data, Span<double> timestamps, int samples, double timeoutSeconds)
    {
        int ec = Interop.Lsl.NoError;
        ulong elements;
        // Sizes passed must be exact: data = samples × channels, timestamps = samples (liblsl checks both).
        fixed (double* d = data)
        fixed (double* t = timestamps)
        {
            elements = Interop.Lsl.lsl_pull_chunk_d(_handle, d, t, new CULong((nuint)(samples * _channelCount)), new CULong((nuint)samples), timeoutSeconds, ref ec).Value;
        }
        return Samples(ec, elements, "lsl_pull_chunk_d");
    }

    private unsafe int PullStrings(Span<string> data, Span<double> timestamps, int samples, double timeoutSeconds)
    {
        int slots = samples * _channelCount;
        nint[] pointers = ArrayPool<nint>.Shared.Rent(slots);
        Array.Clear(pointers, 0, slots);
        int ec = Interop.Lsl.NoError;
        ulong elements = 0;
        try
        {
            fixed (nint* p = pointers)
            fixed (double* t = timestamps)
            {
                elements = Interop.Lsl.lsl_pull_chunk_str(_handle, p, t, new CULong((nuint)slots), new CULong((nuint)samples), timeoutSeconds, ref ec).Value;
            }
            if (ec == Interop.Lsl.NoError)
            {
                for (int i = 0; i < (int)elements; i++)
                {
                    data[i] = Interop.Lsl.PtrToString(pointers[i]);
                }
            }
        }
        finally
        {
            // On success liblsl malloc'ed every slot, filled or not. On error it allocated nothing (or, on its own
            // malloc failure, already freed what it had), so only free after success.
            if (ec == Interop.Lsl.NoError)
            {
                for (int i = 0; i < slots; i++)
                {
                    if (pointers[i] != 0)
                    {
                        Interop.Lsl.lsl_destroy_string(pointers[i]);
                    }
                }
            }
            ArrayPool<nint>.Shared.Return(pointers);
        }
        return Samples(ec, elements, "lsl_pull_chunk_str");
    }

    private int Samples(int ec, ulong elements, string operation)
    {
        if (ec == Interop.Lsl.TimeoutError)
        {
            return 0;
        }
        LslErrors.ThrowIfError(ec, operation);
        return (int)(elements / (ulong)_channelCount);
    }

    /// <summary>
    /// Starts liblsl's background clock-offset estimation without waiting (timeout 0 returns at once), so that
    /// <c>lsl_was_clock_reset</c> can report recoveries later. Failures here are not the caller's concern: a lost
    /// stream is reported by the pull that follows.
    /// </summary>
    private void StartTimeSync()
    {
        if (_timeSyncStarted)
        {
            return;
        }
        _timeSyncStarted = true;
        int ec = Interop.Lsl.NoError;
        Interop.Lsl.lsl_time_correction(_handle, 0.0, ref ec);
    }
}
