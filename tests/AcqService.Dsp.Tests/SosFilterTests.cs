namespace AcqService.Dsp.Tests;

public class SosFilterTests
{
    private static readonly Lazy<NotchCascadeFixture> NotchCascade = new(() => Fixtures.Load<NotchCascadeFixture>("notch_cascade.json"));

    public static TheoryData<string> ButterCases() => FilterDesignTests.ButterCases();

    // Floor 1e-6 of the output's peak: the filtered signals cross zero, where the relative error of a value that
    // is itself ~0 says nothing; 1e-5 · 1e-6 · peak is still far below any real implementation difference.
    private static double OutputFloor(double[] expected) => 1e-6 * Tolerance.MaxAbs(expected);

    [Theory]
    [MemberData(nameof(ButterCases))]
    public void Process_ButterworthFixture_MatchesSosfilt(string name)
    {
        ButterCase c = FilterDesignTests.Case(name);
        double[] input = FilterDesignTests.ButterData.Signals[c.Signal].Values;
        // The fixture's own coefficients, so this checks the filter recursion independently of the design code.
        var filter = new SosFilter(c.Sos, channels: 1);
        var output = new double[input.Length];

        filter.Process(input, output);

        Tolerance.AssertClose(c.Output, output, OutputFloor(c.Output), c.Call);
    }

    [Theory]
    [MemberData(nameof(ButterCases))]
    public void Process_DesignedButterworth_MatchesSosfilt(string name)
    {
        ButterCase c = FilterDesignTests.Case(name);
        double[] input = FilterDesignTests.ButterData.Signals[c.Signal].Values;
        var filter = new SosFilter(FilterDesignTests.Design(c.Btype, c.Order, c.CutoffsHz, c.Fs), channels: 1);
        var output = new double[input.Length];

        filter.Process(input, output);

        Tolerance.AssertClose(c.Output, output, OutputFloor(c.Output), c.Call);
    }

    [Fact]
    public void Process_NotchFixture_MatchesSosfilt()
    {
        NotchCase n = NotchCascade.Value.Notch;
        var filter = new SosFilter(FilterDesign.Notch(n.FrequencyHz, n.Q, n.Fs), channels: 1);
        double[] data = (double[])n.Input.Clone();

        filter.Process(data);

        Tolerance.AssertClose(n.Output, data, OutputFloor(n.Output), "sosfilt(iirnotch(50, 30, 500))");
    }

    [Fact]
    public void Process_CascadeInUnevenChunksOnTwoChannels_MatchesSosfiltPerChannel()
    {
        CascadeCase c = NotchCascade.Value.Cascade;
        double[] sos = FilterDesign.Cascade(
            FilterDesign.ButterworthBandPass(c.BandOrder, c.BandHz[0], c.BandHz[1], c.Fs),
            FilterDesign.Notch(c.NotchHz, c.NotchQ, c.Fs));
        int channels = c.Channels.Length;
        int frames = c.Channels[0].Length;
        Assert.Equal(frames, c.ChunkFrames.Sum());
        double[] interleaved = Interleave(c.Channels);
        var filter = new SosFilter(sos, channels);

        int offset = 0;
        foreach (int chunk in c.ChunkFrames)
        {
            filter.Process(interleaved.AsSpan(offset * channels, chunk * channels));
            offset += chunk;
        }

        for (int ch = 0; ch < channels; ch++)
        {
            double[] actual = Enumerable.Range(0, frames).Select(f => interleaved[f * channels + ch]).ToArray();
            Tolerance.AssertClose(c.Outputs[ch], actual, OutputFloor(c.Outputs[ch]), $"cascade channel {ch}");
        }
    }

    [Fact]
    public void Process_RandomChunks_EqualsOneShotBitForBit()
    {
        const int channels = 3;
        const int frames = 2000;
        var rng = new Random(1234);
        double[] input = Enumerable.Range(0, channels * frames).Select(_ => rng.NextDouble() * 200.0 - 100.0).ToArray();
        double[] sos = FilterDesign.Cascade(
            FilterDesign.ButterworthHighPass(4, 0.5, 500.0),
            FilterDesign.ButterworthLowPass(4, 40.0, 500.0),
            FilterDesign.Notch(50.0, 30.0, 500.0));

        double[] oneShot = (double[])input.Clone();
        new SosFilter(sos, channels).Process(oneShot);

        var chunkedFilter = new SosFilter(sos, channels);
        var chunked = new double[input.Length];
        int frame = 0;
        while (frame < frames)
        {
            // Includes empty chunks and single frames.
            int n = Math.Min(rng.Next(0, 97), frames - frame);
            chunkedFilter.Process(input.AsSpan(frame * channels, n * channels), chunked.AsSpan(frame * channels, n * channels));
            frame += n;
        }

        Assert.Equal(oneShot, chunked);
        Assert.NotEqual(input, oneShot);
    }

    [Fact]
    public void Process_Channels_AreFilteredIndependently()
    {
        double[] sos = FilterDesign.ButterworthLowPass(2, 40.0, 500.0);
        var rng = new Random(7);
        double[] a = Enumerable.Range(0, 300).Select(_ => rng.NextDouble()).ToArray();
        double[] b = Enumerable.Range(0, 300).Select(_ => rng.NextDouble()).ToArray();
        double[] interleaved = Interleave([a, b]);

        new SosFilter(sos, 2).Process(interleaved);
        new SosFilter(sos, 1).Process(a);
        new SosFilter(sos, 1).Process(b);

        Assert.Equal(a, Enumerable.Range(0, 300).Select(f => interleaved[2 * f]).ToArray());
        Assert.Equal(b, Enumerable.Range(0, 300).Select(f => interleaved[2 * f + 1]).ToArray());
    }

    [Fact]
    public void Reset_AfterProcessing_RestoresInitialState()
    {
        var filter = new SosFilter(FilterDesign.ButterworthHighPass(2, 1.0, 500.0), 1);
        double[] first = Enumerable.Repeat(1.0, 50).ToArray();
        double[] second = Enumerable.Repeat(1.0, 50).ToArray();

        filter.Process(first);
        filter.Reset();
        filter.Process(second);

        Assert.Equal(first, second);
    }

    [Fact]
    public void Constructor_CopiesCoefficients()
    {
        double[] sos = FilterDesign.ButterworthLowPass(2, 40.0, 500.0);
        var filter = new SosFilter(sos, 1);
        double[] expected = [1.0, 0.0, 0.0];
        new SosFilter(sos, 1).Process(expected);

        sos[0] = 1000.0;
        double[] actual = [1.0, 0.0, 0.0];
        filter.Process(actual);

        Assert.Equal(expected, actual);
        Assert.Equal(1, filter.Sections);
        Assert.Equal(1, filter.Channels);
    }

    [Fact]
    public void Process_AfterWarmUp_AllocatesNothing()
    {
        double[] sos = FilterDesign.Cascade(FilterDesign.ButterworthBandPass(4, 1.0, 40.0, 500.0), FilterDesign.Notch(50.0, 30.0, 500.0));
        var filter = new SosFilter(sos, 8);
        var input = new double[8 * 256];
        var output = new double[input.Length];
        input[0] = 1.0;
        filter.Process(input, output);
        filter.Process(output);

        long before = GC.GetAllocatedBytesForCurrentThread();
        filter.Process(input, output);
        filter.Process(output);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Constructor_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => new SosFilter(null!, 1));
        Assert.Throws<ArgumentException>(() => new SosFilter([], 1));
        Assert.Throws<ArgumentException>(() => new SosFilter(new double[7], 1));
        // a0 must be 1, as in sosfilt.
        Assert.Throws<ArgumentException>(() => new SosFilter([1, 0, 0, 2, 0, 0], 1));
        Assert.Throws<ArgumentException>(() => new SosFilter([double.NaN, 0, 0, 1, 0, 0], 1));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SosFilter([1, 0, 0, 1, 0, 0], 0));
        Assert.Equal("channels", ex.ParamName);
    }

    [Fact]
    public void Process_InvalidSpans_Throw()
    {
        var filter = new SosFilter([1, 0, 0, 1, 0, 0], 2);
        var buffer = new double[10];

        Assert.Throws<ArgumentException>(() => filter.Process(new double[5]));
        Assert.Throws<ArgumentException>(() => filter.Process(new double[4], new double[6]));
        Assert.Throws<ArgumentException>(() => filter.Process(new double[5], new double[5]));
        Assert.Throws<ArgumentException>(() => filter.Process(buffer.AsSpan(0, 8), buffer.AsSpan(2, 8)));
        // Exactly the same span is in-place filtering, which is allowed.
        filter.Process(buffer.AsSpan(0, 8), buffer.AsSpan(0, 8));
    }

    private static double[] Interleave(double[][] channels)
    {
        int frames = channels[0].Length;
        var result = new double[frames * channels.Length];
        for (int f = 0; f < frames; f++)
        {
            for (int ch = 0; ch < channels.Length; ch++)
            {
                result[f * channels.Length + ch] = channels[ch][f];
            }
        }

        return result;
    }
}
