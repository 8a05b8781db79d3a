using AcqService.Core.Analysis.Quality;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sessions.Check;
using AcqService.Sources.Drivers;
using AcqService.Sources.Profiles;

namespace AcqService.Sessions.Tests;

/// <summary>
/// Stream-level findings of the signal check with a scripted driver: a wrong rate, a stream with no data, a source
/// that fails, gaps; and every chunk is given back to its pool.
/// </summary>
public sealed class SignalCheckerStreamTests
{
    private const string Streams = """
        { "name": "scripted", "streams": [
          { "key": "fast", "kind": "signal", "type": "EEG", "sampleRateHz": 250, "channels": [ { "label": "C3", "unit": "uV", "type": "EEG" }, { "label": "C4", "unit": "mV", "type": "EEG" } ], "source": { "driver": "scripted" } },
          { "key": "silent", "kind": "signal", "type": "EEG", "sampleRateHz": 250, "channels": [ { "label": "P3", "unit": "uV", "type": "EEG" } ], "source": { "driver": "scripted" } },
          { "key": "broken", "kind": "signal", "type": "EEG", "sampleRateHz": 250, "channels": [ { "label": "O1", "unit": "uV", "type": "EEG" } ], "source": { "driver": "scripted" } },
          { "key": "gappy", "kind": "signal", "type": "EEG", "sampleRateHz": 250, "channels": [ { "label": "O2", "unit": "uV", "type": "EEG" } ], "source": { "driver": "scripted" } }
        ] }
        """;

    [Fact]
    public async Task ScriptedStreams_RateNoDataFailureAndGaps_AreEachReported()
    {
        var driver = new ScriptedDriver();
        SourceDriverRegistry registry = SourceDriverRegistry.Default.With(driver);
        DeviceProfile profile = ProfileLoader.Parse(Streams, "scripted.json", registry);
        var checker = new SignalChecker(registry, () => throw new InvalidOperationException("no LSL in this test"));
        CheckReport report = await checker.RunAsync(new CheckRequest { Profile = profile, ProfileSource = "scripted.json", Settings = new AppSettings(), Seconds = 1 }, CancellationToken.None);

        Assert.Equal(CheckVerdict.Fail, report.Worst);
        StreamCheck fast = report.Streams.Single(s => s.Key == "fast");
        // Stamped at 240 Hz for a nominal 250 Hz: 4 % off, a warning (≥ 1 %) but not a failure (≥ 5 %).
        Assert.Equal(240, fast.EffectiveRateHz!.Value, 1e-6);
        Assert.Equal(CheckVerdict.Warn, fast.RateVerdict);
        Assert.Equal(["rate: 240.00 Hz effective vs 250 Hz nominal, 4.00 % off ≥ 1 %"], fast.Reasons);
        // 250 frames arrived (1 s at the nominal rate), all kept.
        Assert.Equal(250, fast.Samples);
        // C3: 20 µV sine → RMS 14.14 µV (≈ 12.8 periods, so not exactly); C4 in mV: 0.02 mV, converted → the same figure in µV.
        // (An incommensurate frequency: a sine sampled at a rational fraction of the rate repeats its crest value exactly.)
        Assert.Equal(20 / Math.Sqrt(2), fast.Channels[0].Rms!.Value, 0.3);
        Assert.Equal(fast.Channels[0].Rms!.Value, fast.Channels[1].Rms!.Value, 1e-9);
        Assert.All(fast.Channels, c => Assert.Equal("µV", c.Unit));
        Assert.Equal(1.5, fast.ClockOffsetSeconds);
        Assert.Equal(CheckVerdict.Warn, fast.Verdict);

        StreamCheck silent = report.Streams.Single(s => s.Key == "silent");
        Assert.Equal(CheckVerdict.Fail, silent.Verdict);
        Assert.Equal(["no data: no samples arrived in 1 s"], silent.Reasons);
        Assert.Null(silent.EffectiveRateHz);
        Assert.Null(silent.ClockOffsetSeconds);
        ChannelCheck p3 = Assert.Single(silent.Channels);
        Assert.Equal(CheckVerdict.Fail, p3.Verdict);
        Assert.Null(p3.Rms);

        StreamCheck broken = report.Streams.Single(s => s.Key == "broken");
        Assert.Equal(CheckVerdict.Fail, broken.Verdict);
        Assert.Contains("source 'broken' failed: amplifier unplugged", broken.Reasons);

        StreamCheck gappy = report.Streams.Single(s => s.Key == "gappy");
        Assert.Equal(2, gappy.Gaps);
        Assert.Contains("gaps: the source reported 2 gap(s) in the data", gappy.Reasons);

        // Every chunk went back to its pool: renting as many as were ever allocated allocates none.
        foreach (ChunkPool pool in driver.Pools.Values)
        {
            long allocated = pool.Allocated;
            for (long i = 0; i < allocated; i++)
            {
                pool.Rent();
            }
            Assert.Equal(allocated, pool.Allocated);
        }
        Assert.Equal(2, driver.Pools.Count);
    }

    /// <summary>Every stream's own behaviour, by key; chunks come from one pool per stream.</summary>
    private sealed class ScriptedDriver : SourceDriver
    {
        public Dictionary<string, ChunkPool> Pools { get; } = [];

        public override IReadOnlyList<string> Names { get; } = ["scripted"];

        public override string Description => "test driver";

        public override Task<IReadOnlyList<ISource>> CreateAsync(IReadOnlyList<StreamProfile> streams, SourceContext context, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<ISource>>([.. streams.Select(s => new Source(this, ProfileLoader.ToDescriptor(s)))]);

        private sealed class Source(ScriptedDriver driver, StreamDescriptor stream) : ISource
        {
            public string Name => stream.Key;

            public IReadOnlyList<StreamDescriptor> Streams => [stream];

            public async Task RunAsync(Edge<SourceItem> output, CancellationToken cancellationToken)
            {
                switch (stream.Key)
                {
                    case "fast":
                        await output.WriteAsync(SourceItem.ForOffset(new ClockOffset(stream.Index, 100, 1.5)), cancellationToken);
                        for (int chunk = 0; chunk < 25; chunk++)
                        {
                            await output.WriteAsync(SourceItem.ForSamples(Chunk(chunk * 10, 10, 240, (n, ch) => (ch == 0 ? 20 : 0.02) * Math.Sin(0.3217 * n))), cancellationToken);
                        }
                        break;
                    case "broken":
                        throw new InvalidOperationException("amplifier unplugged");
                    case "gappy":
                        await output.WriteAsync(SourceItem.ForSamples(Chunk(0, 250, 250, (n, _) => (10 * Math.Sin(n * 0.7)) + (5 * Math.Cos(n * 1.9)))), cancellationToken);
                        await output.WriteAsync(SourceItem.ForGap(new StreamGap(stream.Index, 1, 1.1, 25, "test")), cancellationToken);
                        await output.WriteAsync(SourceItem.ForGap(new StreamGap(stream.Index, 2, 2.1, 25, "test")), cancellationToken);
                        break;
                }
            }

            private SampleChunk Chunk(int first, int count, double stampRate, Func<int, int, double> value)
            {
                ChunkPool pool;
                lock (driver.Pools)
                {
                    pool = driver.Pools.TryGetValue(stream.Key, out ChunkPool? p) ? p : driver.Pools[stream.Key] = new ChunkPool(stream.Index, stream.ChannelCount, count);
                }
                SampleChunk chunk = pool.Rent();
                for (int f = 0; f < count; f++)
                {
                    chunk.Timestamps[f] = 1000 + ((first + f) / stampRate);
                    for (int ch = 0; ch < stream.ChannelCount; ch++)
                    {
                        chunk.Data[(f * stream.ChannelCount) + ch] = value(first + f, ch);
                    }
                }
                chunk.Count = count;
                return chunk;
            }
        }
    }
}
