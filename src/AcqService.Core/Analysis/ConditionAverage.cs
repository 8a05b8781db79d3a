using System.Numerics;
using System.Runtime.InteropServices;

namespace AcqService.Core.Analysis;

/// <summary>
/// Running average of the accepted epochs of one condition on one stream (Welford's algorithm per channel
/// and time point, so the standard error needs no second pass and no stored epochs).
/// Layout: <c>[channel * TimePoints + k]</c>; amplitudes in µV.
/// </summary>
public sealed class ConditionAverage
{
    private readonly double[] _mean;
    private readonly double[] _m2;

    /// <summary>Creates an empty average.</summary>
    public ConditionAverage(string condition, string streamKey, IReadOnlyList<string> channels, double[] timesSeconds)
    {
        Condition = condition;
        StreamKey = streamKey;
        Channels = channels;
        Times = timesSeconds;
        _mean = new double[channels.Count * timesSeconds.Length];
        _m2 = new double[_mean.Length];
    }

    /// <summary>Condition name.</summary>
    public string Condition { get; }

    /// <summary>Key of the epoched stream.</summary>
    public string StreamKey { get; }

    /// <summary>Channel labels, in row order.</summary>
    public IReadOnlyList<string> Channels { get; }

    /// <summary>Time of each point relative to the marker, in seconds.</summary>
    public double[] Times { get; }

    /// <summary>Number of time points per channel.</summary>
    public int TimePoints => Times.Length;

    /// <summary>Epochs averaged.</summary>
    public int Count { get; private set; }

    /// <summary>Mean amplitude (µV), <c>[channel * TimePoints + k]</c>.</summary>
    public ReadOnlySpan<double> Mean => _mean;

    /// <summary>Mean of one channel.</summary>
    public ReadOnlySpan<double> MeanOf(int channel) => _mean.AsSpan(channel * Times.Length, Times.Length);

    /// <summary>Adds one epoch (same layout as <see cref="Mean"/>).</summary>
    public void Add(ReadOnlySpan<double> epoch) => Add(epoch, []);

    /// <summary>
    /// Adds one epoch less a constant per channel: the value added at <c>[channel * TimePoints + k]</c> is
    /// <c>epoch[channel * TimePoints + k] − rowOffsets[channel]</c>, the same double as subtracting first and adding the
    /// result. Baseline correction rides on this pass instead of taking one of its own over the epoch.
    /// </summary>
    /// <param name="epoch">Values, same layout as <see cref="Mean"/>.</param>
    /// <param name="rowOffsets">One value per channel, or empty for none.</param>
    public void Add(ReadOnlySpan<double> epoch, ReadOnlySpan<double> rowOffsets)
    {
        if (epoch.Length != _mean.Length)
        {
            throw new ArgumentException($"epoch has {epoch.Length} values, expected {_mean.Length}", nameof(epoch));
        }
        if (!rowOffsets.IsEmpty && rowOffsets.Length != Channels.Count)
        {
            throw new ArgumentException($"{rowOffsets.Length} row offsets for {Channels.Count} channels", nameof(rowOffsets));
        }
        Count++;
        double inverse = 1.0 / Count;
        int points = Times.Length;
        for (int c = 0; c < Channels.Count; c++)
        {
            // x − 0 is x for every double (−0 included), so "no offsets" takes the same expressions.
            double offset = rowOffsets.IsEmpty ? 0 : rowOffsets[c];
            int row = c * points;
            int k = 0;
            if (Vector.IsHardwareAccelerated)
            {
                // Welford's update is per value, so whole vectors of values take exactly the scalar expressions.
                var vectorInverse = new Vector<double>(inverse);
                var vectorOffset = new Vector<double>(offset);
                ref double x0 = ref MemoryMarshal.GetReference(epoch);
                ref double mean0 = ref MemoryMarshal.GetArrayDataReference(_mean);
                ref double m20 = ref MemoryMarshal.GetArrayDataReference(_m2);
                // row + k + width ≤ row + points ≤ epoch.Length = _mean.Length = _m2.Length: every access is inside.
                for (; k + Vector<double>.Count <= points; k += Vector<double>.Count)
                {
                    nuint i = (nuint)(row + k);
                    Vector<double> x = Vector.LoadUnsafe(ref x0, i) - vectorOffset;
                    Vector<double> mean = Vector.LoadUnsafe(ref mean0, i);
                    Vector<double> delta = x - mean;
                    mean += delta * vectorInverse;
                    mean.StoreUnsafe(ref mean0, i);
                    (Vector.LoadUnsafe(ref m20, i) + (delta * (x - mean))).StoreUnsafe(ref m20, i);
                }
            }
            for (; k < points; k++)
            {
                int i = row + k;
                double x = epoch[i] - offset;
                double delta = x - _mean[i];
                _mean[i] += delta * inverse;
                _m2[i] += delta * (x - _mean[i]);
            }
        }
    }

    /// <summary>
    /// Writes every point's standard error (as <see cref="StandardError"/>, NaN with fewer than two epochs) into
    /// <paramref name="destination"/>, laid out as <see cref="Mean"/>. Whole vectors of points take the same division and
    /// (correctly rounded) square root as the scalar method, so the values are identical.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="Mean"/>.</exception>
    public void StandardErrors(Span<double> destination)
    {
        if (destination.Length < _mean.Length)
        {
            throw new ArgumentException($"destination has {destination.Length} values, expected {_mean.Length}", nameof(destination));
        }
        if (Count < 2)
        {
            destination[.._mean.Length].Fill(double.NaN);
            return;
        }
        double n1 = Count - 1, n = Count;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vn1 = new Vector<double>(n1);
            var vn = new Vector<double>(n);
            ReadOnlySpan<Vector<double>> m2 = MemoryMarshal.Cast<double, Vector<double>>(_m2.AsSpan());
            Span<Vector<double>> target = MemoryMarshal.Cast<double, Vector<double>>(destination[.._mean.Length]);
            for (int v = 0; v < m2.Length; v++)
            {
                target[v] = Vector.SquareRoot(m2[v] / vn1 / vn);
            }
            i = m2.Length * Vector<double>.Count;
        }
        for (; i < _mean.Length; i++)
        {
            destination[i] = Math.Sqrt(_m2[i] / n1 / n);
        }
    }

    /// <summary>Standard error of the mean at one point (µV); NaN with fewer than two epochs.</summary>
    public double StandardError(int channel, int point)
    {
        if (Count < 2)
        {
            return double.NaN;
        }
        double variance = _m2[(channel * Times.Length) + point] / (Count - 1);
        return Math.Sqrt(variance / Count);
    }
}
