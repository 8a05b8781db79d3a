using System.Globalization;
using System.Xml.Linq;
using AcqService.Core.Analysis;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Dsp;
using AcqService.Lsl;
using AcqService.Lsl.Managed;
using AcqService.Sources.Lsl;
using AcqService.Sources.Profiles;
using AcqService.Sources.Tests.Lsl;

namespace AcqService.Sources.Tests.Nirs;

/// <summary>
/// The shipped LSL fNIRS device profiles (NIRx Aurora, Artinis OxySoft): they validate, and together with the desc such
/// a device publishes they give the haemoglobin stage its layout; an Aurora-like stream received over LSL is converted.
/// </summary>
[Collection("lsl")]
public sealed class NirsDeviceProfileTests
{
    private static DeviceProfile Load(string file) => ProfileLoader.LoadFile(Path.Combine(NirsTestKit.RepoRoot, "device-profiles", file));

    /// <summary>
    /// The desc NIRStar/Aurora puts on its LSL stream (as read by public LSL clients of it): a frame counter channel
    /// (type nirs_frame), then per measurement label "source-detector:channel", type nirs_raw, unit V, wavelength (nm)
    /// and distance (mm), wavelength-major; optional nirs_hbo/nirs_hbr channels; montage with coordinate_units mm.
    /// </summary>
    private static XElement AuroraDesc((int S, int D)[] pairs, int[] wavelengths, bool withHaemoglobin)
    {
        var channels = new XElement("channels", new XElement("channel", new XElement("label", "frame"), new XElement("type", "nirs_frame"), new XElement("unit", "")));
        int k = 0;
        foreach (int nm in wavelengths)
        {
            foreach ((int s, int d) in pairs)
            {
                k++;
                channels.Add(new XElement("channel", new XElement("label", $"{s}-{d}:{k}"), new XElement("type", "nirs_raw"), new XElement("unit", "V"),
                    new XElement("distance", "30.000"), new XElement("wavelength", nm.ToString(CultureInfo.InvariantCulture))));
            }
        }
        if (withHaemoglobin)
        {
            foreach (string type in new[] { "nirs_hbo", "nirs_hbr" })
            {
                channels.Add(new XElement("channel", new XElement("label", $"{pairs[0].S}-{pairs[0].D}:{type}"), new XElement("type", type), new XElement("unit", "uM")));
            }
        }
        return new XElement("desc",
            new XElement("hardware", new XElement("device", "NIRSport2")),
            new XElement("montage", new XElement("coordinate_units", "mm"), new XElement("nsources", pairs.Max(p => p.S)), new XElement("ndetectors", pairs.Max(p => p.D))),
            new XElement("wavelengths", wavelengths.Select(w => new XElement("wavelength", new XElement("wavelength", w)))),
            channels);
    }

    private static ChannelDescriptor[] ChannelsOf(XElement desc) =>
        [.. desc.Element("channels")!.Elements("channel").Select(c => new ChannelDescriptor((string)c.Element("label")!, (string)c.Element("unit")!, (string)c.Element("type")!))];

    [Fact]
    public void AuroraProfile_WithTheDevicesDesc_GivesPairsDistancesShortChannelsAndAgeDependentDpf()
    {
        DeviceProfile profile = Load("nirx-aurora-lsl.json");
        StreamProfile nirs = profile.Streams.Single(s => s.Nirs is not null);
        (int, int)[] pairs = [.. nirs.Nirs!.Pairs!.Select(p => (p.Source, p.Detector))];
        XElement desc = AuroraDesc(pairs, [760, 850], withHaemoglobin: true);
        ChannelDescriptor[] channels = ChannelsOf(desc);

        NirsMontage montage = NirsProfiles.Montage(nirs.Nirs, channels, desc.ToString())!;
        NirsLayout layout = NirsMontageLayout.ToLayout(montage, channels.Length);

        Assert.Equal(23, layout.Pairs.Count);
        Assert.Equal(46, montage.Channels.Count); // frame counter and the device's own HbO/HbR channels are not intensities
        NirsPair first = layout.Pairs[0];
        Assert.Equal(("S1-D1", 1, 24, 760, 850), (first.Name, first.Channel1, first.Channel2, first.Wavelength1Nm, first.Wavelength2Nm)); // wavelength-major after the frame counter
        Assert.Equal(8, layout.Pairs.Count(p => p.IsShort));
        Assert.All(layout.Pairs.Where(p => p.IsShort), p => Assert.Equal(0.008, p.DistanceM, 12)); // the profile's 8 mm over the device's 30 mm
        Assert.All(layout.Pairs.Where(p => !p.IsShort), p => Assert.Equal(0.030, p.DistanceM, 12));
        // Scholkmann & Wolf at 30 years: 6.2966 at 760 nm, 5.2343 at 850 nm.
        Assert.Equal(6.296600527808664, montage.PathlengthFactors[760], 9);
        Assert.Equal(5.234327827808443, montage.PathlengthFactors[850], 9);
    }

    [Fact]
    public void OxySoftProfile_ReceiverTransmitterLabels_GivePairsAtTheProfilesDistance_NotConvertedAsOpticalDensity()
    {
        DeviceProfile profile = Load("artinis-oxysoft-lsl.json");
        StreamProfile nirs = profile.Streams.Single(s => s.Nirs is not null);
        var channels = new List<ChannelDescriptor>();
        int k = 0;
        foreach (NirsPairProfile p in nirs.Nirs!.Pairs!)
        {
            foreach (int nm in new[] { 760, 850 })
            {
                channels.Add(new ChannelDescriptor($"[{++k}] Rx{p.Detector} - Tx{p.Source} [{nm}nm]", "", "NIRS"));
            }
        }
        channels.AddRange([new("HEADING", "deg", "Orientation"), new("ROLL", "deg", "Orientation"), new("PITCH", "deg", "Orientation")]);
        var device = new XElement("desc", new XElement("channels", channels.Select(c => new XElement("channel", new XElement("label", c.Label), new XElement("type", c.Type)))));
        var stream = new StreamDescriptor("nirs", StreamKind.Signal, "OxySoft", "NIRS", channels, 10, ChannelFormat.Float32, "oxy") { DescriptionXml = device.ToString() };

        StreamDescriptor described = NirsProfiles.Apply(nirs, stream);
        NirsMontage montage = NirsMontage.Parse(described.DescriptionXml, [.. channels.Select(c => c.Label)])!;
        NirsLayout layout = NirsMontageLayout.ToLayout(montage, channels.Count);

        Assert.Equal(8, layout.Pairs.Count);
        Assert.Equal(("S1-D1", 0, 1), (layout.Pairs[0].Name, layout.Pairs[0].Channel1, layout.Pairs[0].Channel2));
        Assert.Equal(("S8-D2", 14, 15), (layout.Pairs[7].Name, layout.Pairs[7].Channel1, layout.Pairs[7].Channel2));
        Assert.All(layout.Pairs, p => Assert.Equal(0.035, p.DistanceM, 12));
        Assert.Equal("opticalDensity", montage.Carries);
        Assert.Equal(6.0, montage.PathlengthFactors[850]);
        // The device's own desc is kept under desc/device.
        Assert.NotNull(XElement.Parse(described.DescriptionXml!).Element("device")?.Element("channels"));
        var registry = new StreamRegistry();
        registry.Add(described);
        Assert.False(new NirsAnalyzer(registry, new HaemoglobinOptions(), new HaemodynamicWindow()).IsActive);
    }

    [Fact]
    public void ExplicitWavelengthMajorOrder_WithoutDeviceDesc_LaysOutPairsAfterTheLeadingChannel()
    {
        var n = new NirsStreamProfile
        {
            ChannelOrder = "wavelengthMajor",
            LeadingChannels = 1,
            WavelengthsNm = [760, 850],
            Pairs = [new() { Source = 1, Detector = 1, DistanceMm = 30 }, new() { Source = 2, Detector = 1, DistanceMm = 8, Short = true }],
            Pathlength = new() { Kind = "ppf", Values = [6.1, 5.9] },
        };
        ChannelDescriptor[] channels = [.. new[] { "frame", "a", "b", "c", "d" }.Select(l => new ChannelDescriptor(l, "V", "NIRS"))];
        NirsLayout layout = NirsMontageLayout.ToLayout(NirsProfiles.Montage(n, channels, null)!, channels.Length);
        Assert.Equal([("S1-D1", 1, 3), ("S2-D1", 2, 4)], layout.Pairs.Select(p => (p.Name, p.Channel1, p.Channel2)));
        Assert.Equal([false, true], layout.Pairs.Select(p => p.IsShort));
        var stream = new StreamProfile { Key = "nirs", Kind = "signal", Type = "NIRS", SampleRateHz = 10, ChannelCount = 3, Source = new SourceProfile { Driver = "lsl" }, Nirs = n };
        Assert.Contains(NirsProfiles.Validate(stream, "$.streams[0]"), p => p.Contains("need 5 channels, the stream has 3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AuroraLikeStream_OverLsl_IsReceivedWithItsDesc_AndConvertedToTheInjectedHaemoglobin()
    {
        using ManagedLslBackend backend = LslTestKit.Backend();
        string name = LslTestKit.Unique("aurora");
        (int S, int D)[] pairs = [(1, 1), (2, 2), (1, 9)];
        XElement desc = AuroraDesc(pairs, [760, 850], withHaemoglobin: true);
        int channelCount = desc.Element("channels")!.Elements("channel").Count();
        var info = new LslStreamInfo { Name = name, Type = "NIRS", ChannelCount = channelCount, NominalSrate = 10, ChannelFormat = ChannelFormat.Float32, SourceId = name + "-sid" };
        foreach (XElement e in desc.Elements())
        {
            info.Desc.Add(new XElement(e));
        }
        using ILslOutlet outlet = backend.CreateOutlet(info);

        StreamProfile profile = Load("nirx-aurora-lsl.json").Streams.Single(s => s.Nirs is not null);
        profile.Source.Predicate = $"name='{name}'";
        profile.SampleRateHz = 10;
        profile.Source.ResolveTimeoutSeconds = 5;
        using LslSignalSource source = await LslSignalSource.ConnectAsync(profile, backend);
        var registry = new StreamRegistry();
        registry.Add(source.Stream);
        var options = new HaemoglobinOptions { Convention = BeerLambertConvention.ModifiedBeerLambert, BaselineSeconds = 2, LowPassHz = null, DetectArtifacts = false };
        var analyzer = new NirsAnalyzer(registry, options, new HaemodynamicWindow());
        Assert.True(analyzer.IsActive);
        Assert.Equal(["S1-D1 hbo", "S1-D1 hbr", "S2-D2 hbo", "S2-D2 hbr", "S1-D9 hbo", "S1-D9 hbr"], analyzer.OutputLabels("nirs"));
        var capture = new Capture();
        analyzer.AddSink(capture);

        // 2 s at rest, then ΔHbO +1 µM / ΔHbR −0.3 µM in every pair, through the modified Beer–Lambert law with the
        // distances the device declares (30 mm; the profile's 8 mm for the short S1-D9) and the age-dependent DPF.
        double dpf760 = DifferentialPathlength.ScholkmannWolf(760, 30), dpf850 = DifferentialPathlength.ScholkmannWolf(850, 30);
        const int frames = 50;
        float[] data = new float[frames * channelCount];
        double[] times = new double[frames];
        for (int f = 0; f < frames; f++)
        {
            times[f] = 100 + (f / 10.0);
            double hbo = f < 20 ? 0 : 1e-6, hbr = f < 20 ? 0 : -0.3e-6;
            data[f * channelCount] = f;
            for (int w = 0; w < 2; w++)
            {
                for (int p = 0; p < pairs.Length; p++)
                {
                    double cm = pairs[p].D == 9 ? 0.8 : 3.0;
                    double od = BeerLambert.ToOpticalDensity(hbo, hbr, w == 0 ? 760 : 850, cm, w == 0 ? dpf760 : dpf850);
                    data[(f * channelCount) + 1 + (w * pairs.Length) + p] = (float)(0.5 * (p + 1) * Math.Pow(10, -od));
                }
            }
            data[(f * channelCount) + channelCount - 2] = 99; // the device's own HbO/HbR: ignored
            data[(f * channelCount) + channelCount - 1] = -99;
        }

        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Data<SourceItem>("aurora→test", singleWriter: false);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Task running = source.RunAsync(edge, stop.Token);
        Assert.True(outlet.WaitForConsumers(TimeSpan.FromSeconds(5)));
        outlet.PushChunk(data, times);
        long index = 0;
        while (capture.Frames < frames && await edge.Reader.WaitToReadAsync(stop.Token))
        {
            while (edge.Reader.TryRead(out SourceItem item))
            {
                if (item.Kind == SourceItemKind.Samples)
                {
                    int count = item.Chunk!.Count;
                    analyzer.Process(AlignedItem.ForSamples(item.Chunk, index, 0)); // releases the chunk
                    index += count;
                }
            }
        }
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10)); // a stop request ends the source without an error

        Assert.Equal(frames, capture.Frames);
        Assert.Equal(times, capture.Times);
        double[] last = capture.Values[^1];
        for (int p = 0; p < pairs.Length; p++)
        {
            Assert.Equal(1.0, last[2 * p], 3);      // µM, within float32 quantisation of the intensities
            Assert.Equal(-0.3, last[(2 * p) + 1], 3);
            Assert.Equal(0.0, capture.Values[10][2 * p], 3); // during the baseline
        }
    }

    private sealed class Capture : IHaemoglobinSink
    {
        public List<double[]> Values { get; } = [];

        public List<double> Times { get; } = [];

        public int Frames => Times.Count;

        public void Write(string streamKey, ReadOnlySpan<double> haemoglobin, ReadOnlySpan<double> times)
        {
            int channels = haemoglobin.Length / times.Length;
            for (int f = 0; f < times.Length; f++)
            {
                Values.Add(haemoglobin.Slice(f * channels, channels).ToArray());
                Times.Add(times[f]);
            }
        }
    }
}
