using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;

namespace AcqService.Dsp;

/// <summary>
/// Causal cascade of second-order sections applied independently to each channel of interleaved
/// (frame-major) data, with double-precision state kept between calls so that a signal filtered in
/// chunks equals the same signal filtered in one call (SciPy <c>sosfilt</c> with zero initial state).
/// Allocation-free after construction; not thread-safe.
/// <para>
/// When the hardware accelerates <see cref="Vector{T}"/>, blocks of <c>Vector&lt;double&gt;.Count</c> adjacent channels
/// are filtered together, one channel per lane, since the channels of a frame are contiguous. Each lane performs the
/// same multiplications and additions in the same order as the scalar recursion (no fused multiply-add), so the
/// output is bit-identical to channel-by-channel filtering; the channels left over after the last whole block are
/// filtered one by one.
/// </para>
/// </summary>
public sealed class SosFilter
{
    private readonly double[] _sos;
    private readonly int _sections;
    private readonly int _channels;

    // Two direct-form-II-transposed delay values per section per channel: [section][delay][channel], so that the
    // delays of adjacent channels (one vector block) are contiguous.
    private readonly double[] _state;

    /// <summary>Creates a filter for <paramref name="channels"/> interleaved channels.</summary>
    /// <param name="sos">Sections in SciPy layout, 6 values per section.</param>
    /// <param name="channels">Number of interleaved channels (≥ 1).</param>
    /// <exception cref="ArgumentNullException"><paramref name="sos"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="sos"/> is empty, not a multiple of 6 long, has a section with <c>a0 ≠ 1</c>, or holds a non-finite value.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="channels"/> is below 1.</exception>
    public SosFilter(double[] sos, int channels)
    {
        ArgumentNullException.ThrowIfNull(sos);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        if (sos.Length == 0 || sos.Length % 6 != 0)
        {
            throw new ArgumentException($"SOS needs 6 values per section and at least one section; got length {sos.Length}.", nameof(sos));
        }

        for (int i = 0; i < sos.Length; i++)
        {
            if (!double.IsFinite(sos[i]))
            {
                throw new ArgumentException($"SOS value {i} is {sos[i]}.", nameof(sos));
            }
        }

        for (int s = 0; s < sos.Length; s += 6)
        {
            // Same rule as SciPy's sosfilt: sections must be normalised, the recursion assumes a0 = 1.
            if (sos[s + 3] != 1.0)
            {
                throw new ArgumentException($"Section {s / 6} has a0 = {sos[s + 3]}; SOS rows must be normalised to a0 = 1.", nameof(sos));
            }
        }

        // Copy so that later changes to the caller's array cannot alter a running filter.
        _sos = (double[])sos.Clone();
        _sections = sos.Length / 6;
        _channels = channels;
        _state = new double[channels * _sections * 2];
    }

    /// <summary>Number of second-order sections.</summary>
    public int Sections => _sections;

    /// <summary>Number of interleaved channels this filter keeps state for.</summary>
    public int Channels => _channels;

    /// <summary>Clears the filter state (as if no sample had been seen).</summary>
    public void Reset() => Array.Clear(_state);

    /// <summary>Filters <c>frames × Channels</c> interleaved values in place.</summary>
    /// <exception cref="ArgumentException">The length is not a multiple of <see cref="Channels"/>.</exception>
    public void Process(Span<double> interleaved)
    {
        if (interleaved.Length % _channels != 0)
        {
            throw new ArgumentException($"Length {interleaved.Length} is not a whole number of {_channels}-channel frames.", nameof(interleaved));
        }

        int vectorChannels = UseVectors && Vector.IsHardwareAccelerated ? _channels - (_channels % Vector<double>.Count) : 0;
        if (vectorChannels > 0)
        {
            ProcessVectorBlocks(interleaved, vectorChannels);
        }

        for (int ch = vectorChannels; ch < _channels; ch++)
        {
            ProcessChannel(interleaved, ch);
        }
    }

    /// <summary>
    /// When false, every channel takes the scalar path (tests compare the two paths bit for bit). Defaults to true;
    /// the vector path is only taken when <see cref="Vector.IsHardwareAccelerated"/> is also true.
    /// </summary>
    internal bool UseVectors { get; set; } = true;

    private void ProcessChannel(Span<double> interleaved, int ch)
    {
        int channels = _channels;
        for (int s = 0; s < _sections; s++)
        {
            // Running one section over the whole chunk before the next is exact: each section is causal, and
            // every output value sees the same operations in the same order as sosfilt's sample-outer loop.
            // It keeps the coefficients and both delays in registers.
            int c = s * 6;
            double b0 = _sos[c], b1 = _sos[c + 1], b2 = _sos[c + 2], a1 = _sos[c + 4], a2 = _sos[c + 5];
            int z = (s * 2 * channels) + ch;
            double z0 = _state[z], z1 = _state[z + channels];
            for (int i = ch; i < interleaved.Length; i += channels)
            {
                double x = interleaved[i];
                double y = b0 * x + z0;
                z0 = b1 * x - a1 * y + z1;
                z1 = b2 * x - a2 * y;
                interleaved[i] = y;
            }

            _state[z] = z0;
            _state[z + channels] = z1;
        }
    }

    // The scalar recursion above with a vector of adjacent channels in place of one channel: the same expressions,
    // evaluated lane by lane, hence the same rounding in every lane.
    private void ProcessVectorBlocks(Span<double> interleaved, int vectorChannels)
    {
        int channels = _channels;
        int width = Vector<double>.Count;
        int frames = interleaved.Length / channels;
        ref double data = ref MemoryMarshal.GetReference(interleaved);
        ref double state = ref MemoryMarshal.GetArrayDataReference(_state);
        for (int s = 0; s < _sections; s++)
        {
            int c = s * 6;
            var b0 = new Vector<double>(_sos[c]);
            var b1 = new Vector<double>(_sos[c + 1]);
            var b2 = new Vector<double>(_sos[c + 2]);
            var a1 = new Vector<double>(_sos[c + 4]);
            var a2 = new Vector<double>(_sos[c + 5]);
            int zBase = s * 2 * channels;
            nuint end = (nuint)(frames * channels);
            int ch = 0;
            // Four blocks at a time. One block's recursion is a chain of dependent operations from frame to frame
            // (about 12 cycles of latency per frame), so a lone block leaves the vector units mostly idle; four
            // independent chains in one loop keep them busy. 512-bit blocks first where the hardware has full-width
            // 512-bit units (Vector<T> stays at 256 bits in .NET), then Vector<T> blocks. Each lane still sees exactly
            // the scalar expressions.
            if (Vector512.IsHardwareAccelerated && UseVector512)
            {
                ch = FourBlocks<Lanes512>(ref data, ref state, end, zBase, ch, vectorChannels, c);
            }

            ch = FourBlocks<LanesT>(ref data, ref state, end, zBase, ch, vectorChannels, c);

            for (; ch < vectorChannels; ch += width)
            {
                nuint z = (nuint)(zBase + ch);
                Vector<double> z0 = Vector.LoadUnsafe(ref state, z);
                Vector<double> z1 = Vector.LoadUnsafe(ref state, z + (nuint)channels);
                // ch + width ≤ vectorChannels ≤ channels and frames · channels = length: every load and store is inside the span.
                for (nuint i = (nuint)ch; i < end; i += (nuint)channels)
                {
                    Vector<double> x = Vector.LoadUnsafe(ref data, i);
                    Vector<double> y = b0 * x + z0;
                    z0 = b1 * x - a1 * y + z1;
                    z1 = b2 * x - a2 * y;
                    y.StoreUnsafe(ref data, i);
                }

                z0.StoreUnsafe(ref state, z);
                z1.StoreUnsafe(ref state, z + (nuint)channels);
            }
        }
    }

    /// <summary>When false, the 512-bit path is skipped (tests compare it with the narrower one bit for bit).</summary>
    internal bool UseVector512 { get; set; } = true;

    // Section s (coefficients at c) for groups of four blocks of TLanes.Count adjacent channels, from channel `from` while
    // whole groups fit below vectorChannels. Returns the first channel it did not filter.
    private int FourBlocks<TLanes>(ref double data, ref double state, nuint end, int zBase, int from, int vectorChannels, int c)
        where TLanes : struct, ILanes<TLanes>
    {
        int channels = _channels;
        int width = TLanes.Count;
        TLanes b0 = TLanes.Broadcast(_sos[c]);
        TLanes b1 = TLanes.Broadcast(_sos[c + 1]);
        TLanes b2 = TLanes.Broadcast(_sos[c + 2]);
        TLanes a1 = TLanes.Broadcast(_sos[c + 4]);
        TLanes a2 = TLanes.Broadcast(_sos[c + 5]);
        nuint w = (nuint)width;
        int ch = from;
        for (; ch + (4 * width) <= vectorChannels; ch += 4 * width)
        {
            nuint z = (nuint)(zBase + ch);
            nuint z1 = z + (nuint)channels;
            TLanes z0a = TLanes.Load(ref state, z);
            TLanes z0b = TLanes.Load(ref state, z + w);
            TLanes z0c = TLanes.Load(ref state, z + (2 * w));
            TLanes z0d = TLanes.Load(ref state, z + (3 * w));
            TLanes z1a = TLanes.Load(ref state, z1);
            TLanes z1b = TLanes.Load(ref state, z1 + w);
            TLanes z1c = TLanes.Load(ref state, z1 + (2 * w));
            TLanes z1d = TLanes.Load(ref state, z1 + (3 * w));
            // ch + 4 · width ≤ vectorChannels ≤ channels: the four blocks of every frame are inside the span.
            for (nuint i = (nuint)ch; i < end; i += (nuint)channels)
            {
                TLanes xa = TLanes.Load(ref data, i);
                TLanes xb = TLanes.Load(ref data, i + w);
                TLanes xc = TLanes.Load(ref data, i + (2 * w));
                TLanes xd = TLanes.Load(ref data, i + (3 * w));
                TLanes ya = b0 * xa + z0a;
                TLanes yb = b0 * xb + z0b;
                TLanes yc = b0 * xc + z0c;
                TLanes yd = b0 * xd + z0d;
                z0a = b1 * xa - a1 * ya + z1a;
                z0b = b1 * xb - a1 * yb + z1b;
                z0c = b1 * xc - a1 * yc + z1c;
                z0d = b1 * xd - a1 * yd + z1d;
                z1a = b2 * xa - a2 * ya;
                z1b = b2 * xb - a2 * yb;
                z1c = b2 * xc - a2 * yc;
                z1d = b2 * xd - a2 * yd;
                ya.Store(ref data, i);
                yb.Store(ref data, i + w);
                yc.Store(ref data, i + (2 * w));
                yd.Store(ref data, i + (3 * w));
            }

            z0a.Store(ref state, z);
            z0b.Store(ref state, z + w);
            z0c.Store(ref state, z + (2 * w));
            z0d.Store(ref state, z + (3 * w));
            z1a.Store(ref state, z1);
            z1b.Store(ref state, z1 + w);
            z1c.Store(ref state, z1 + (2 * w));
            z1d.Store(ref state, z1 + (3 * w));
        }

        return ch;
    }

    // One vector of doubles of either width, so that FourBlocks is written once; the JIT compiles it separately for each
    // struct and inlines these members, so the loop is the same as one written for that vector type.
    private interface ILanes<TSelf>
        where TSelf : struct, ILanes<TSelf>
    {
        static abstract int Count { get; }

        static abstract TSelf Broadcast(double value);

        static abstract TSelf Load(ref double source, nuint offset);

        static abstract TSelf operator +(TSelf left, TSelf right);

        static abstract TSelf operator -(TSelf left, TSelf right);

        static abstract TSelf operator *(TSelf left, TSelf right);

        void Store(ref double destination, nuint offset);
    }

    private readonly struct LanesT(Vector<double> value) : ILanes<LanesT>
    {
        private readonly Vector<double> _value = value;

        public static int Count => Vector<double>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static LanesT Broadcast(double value) => new(new Vector<double>(value));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static LanesT Load(ref double source, nuint offset) => new(Vector.LoadUnsafe(ref source, offset));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static LanesT operator +(LanesT left, LanesT right) => new(left._value + right._value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static LanesT operator -(LanesT left, LanesT right) => new(left._value - right._value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static LanesT operator *(LanesT left, LanesT right) => new(left._value * right._value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(ref double destination, nuint offset) => _value.StoreUnsafe(ref destination, offset);
    }

    private readonly struct Lanes512(Vector512<double> value) : ILanes<Lanes512>
    {
        private readonly Vector512<double> _value = value;

        public static int Count => Vector512<double>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes512 Broadcast(double value) => new(Vector512.Create(value));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes512 Load(ref double source, nuint offset) => new(Vector512.LoadUnsafe(ref source, offset));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes512 operator +(Lanes512 left, Lanes512 right) => new(left._value + right._value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes512 operator -(Lanes512 left, Lanes512 right) => new(left._value - right._value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes512 operator *(Lanes512 left, Lanes512 right) => new(left._value * right._value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(ref double destination, nuint offset) => _value.StoreUnsafe(ref destination, offset);
    }

    /// <summary>Filters <paramref name="input"/> into <paramref name="output"/> (same length, may not overlap partially).</summary>
    /// <exception cref="ArgumentException">Lengths differ, are not a multiple of <see cref="Channels"/>, or the spans overlap partially.</exception>
    public void Process(ReadOnlySpan<double> input, Span<double> output)
    {
        if (input.Length != output.Length)
        {
            throw new ArgumentException($"Output length {output.Length} differs from input length {input.Length}.", nameof(output));
        }

        if (input.Length % _channels != 0)
        {
            throw new ArgumentException($"Length {input.Length} is not a whole number of {_channels}-channel frames.", nameof(input));
        }

        if (input.Overlaps(output, out int elementOffset) && elementOffset != 0)
        {
            throw new ArgumentException("Input and output overlap partially.", nameof(output));
        }

        // Identical spans make this an in-place call; otherwise filter a copy in the output buffer.
        input.CopyTo(output);
        Process(output);
    }
}
