using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using AcqService.Core.Analysis;
using AcqService.Core.Model;
using AcqService.Xdf;

namespace AcqService.Sources.Xdf;

/// <summary>
/// Damage that the file's structure cannot show: a bit flip inside a value or a timestamp leaves a well-formed chunk.
/// The rules (documented in <c>src/AcqService.Sources/Xdf/README.md</c>):
/// <list type="bullet">
/// <item>values: NaN or ±infinity, or a magnitude above <see cref="MaxVolts"/> V in the channel's unit (uV/µV, mV, V,
/// nV); no amplifier or optical detector puts out ten volts, while a flipped float exponent gives 1e+30 and more.
/// Channels in other units are checked for non-finite values only. And a single sample that leaves both its
/// neighbours by more than <see cref="SpikeFactor"/> × (their difference + <see cref="SpikeFloorMicrovolts"/> µV):
/// band-limited amplifier output cannot do that, a flipped exponent bit (×256 and more) does.</item>
/// <item>timestamps: non-finite; a step back of more than <see cref="BackwardToleranceSeconds"/> s (inside a chunk or
/// from the stream's previous sample); a step forward of more than <see cref="ForwardJumpSeconds"/> s inside a
/// chunk. A jump forward of more than that between chunks is a real gap only if the stream's next chunk continues
/// from there; the replay source holds such a chunk until it knows.</item>
/// </list>
/// A chunk that breaks a rule is skipped whole (its samples are counted), so no impossible value reaches the pipeline;
/// the timestamp jump it leaves is reported as a gap by the aligner like any other.
/// </summary>
internal static class XdfPlausibility
{
    /// <summary>Largest plausible magnitude of a voltage channel, in volts.</summary>
    public const double MaxVolts = 10;

    /// <summary>Jitter tolerated when consecutive timestamps go backwards (LSL stamps chunks at push time).</summary>
    public const double BackwardToleranceSeconds = 0.1;

    /// <summary>Step forward above which timestamps inside a chunk are damaged, and a jump between chunks must be confirmed.</summary>
    public const double ForwardJumpSeconds = 1.0;

    /// <summary>Per-channel magnitude limit in the channel's own unit (+∞ when the unit is not a voltage).</summary>
    public static double[] Limits(StreamDescriptor stream)
    {
        var limits = new double[stream.ChannelCount];
        for (int c = 0; c < limits.Length; c++)
        {
            string unit = stream.Channels[c].Unit;
            limits[c] = Units.IsKnownVoltage(unit) ? MaxVolts * 1e6 / Units.ToMicrovolts(unit) : double.PositiveInfinity;
        }
        return limits;
    }

    /// <summary>
    /// A sample further than this many times the step between its two neighbours (plus <see cref="SpikeFloorMicrovolts"/>)
    /// from their mean is an isolated spike: the amplifier's anti-alias filter makes that impossible, while a flipped
    /// float exponent bit multiplies one value by 256 or more.
    /// </summary>
    public const double SpikeFactor = 64;

    /// <summary>Noise floor of the spike rule, in µV (converted to the channel's unit; unknown units count as µV).</summary>
    public const double SpikeFloorMicrovolts = 10;

    /// <summary>Per-channel spike floor in the channel's own unit.</summary>
    public static double[] SpikeFloors(StreamDescriptor stream)
    {
        var floors = new double[stream.ChannelCount];
        for (int c = 0; c < floors.Length; c++)
        {
            floors[c] = SpikeFloorMicrovolts / Units.ToMicrovolts(stream.Channels[c].Unit);
        }
        return floors;
    }

    /// <summary>
    /// What is wrong with the values of a numeric chunk, or null. <paramref name="previous"/> is the stream's last
    /// accepted frame when it directly precedes this chunk (no gap), else null; the chunk's last frame has only one
    /// neighbour and is checked for non-finite and out-of-range values only.
    /// </summary>
    public static string? CheckValues(XdfSamplesChunk chunk, StreamDescriptor stream, double[] limits, double[] floors, double[]? previous)
    {
        double[] values = chunk.NumericValues!;
        int channels = chunk.ChannelCount;
        int frames = chunk.SampleCount;
        // Every value of a long recording passes through here, so whole frames are checked with vectors first and only a
        // frame that fails is walked value by value (which finds the same first value and builds the message).
        for (int f = 0; f < frames; f++)
        {
            if (!InRange(values.AsSpan(f * channels, channels), limits))
            {
                for (int c = 0; c < channels; c++)
                {
                    double v = values[(f * channels) + c];
                    if (!double.IsFinite(v) || Math.Abs(v) > limits[c])
                    {
                        ChannelDescriptor channel = stream.Channels[c];
                        string why = double.IsFinite(v)
                            ? string.Create(CultureInfo.InvariantCulture, $"magnitude above {limits[c]:G3} {channel.Unit} ({MaxVolts:0} V) is impossible")
                            : "not a finite number";
                        return string.Create(CultureInfo.InvariantCulture, $"sample {f} channel {channel.Label}: value {v:G6} {channel.Unit}: {why}");
                    }
                }
            }
        }
        for (int f = 0; f < frames; f++)
        {
            // Every frame whose rule is the same for all its channels (all values are finite by now) takes the vector
            // test; a frame it flags, and the rare edge cases it leaves out, take the exact per-value rule below. The
            // edge frames matter: files written in 10-sample chunks have one in five frames at an edge.
            if (NoSpike(values, f, frames, channels, floors, previous))
            {
                continue;
            }
            if (SpikeIn(values, f, frames, channels, floors, previous, stream) is string problem)
            {
                return problem;
            }
        }
        return null;
    }

    /// <summary>True when every value of the frame is finite and within its channel's limit (the same test as the per-value loop).</summary>
    private static bool InRange(ReadOnlySpan<double> frame, double[] limits)
    {
        int c = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ref double value = ref MemoryMarshal.GetReference(frame);
            ref double limit = ref MemoryMarshal.GetArrayDataReference(limits);
            for (; c + Vector<double>.Count <= frame.Length; c += Vector<double>.Count)
            {
                Vector<double> v = Vector.LoadUnsafe(ref value, (nuint)c);
                // |v| ≤ limit is false for NaN; v − v = 0 is false for ±∞ (also when the limit is +∞).
                if (!Vector.LessThanOrEqualAll(Vector.Abs(v), Vector.LoadUnsafe(ref limit, (nuint)c)) || !Vector.EqualsAll(v - v, Vector<double>.Zero))
                {
                    return false;
                }
            }
        }
        for (; c < frame.Length; c++)
        {
            if (!double.IsFinite(frame[c]) || Math.Abs(frame[c]) > limits[c])
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Vector form of the spike rule for frame <paramref name="f"/>: true when no channel is a spike, false when some
    /// channel may be one or the frame is a case the per-value rule decides alone. It picks the same neighbours as
    /// <see cref="SpikeIn"/> and evaluates the same expressions, so a true here is exactly the per-value verdict.
    /// </summary>
    private static bool NoSpike(double[] values, int f, int frames, int channels, double[] floors, double[]? previous)
    {
        if (!Vector.IsHardwareAccelerated || channels % Vector<double>.Count != 0)
        {
            return false;
        }
        ref double data = ref MemoryMarshal.GetArrayDataReference(values);
        ref double floor = ref MemoryMarshal.GetArrayDataReference(floors);
        ref double frame = ref Unsafe.Add(ref data, f * channels);
        // Every row below exists (f − 1 ≥ 0, f + 1 < frames, f + 2 < frames as each case requires) and holds channels values.
        if (f > 0 && f < frames - 1)
        {
            return NoTwoSidedSpike(ref Unsafe.Add(ref data, (f - 1) * channels), ref frame, ref Unsafe.Add(ref data, (f + 1) * channels), ref floor, channels);
        }
        if (f == 0 && previous is not null && frames > 1 && previous.Length == channels)
        {
            // The per-value rule takes another branch for a NaN in the previous frame; leave that to it.
            ref double before = ref MemoryMarshal.GetArrayDataReference(previous);
            return AllNumbers(ref before, channels)
                && NoTwoSidedSpike(ref before, ref frame, ref Unsafe.Add(ref data, channels), ref floor, channels);
        }
        if (f == frames - 1 && f >= 2)
        {
            // Last frame: judged by the step before it.
            return NoOneSidedSpike(ref frame, ref Unsafe.Add(ref data, (f - 1) * channels), ref Unsafe.Add(ref data, (f - 2) * channels), ref floor, channels);
        }
        if (f == 0 && previous is null && frames >= 3)
        {
            // First frame after a gap: judged by the step after it (|a − b| = |b − a| exactly).
            return NoOneSidedSpike(ref frame, ref Unsafe.Add(ref data, channels), ref Unsafe.Add(ref data, 2 * channels), ref floor, channels);
        }
        return false;
    }

    /// <summary>No channel of <paramref name="v"/> is further than the spike allowance from the mean of its neighbours.</summary>
    private static bool NoTwoSidedSpike(ref double before, ref double v, ref double after, ref double floor, int channels)
    {
        var factor = new Vector<double>(SpikeFactor);
        var two = new Vector<double>(2);
        for (int c = 0; c < channels; c += Vector<double>.Count)
        {
            Vector<double> b = Vector.LoadUnsafe(ref before, (nuint)c);
            Vector<double> a = Vector.LoadUnsafe(ref after, (nuint)c);
            Vector<double> expected = (b + a) / two;
            Vector<double> allowed = factor * (Vector.Abs(a - b) + Vector.LoadUnsafe(ref floor, (nuint)c));
            if (Vector.GreaterThanAny(Vector.Abs(Vector.LoadUnsafe(ref v, (nuint)c) - expected), allowed))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>No channel of <paramref name="v"/> is further from its one neighbour than the spike allowance of the next step.</summary>
    private static bool NoOneSidedSpike(ref double v, ref double near, ref double far, ref double floor, int channels)
    {
        var factor = new Vector<double>(SpikeFactor);
        for (int c = 0; c < channels; c += Vector<double>.Count)
        {
            Vector<double> n = Vector.LoadUnsafe(ref near, (nuint)c);
            Vector<double> allowed = factor * (Vector.Abs(n - Vector.LoadUnsafe(ref far, (nuint)c)) + Vector.LoadUnsafe(ref floor, (nuint)c));
            if (Vector.GreaterThanAny(Vector.Abs(Vector.LoadUnsafe(ref v, (nuint)c) - n), allowed))
            {
                return false;
            }
        }
        return true;
    }

    private static bool AllNumbers(ref double values, int count)
    {
        for (int c = 0; c < count; c += Vector<double>.Count)
        {
            Vector<double> x = Vector.LoadUnsafe(ref values, (nuint)c);
            if (!Vector.EqualsAll(x, x))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The spike rule for every channel of frame <paramref name="f"/>, value by value; the problem text or null.</summary>
    private static string? SpikeIn(double[] values, int f, int frames, int channels, double[] floors, double[]? previous, StreamDescriptor stream)
    {
        for (int c = 0; c < channels; c++)
        {
            double before = f > 0 ? values[((f - 1) * channels) + c] : previous is not null ? previous[c] : double.NaN;
            double after = f < frames - 1 ? values[((f + 1) * channels) + c] : double.NaN;
            double v = values[(f * channels) + c];
            double expected, allowed;
            if (!double.IsNaN(before) && !double.IsNaN(after))
            {
                expected = (before + after) / 2;
                allowed = SpikeFactor * (Math.Abs(after - before) + floors[c]);
            }
            else if (!double.IsNaN(before) && f >= 2)
            {
                // Last frame of the chunk: judged by the step before it (its right neighbour is in the next chunk).
                expected = before;
                allowed = SpikeFactor * (Math.Abs(before - values[((f - 2) * channels) + c]) + floors[c]);
            }
            else if (!double.IsNaN(after) && f + 2 < frames)
            {
                // First frame after a gap: judged by the step after it.
                expected = after;
                allowed = SpikeFactor * (Math.Abs(values[((f + 2) * channels) + c] - after) + floors[c]);
            }
            else
            {
                continue;
            }
            if (Math.Abs(v - expected) > allowed)
            {
                ChannelDescriptor channel = stream.Channels[c];
                return string.Create(CultureInfo.InvariantCulture,
                    $"sample {f} channel {channel.Label}: value {v:G6} {channel.Unit} is an isolated spike (more than {allowed:G3} {channel.Unit} off its neighbours {before:G6} / {after:G6}; impossible after the amplifier's filter)");
            }
        }
        return null;
    }

    /// <summary>What is wrong with the timestamps inside a chunk, given the stream's previous accepted timestamp (NaN: none).</summary>
    public static string? CheckTimestamps(double[] timestamps, double previous, bool checkForwardSteps)
    {
        for (int i = 0; i < timestamps.Length; i++)
        {
            double t = timestamps[i];
            if (!double.IsFinite(t))
            {
                return string.Create(CultureInfo.InvariantCulture, $"sample {i}: timestamp {t} is not a finite number");
            }
            double before = i > 0 ? timestamps[i - 1] : previous;
            if (double.IsNaN(before))
            {
                continue;
            }
            double step = t - before;
            if (step < -BackwardToleranceSeconds)
            {
                return string.Create(CultureInfo.InvariantCulture, $"sample {i}: timestamp {t:0.######} goes back {-step:G4} s from {before:0.######}");
            }
            if (i > 0 && checkForwardSteps && step > ForwardJumpSeconds)
            {
                return string.Create(CultureInfo.InvariantCulture, $"sample {i}: timestamp {t:0.######} jumps {step:G4} s ahead inside one chunk");
            }
        }
        return null;
    }
}
