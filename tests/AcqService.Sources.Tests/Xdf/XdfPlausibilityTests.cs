using System.Globalization;
using AcqService.Core.Model;
using AcqService.Sources.Xdf;
using AcqService.Xdf;

namespace AcqService.Sources.Tests.Xdf;

/// <summary>
/// The value checks test whole frames with vectors and walk a frame value by value only when it fails; they must give
/// exactly the verdict (and text) of the plain per-value rules, written out here as the oracle.
/// </summary>
public sealed class XdfPlausibilityTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(64)]
    public void CheckValues_EqualsPerValueRules_OnCleanAndDamagedChunks(int channels)
    {
        var random = new Random(20261130 + channels);
        StreamDescriptor stream = Stream(channels);
        double[] limits = XdfPlausibility.Limits(stream);
        double[] floors = XdfPlausibility.SpikeFloors(stream);
        int[] failed = new int[5];
        for (int trial = 0; trial < 400; trial++)
        {
            int frames = random.Next(1, 40);
            double[] values = new double[frames * channels];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (random.NextDouble() - 0.5) * 100; // µV-sized noise: no spikes of its own
            }
            int damage = trial % 5; // 0: clean; 1: spike; 2: NaN; 3: +∞; 4: over 10 V
            if (damage > 0)
            {
                int at = random.Next(values.Length);
                values[at] = damage switch
                {
                    1 => values[at] * 256 + (random.Next(2) == 0 ? 1e4 : -1e4),
                    2 => double.NaN,
                    3 => double.PositiveInfinity,
                    _ => 2e7,
                };
            }
            double[]? previous = random.Next(2) == 0 ? null : [.. Enumerable.Range(0, channels).Select(_ => (random.NextDouble() - 0.5) * 100)];
            var chunk = new XdfSamplesChunk(0, 1, channels, new double[frames], values, null, 0);

            string? expected = Oracle(values, frames, channels, stream, limits, floors, previous);
            string? actual = XdfPlausibility.CheckValues(chunk, stream, limits, floors, previous);

            Assert.Equal(expected, actual);
            failed[damage] += actual is null ? 0 : 1;
        }
        // 80 trials of each kind: clean noise always passes, NaN, ∞ and > 10 V always fail; a spike fails unless it sits
        // in an edge frame without the neighbours the rule needs.
        Assert.Equal([0, 80, 80, 80], [failed[0], failed[2], failed[3], failed[4]]);
        Assert.InRange(failed[1], 40, 80);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(64)]
    public void CheckValues_EqualsPerValueRules_ForSpikesInEdgeFrames(int channels)
    {
        // The first and last frame of a chunk have their own neighbour rules (previous frame, one-sided steps); spikes of
        // every size around the allowance go there, with and without a previous frame (one with a NaN in it too).
        var random = new Random(20261201 + channels);
        StreamDescriptor stream = Stream(channels);
        double[] limits = XdfPlausibility.Limits(stream);
        double[] floors = XdfPlausibility.SpikeFloors(stream);
        int[] detectedAt = new int[2];
        foreach (int frames in new[] { 1, 2, 3, 4, 10 })
        {
            for (int trial = 0; trial < 120; trial++)
            {
                double[] values = new double[frames * channels];
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = (random.NextDouble() - 0.5) * 100;
                }
                double[]? previous = (trial % 3) switch
                {
                    0 => null,
                    _ => [.. Enumerable.Range(0, channels).Select(_ => (random.NextDouble() - 0.5) * 100)],
                };
                if (trial % 3 == 2)
                {
                    previous![random.Next(channels)] = double.NaN;
                }
                bool last = trial % 2 == 1;
                int f = last ? frames - 1 : 0;
                int at = (f * channels) + random.Next(channels);
                // Log-uniform from 100 µV to 1 V: the allowance (64 × (step + 10 µV), a few mV here) lies inside.
                values[at] += Math.Pow(10, 2 + (4 * random.NextDouble())) * (random.Next(2) == 0 ? 1 : -1);
                var chunk = new XdfSamplesChunk(0, 1, channels, new double[frames], values, null, 0);

                string? expected = Oracle(values, frames, channels, stream, limits, floors, previous);
                string? actual = XdfPlausibility.CheckValues(chunk, stream, limits, floors, previous);

                Assert.Equal(expected, actual);
                detectedAt[last ? 1 : 0] += actual is null ? 0 : 1;
            }
        }
        // Both edges have rules that catch spikes (a test that only ever passes would not show the vector path agrees).
        Assert.All(detectedAt, n => Assert.InRange(n, 20, 300));
    }

    private static StreamDescriptor Stream(int channels) => new("eeg", StreamKind.Signal, "Test", "EEG",
        [.. Enumerable.Range(1, channels).Select(c => new ChannelDescriptor("E" + c.ToString(CultureInfo.InvariantCulture), "uV", "EEG"))], 1000, ChannelFormat.Float32, "test");

    /// <summary>The rules value by value, in sample-major order (the code before the vector path).</summary>
    private static string? Oracle(double[] values, int frames, int channels, StreamDescriptor stream, double[] limits, double[] floors, double[]? previous)
    {
        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i];
            int c = i % channels;
            if (!double.IsFinite(v) || Math.Abs(v) > limits[c])
            {
                ChannelDescriptor channel = stream.Channels[c];
                string why = double.IsFinite(v)
                    ? string.Create(CultureInfo.InvariantCulture, $"magnitude above {limits[c]:G3} {channel.Unit} ({XdfPlausibility.MaxVolts:0} V) is impossible")
                    : "not a finite number";
                return string.Create(CultureInfo.InvariantCulture, $"sample {i / channels} channel {channel.Label}: value {v:G6} {channel.Unit}: {why}");
            }
        }
        for (int f = 0; f < frames; f++)
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
                    allowed = XdfPlausibility.SpikeFactor * (Math.Abs(after - before) + floors[c]);
                }
                else if (!double.IsNaN(before) && f >= 2)
                {
                    expected = before;
                    allowed = XdfPlausibility.SpikeFactor * (Math.Abs(before - values[((f - 2) * channels) + c]) + floors[c]);
                }
                else if (!double.IsNaN(after) && f + 2 < frames)
                {
                    expected = after;
                    allowed = XdfPlausibility.SpikeFactor * (Math.Abs(values[((f + 2) * channels) + c] - after) + floors[c]);
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
        }
        return null;
    }
}
