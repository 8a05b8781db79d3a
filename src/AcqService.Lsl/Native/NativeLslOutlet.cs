using AcqService.Core.Model;
using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;

namespace AcqService.Lsl.Native;

/// <summary>
/// <see cref="ILslOutlet"/> over <c>lsl_outlet</c>. Every push goes through the <c>lsl_push_chunk_*tnp</c> family
/// (one timestamp per sample, explicit pushthrough). Values are handed to liblsl in the stream's own type where the
/// interface promises exactness (float32 → <c>_ftnp</c>, int64/int32/int16/int8 from <see cref="long"/>); other
/// combinations rely on liblsl's conversion.
/// </summary>
internal sealed class NativeLslOutlet : ILslOutlet
{
    private readonly LslOutletHandle _handle;
    private readonly int _channelCount;
    private readonly ChannelFormat _format;

    internal NativeLslOutlet(LslOutletHandle handle, int channelCount, ChannelFormat format)
    {
        _handle = handle;
        _channelCount = channelCount;
        _format = format;
        // lsl_get_info returns a copy with uid, ports, hostname and created_at filled in by the outlet.
        using LslStreamInfoHandle info = Interop.Lsl.lsl_get_info(_handle);
        if (info.IsInvalid)
        {
            throw new InvalidOperationException($"lsl_get_info returned NULL: {Interop.Lsl.LastError()}");
        }
        Info = Interop.Lsl.ToManaged(info);
    }

    /// <inheritdoc />
    public LslStreamInfo Info { get; }

    /// <inheritdoc />
    public bool HaveConsumers
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return Interop.Lsl.lsl_have_consumers(_handle) != 0;
        }
    }

    /// <inheritdoc />
    public bool WaitForConsumers(TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        return Interop.Lsl.lsl_wait_for_consumers(_handle, LslErrors.ToSeconds(timeout)) != 0;
    }

    /// <inheritdoc />
    public unsafe void PushChunk(ReadOnlySpan<double> data, ReadOnlySpan<double> timestamps, bool pushthrough = true)
    {
        if (!Validate(data.Length, timestamps.Length, numeric: true))
        {
            return;
        }
        if (_format == ChannelFormat.Float32)
        {
            // Convert here so float32 streams get exactly (float)value, the same rounding as the managed backend.
            float[] rented = ArrayPool<float>.Shared.Rent(data.Length);
            try
            {
                for (int i = 0; i < data.Length; i++)
                {
                    rented[i] = (float)data[i];
                }
                PushChunk(rented.AsSpan(0, data.Length), timestamps, pushthrough);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(rented);
            }
            return;
        }
        fixed (double* d = data)
        fixed (double* t = timestamps)
        {
            LslErrors.ThrowIfError(Interop.Lsl.lsl_push_chunk_dtnp(_handle, d, Elements(data.Length), t, pushthrough ? 1 : 0), "lsl_push_chunk_dtnp");
        }
    }

    /// <inheritdoc />
    public unsafe void PushChunk(ReadOnlySpan<float> data, ReadOnlySpan<double> timestamps, bool pushthrough = true)
    {
        if (!Validate(data.Length, timestamps.Length, numeric: true))
        {
            return;
        }
        fixed (float* d = data)
        fixed (double* t = timestamps)
        {
            LslErrors.ThrowIfError(Interop.Lsl.lsl_push_chunk_ftnp(_handle, d, Elements(data.Length), t, pushthrough ? 1 : 0), "lsl_push_chunk_ftnp");
        }
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">A value does not fit the stream's integer format (never silently truncated).</exception>
    public unsafe void PushChunk(ReadOnlySpan<long> data, ReadOnlySpan<double> timestamps, bool pushthrough = true)
    {
        if (!Validate(data.Length, timestamps.Length, numeric: true))
        {
            return;
        }
        int push = pushthrough ? 1 : 0;
        CULong elements = Elements(data.Length);
        switch (_format)
        {
            case ChannelFormat.Int32:
                PushNarrowed<int>(data, timestamps, push, int.MinValue, int.MaxValue, static (o, d, n, t, p) => Interop.Lsl.lsl_push_chunk_itnp(o, d, n, t, p), "lsl_push_chunk_itnp");
                return;
            case ChannelFormat.Int16:
                PushNarrowed<short>(data, timestamps, push, short.MinValue, short.MaxValue, static (o, d, n, t, p) => Interop.Lsl.lsl_push_chunk_stnp(o, d, n, t, p), "lsl_push_chunk_stnp");
                return;
            case ChannelFormat.Int8:
                PushNarrowed<sbyte>(data, timestamps, push, sbyte.MinValue, sbyte.MaxValue, static (o, d, n, t, p) => Interop.Lsl.lsl_push_chunk_ctnp(o, d, n, t, p), "lsl_push_chunk_ctnp");
                return;
            default:
                // int64 exactly; float/double streams take liblsl's int64 → floating conversion.
                fixed (long* d = data)
                fixed (double* t = timestamps)
                {
                    LslErrors.ThrowIfError(Interop.Lsl.lsl_push_chunk_ltnp(_handle, d, elements, t, push), "lsl_push_chunk_ltnp");
                }
                return;
        }
    }

    /// <inheritdoc />
    public unsafe void PushChunk(ReadOnlySpan<string> data, ReadOnlySpan<double> timestamps, bool pushthrough = true)
    {
        if (!Validate(data.Length, timestamps.Length, numeric: false))
        {
            return;
        }
        // One pinned UTF-8 block plus pointer and length arrays; liblsl copies everything before returning.
        int totalBytes = 0;
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] is null)
            {
                throw new ArgumentException($"string sample value {i} is null", nameof(data));
            }
            totalBytes = checked(totalBytes + Encoding.UTF8.GetByteCount(data[i]));
        }
        byte[] bytes = ArrayPool<byte>.Shared.Rent(Math.Max(1, totalBytes));
        nint[] pointers = ArrayPool<nint>.Shared.Rent(data.Length);
        uint[] lengths = ArrayPool<uint>.Shared.Rent(data.Length);
        try
        {
            fixed (byte* b = bytes)
            fixed (nint* p = pointers)
            fixed (uint* l = lengths)
            fixed (double* t = timestamps)
            {
                int offset = 0;
                for (int i = 0; i < data.Length; i++)
                {
                    int written = Encoding.UTF8.GetBytes(data[i], bytes.AsSpan(offset));
                    p[i] = (nint)(b + offset);
                    l[i] = (uint)written;
                    offset += written;
                }
                LslErrors.ThrowIfError(
                    Interop.Lsl.lsl_push_chunk_buftnp(_handle, (byte**)p, l, Elements(data.Length), t, pushthrough ? 1 : 0),
                    "lsl_push_chunk_buftnp");
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            ArrayPool<nint>.Shared.Return(pointers);
            ArrayPool<uint>.Shared.Return(lengths);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();

    private unsafe delegate int NarrowPush<T>(LslOutletHandle outlet, T* data, CULong elements, double* timestamps, int pushthrough) where T : unmanaged;

    private unsafe void PushNarrowed<T>(ReadOnlySpan<long> data, ReadOnlySpan<double> timestamps, int pushthrough, long min, long max,
        NarrowPush<T> push, string operation) where T : unmanaged, IBinaryInteger<T>
    {
        T[] rented = ArrayPool<T>.Shared.Rent(data.Length);
        try
        {
            for (int i = 0; i < data.Length; i++)
            {
                long value = data[i];
                if (value < min || value > max)
                {
                    throw new ArgumentOutOfRangeException(nameof(data), value, $"value {i} does not fit the stream's {_format.ToName()} format");
                }
                rented[i] = T.CreateTruncating(value);
            }
            fixed (T* d = rented)
            fixed (double* t = timestamps)
            {
                LslErrors.ThrowIfError(push(_handle, d, Elements(data.Length), t, pushthrough), operation);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Checks the shape before anything reaches liblsl: its pointer-based push functions trust the caller about buffer
    /// sizes. Returns false for an empty chunk (nothing to do).
    /// </summary>
    private bool Validate(int dataLength, int timestampCount, bool numeric)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (numeric == (_format == ChannelFormat.String))
        {
            throw new InvalidOperationException(numeric
                ? "numeric samples cannot be pushed to a string stream; use the string overload"
                : $"string samples can only be pushed to string streams (this one is {_format.ToName()})");
        }
        if ((long)timestampCount * _channelCount != dataLength)
        {
            throw new ArgumentException(
                $"data holds {dataLength} values but {timestampCount} timestamps × {_channelCount} channels = {(long)timestampCount * _channelCount} are needed");
        }
        return timestampCount > 0;
    }

    private static CULong Elements(int count) => new((nuint)count);
}
