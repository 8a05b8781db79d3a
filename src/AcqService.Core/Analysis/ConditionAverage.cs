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
    public void Add(ReadOnlySpan<double> epoch)
    {
        if (epoch.Length != _mean.Length)
        {
            throw new ArgumentException($"epoch has {epoch.Length} values, expected {_mean.Length}", nameof(epoch));
        }
        Count++;
        double inverse = 1.0 / Count;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            // Welford's update is per value, so whole vectors of values take exactly the scalar expressions.
            var vectorInverse = new Vector<double>(inverse);
            ReadOnlySpan<Vector<double>> x = MemoryMarshal.Cast<double, Vector<double>>(epoch);
            Span<Vector<double>> mean = MemoryMarshal.Cast<double, Vector<double>>(_mean.AsSpan());
            Span<Vector<double>> m2 = MemoryMarshal.Cast<double, Vector<double>>(_m2.AsSpan());
            for (int v = 0; v < x.Length; v++)
            {
                Vector<double> delta = x[v] - mean[v];
                mean[v] += delta * vectorInverse;
                m2[v] += delta * (x[v] - mean[v]);
            }
            i = x.Length * Vector<double>.Count;
        }
        for (; i < _mean.Length; i++)
        {
            double delta = epoch[i] - _mean[i];
            _mean[i] += delta * inverse;
            _m2[i] += delta * (epoch[i] - _mean[i]);
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
