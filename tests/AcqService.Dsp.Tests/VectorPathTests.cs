using System.Numerics;

namespace AcqService.Dsp.Tests;

/// <summary>
/// The vector paths (several channels per <see cref="Vector{T}"/>, one per lane) must give the same bits as the scalar
/// paths, including channel counts that leave a partial block (1, 3, 5, 33) and a whole number of blocks (64).
/// </summary>
public class VectorPathTests
{
    // 64: four-block groups only; 33, 100, 259: groups, single blocks and a scalar remainder, on both vector widths.
    public static TheoryData<int> ChannelCounts => new() { 1, 3, 5, 33, 64, 100, 259 };

    private static double[] Noise(int count, int seed)
    {
        var random = new Random(seed);
        var values = new double[count];
        for (int i = 0; i < values.Length; i++)
        {
            // A slow drift plus noise, with a per-value offset so that channels differ in level as EEG does.
            values[i] = (random.NextDouble() - 0.5) * 200 + (i % 7) * 13.25 + Math.Sin(i * 0.001) * 50;
        }

        return values;
    }

    private static void AssertSameBits(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.DoubleToInt64Bits(expected[i]) != BitConverter.DoubleToInt64Bits(actual[i]))
            {
                Assert.Fail($"{what}: value {i} differs: {expected[i]:R} vs {actual[i]:R}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(ChannelCounts))]
    public void SosFilter_VectorAndScalarPaths_BitIdenticalOverChunks(int channels)
    {
        // The ERP default: band-pass 0.1–30 Hz order 2 then a 50 Hz notch, three sections in one cascade.
        double[] sos = [.. FilterDesign.ButterworthBandPass(2, 0.1, 30, 1000), .. FilterDesign.Notch(50, 30, 1000)];
        int frames = 3001;
        double[] input = Noise(frames * channels, channels);
        var vector = new SosFilter(sos, channels);
        var narrow = new SosFilter(sos, channels) { UseVector512 = false };
        var scalar = new SosFilter(sos, channels) { UseVectors = false };
        double[] a = (double[])input.Clone(), b = (double[])input.Clone(), c = (double[])input.Clone();

        // Uneven chunks, so that the state carried between calls is compared too.
        int[] chunkFrames = [1, 10, 7, 256, 3, 10];
        int at = 0, n = 0;
        while (at < frames)
        {
            int f = Math.Min(chunkFrames[n++ % chunkFrames.Length], frames - at);
            vector.Process(a.AsSpan(at * channels, f * channels));
            scalar.Process(b.AsSpan(at * channels, f * channels));
            narrow.Process(c.AsSpan(at * channels, f * channels));
            at += f;
        }

        AssertSameBits(b, a, $"{channels} channels");
        AssertSameBits(b, c, $"{channels} channels, 256-bit path");
        // The filter did filter: the output is not the input.
        Assert.NotEqual(input[^1], a[^1]);
    }

    [Theory]
    [MemberData(nameof(ChannelCounts))]
    public void SosFilter_ScalarPath_EqualsOneChannelFilters(int channels)
    {
        // Anchors the scalar path of the interleaved filter to the single-channel recursion (channels = 1 has no lanes).
        double[] sos = [.. FilterDesign.ButterworthBandPass(2, 0.1, 30, 1000), .. FilterDesign.Notch(50, 30, 1000)];
        int frames = 777;
        double[] input = Noise(frames * channels, 100 + channels);
        double[] all = (double[])input.Clone();
        new SosFilter(sos, channels).Process(all);
        for (int c = 0; c < channels; c++)
        {
            double[] one = [.. Enumerable.Range(0, frames).Select(i => input[(i * channels) + c])];
            new SosFilter(sos, 1) { UseVectors = false }.Process(one);
            AssertSameBits(one, [.. Enumerable.Range(0, frames).Select(i => all[(i * channels) + c])], $"channel {c} of {channels}");
        }
    }

    public static TheoryData<int, int, int, WindowKind, DetrendKind, int> WelchCases()
    {
        var data = new TheoryData<int, int, int, WindowKind, DetrendKind, int>();
        foreach (int channels in new[] { 1, 3, 5, 33, 64 })
        {
            // The alpha default: 1 s Hann segments at 1 kHz (N = 1000 = packed 500 = 4·5·5·5), one segment.
            data.Add(channels, 1000, 0, WindowKind.Hann, DetrendKind.Constant, 0);
            // Overlapping segments, linear detrend, radix 2 and 4 (packed 128 = 4·4·4·2).
            data.Add(channels, 256, 128, WindowKind.Hamming, DetrendKind.Linear, 0);
            // Zero padding (nfft > nperseg), radix 3 (packed 270 = 2·3·3·3·5), no detrend.
            data.Add(channels, 500, 100, WindowKind.Hann, DetrendKind.None, 540);
            // Odd length: a full-length complex FFT (225 = 3·3·5·5).
            data.Add(channels, 225, 0, WindowKind.Boxcar, DetrendKind.Constant, 0);
        }

        // No batch path (packed 77 = 7·11, generic radix): the scalar fallback must still agree.
        data.Add(33, 154, 77, WindowKind.Hann, DetrendKind.Constant, 0);
        return data;
    }

    [Theory]
    [MemberData(nameof(WelchCases))]
    public void WelchEstimateInterleaved_EqualsEstimatePerChannel_BitForBit(int channels, int segment, int overlap, WindowKind window, DetrendKind detrend, int nfft)
    {
        const double fs = 1000;
        int length = (2 * segment) + 37;
        double[] frames = Noise(length * channels, 7 * channels + segment);
        var vector = new WelchEstimator(fs, segment, overlap, window, detrend, nfft);
        var scalar = new WelchEstimator(fs, segment, overlap, window, detrend, nfft) { UseVectors = false };
        var single = new WelchEstimator(fs, segment, overlap, window, detrend, nfft);
        int bins = vector.FrequencyCount;
        var fromVector = new double[channels * bins];
        var fromScalar = new double[channels * bins];

        vector.EstimateInterleaved(frames, channels, fromVector);
        // Twice: buffers reused across calls must not leak state.
        vector.EstimateInterleaved(frames, channels, fromVector);
        scalar.EstimateInterleaved(frames, channels, fromScalar);

        AssertSameBits(fromScalar, fromVector, "interleaved vector vs scalar path");
        var psd = new double[bins];
        for (int c = 0; c < channels; c++)
        {
            single.Estimate([.. Enumerable.Range(0, length).Select(i => frames[(i * channels) + c])], psd);
            AssertSameBits(psd, fromVector.AsSpan(c * bins, bins), $"channel {c} of {channels}");
        }

        Assert.True(fromVector.Max() > 0);

        // The first bins only (what the alpha analyzer asks for): the same bits as those bins of the full estimate, on
        // both paths, with the channels packed at the shorter stride.
        foreach (int first in new[] { 1, 7, bins / 3, bins - 1, bins })
        {
            var partVector = new double[channels * first];
            var partScalar = new double[channels * first];
            vector.EstimateInterleaved(frames, channels, partVector, first);
            scalar.EstimateInterleaved(frames, channels, partScalar, first);
            for (int c = 0; c < channels; c++)
            {
                AssertSameBits(fromVector.AsSpan(c * bins, first), partVector.AsSpan(c * first, first), $"vector, {first} bins, channel {c}");
                AssertSameBits(fromVector.AsSpan(c * bins, first), partScalar.AsSpan(c * first, first), $"scalar, {first} bins, channel {c}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(WelchCases))]
    public void WelchEstimateLanes_EqualsEstimatePerLane_BitForBit(int channels, int segment, int overlap, WindowKind window, DetrendKind detrend, int nfft)
    {
        const double fs = 1000;
        int width = Vector<double>.Count;
        int used = Math.Min(width, channels);
        int length = (2 * segment) + 37;
        double[] values = Noise(length * width, (11 * channels) + segment);
        var signal = new Vector<double>[length];
        for (int i = 0; i < length; i++)
        {
            // Lanes past `used` are zero, as in the alpha analyzer's last, partial block.
            var lanes = new double[width];
            Array.Copy(values, i * width, lanes, 0, used);
            signal[i] = new Vector<double>(lanes);
        }

        var vector = new WelchEstimator(fs, segment, overlap, window, detrend, nfft);
        var scalar = new WelchEstimator(fs, segment, overlap, window, detrend, nfft) { UseVectors = false };
        var single = new WelchEstimator(fs, segment, overlap, window, detrend, nfft);
        int bins = vector.FrequencyCount;
        var full = new double[bins];
        foreach (int first in new[] { 1, bins / 2, bins })
        {
            var fromVector = new double[used * first];
            var fromScalar = new double[used * first];
            vector.EstimateLanes(signal, fromVector, first, used);
            vector.EstimateLanes(signal, fromVector, first, used);
            scalar.EstimateLanes(signal, fromScalar, first, used);
            for (int l = 0; l < used; l++)
            {
                single.Estimate([.. Enumerable.Range(0, length).Select(i => values[(i * width) + l])], full);
                AssertSameBits(full.AsSpan(0, first), fromVector.AsSpan(l * first, first), $"vector lane {l}, {first} bins");
                AssertSameBits(full.AsSpan(0, first), fromScalar.AsSpan(l * first, first), $"scalar lane {l}, {first} bins");
            }

            Assert.True(fromVector.Max() > 0);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => vector.EstimateLanes(signal, new double[width * bins], bins, width + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => vector.EstimateLanes(signal, new double[width * bins], bins + 1, 1));
        Assert.Throws<ArgumentException>(() => vector.EstimateLanes(signal.AsSpan(0, segment - 1), new double[width * bins], bins, 1));
        Assert.Throws<ArgumentException>(() => vector.EstimateLanes(signal, new double[(used * bins) - 1], bins, used));
    }

    [Fact]
    public void EstimateInterleaved_BadShapes_Throw()
    {
        var welch = new WelchEstimator(1000, 100, 0);
        Assert.Throws<ArgumentException>(() => welch.EstimateInterleaved(new double[301], 3, new double[3 * welch.FrequencyCount]));
        Assert.Throws<ArgumentException>(() => welch.EstimateInterleaved(new double[99 * 3], 3, new double[3 * welch.FrequencyCount]));
        Assert.Throws<ArgumentException>(() => welch.EstimateInterleaved(new double[300], 3, new double[(3 * welch.FrequencyCount) - 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => welch.EstimateInterleaved(new double[300], 0, new double[300]));
        Assert.Throws<ArgumentOutOfRangeException>(() => welch.EstimateInterleaved(new double[300], 3, new double[300], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => welch.EstimateInterleaved(new double[300], 3, new double[300], welch.FrequencyCount + 1));
        Assert.Throws<ArgumentException>(() => welch.EstimateInterleaved(new double[300], 3, new double[(3 * 10) - 1], 10));
    }
}
