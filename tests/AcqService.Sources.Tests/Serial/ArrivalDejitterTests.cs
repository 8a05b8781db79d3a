using AcqService.Sources.Serial;

namespace AcqService.Sources.Tests.Serial;

/// <summary>The causal timestamp fit on synthetic arrival times with known truth.</summary>
public sealed class ArrivalDejitterTests
{
    /// <summary>Arrival = true time + 3 ms latency + bursty jitter: packets leave in 16 ms USB frames.</summary>
    private static double Arrival(long n, double rate, double start)
    {
        double t = start + (n / rate);
        double frameEnd = Math.Ceiling(t / 0.016) * 0.016; // delivered at the end of the 16 ms USB frame
        return frameEnd + 0.003;
    }

    [Fact]
    public void Next_BurstyArrivals_ResidualMuchSmallerThanRaw()
    {
        const double rate = 250;
        var fit = new ArrivalDejitter(rate, 30);
        var raw = new List<double>();
        var smooth = new List<double>();
        for (long n = 0; n < 250 * 120; n++)
        {
            // Start off the USB frame grid: the four samples of a frame wait 15, 11, 7, 3 ms.
            double truth = 1000.001 + (n / rate);
            double arrival = Arrival(n, rate, 1000.001);
            double t = fit.Next(n, arrival);
            if (n >= 250 * 20)
            {
                raw.Add(arrival - truth);
                smooth.Add(t - truth);
            }
        }
        // Latency is a constant the profile's latencyOffsetMs removes; what matters is the spread around it.
        double rawRms = Rms(raw), fitRms = Rms(smooth);
        // Raw: 15, 11, 7, 3 ms (+3) in turn → standard deviation √20 = 4.47 ms. The fit must remove nearly all of it.
        Assert.Equal(0.00447, rawRms, 4);
        Assert.True(fitRms < 0.0002, $"fit RMS {fitRms * 1000:F3} ms");
        Assert.Equal(0.003 + 0.009, smooth.Average(), 4); // mean latency kept: 3 ms + waits of 15, 11, 7, 3 ms
    }

    private static double Rms(List<double> values)
    {
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Count);
    }

    [Fact]
    public void Next_DeviceClockFast_FollowsRealRate()
    {
        // A crystal 200 ppm fast: 250.05 Hz as seen by the host.
        const double real = 250.05;
        var fit = new ArrivalDejitter(250, 30);
        double last = 0;
        for (long n = 0; n < 250 * 300; n++)
        {
            last = fit.Next(n, 5 + (n / real) + (0.002 * ((n * 7919) % 13) / 13.0));
        }
        Assert.Equal(1 / real, fit.Period, 9);
        double truth = 5 + ((250 * 300 - 1) / real) + 0.001;
        Assert.True(Math.Abs(last - truth) < 0.0003, $"{(last - truth) * 1000:F3} ms");
    }

    [Fact]
    public void Next_HoursOfSamples_RebasingKeepsPrecision()
    {
        var fit = new ArrivalDejitter(250, 10);
        double worst = 0;
        for (long n = 0; n < 250L * 3600; n++)
        {
            double truth = 86400 + (n / 250.0);
            double t = fit.Next(n, truth + 0.001 * ((n % 4) / 3.0));
            if (n > 250 * 60)
            {
                worst = Math.Max(worst, Math.Abs(t - truth - 0.0005));
            }
        }
        Assert.True(worst < 5e-5, $"worst {worst * 1e6:F1} µs");
    }

    [Fact]
    public void Next_ReaderStalls_ClippedAndIgnored()
    {
        // Every 2 s the reader stalls for 60 ms: 15 packets arrive at once, late by up to 60 ms.
        var fit = new ArrivalDejitter(250, 30);
        double worst = 0;
        for (long n = 0; n < 250 * 60; n++)
        {
            double truth = 20 + (n / 250.0);
            long phase = n % 500;
            double arrival = phase < 15 ? 20 + ((n - phase + 15) / 250.0) + 0.001 : truth + 0.001;
            double t = fit.Next(n, arrival);
            if (n > 250 * 10)
            {
                worst = Math.Max(worst, Math.Abs(t - truth - 0.001));
            }
        }
        Assert.True(worst < 0.001, $"worst {worst * 1000:F3} ms");
        Assert.Equal(1 / 250.0, fit.Period, 7);
        Assert.True(fit.Clipped > 200);
    }

    [Fact]
    public void Reset_StartsNewSegment()
    {
        var fit = new ArrivalDejitter(250, 30);
        for (long n = 0; n < 1000; n++)
        {
            fit.Next(n, 10 + (n / 250.0));
        }
        fit.Reset();
        Assert.Equal(500.0, fit.Next(0, 500.0), 12);
    }
}
