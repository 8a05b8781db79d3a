using AcqService.Core.Model;
using System.Diagnostics;
using AcqService.Lsl.Native;

namespace AcqService.Lsl.Tests.Native;

[Collection(NativeLslCollection.Name)]
public sealed class NativeLslResolveTests
{
    private static LslStreamInfo Info(string name, string type, int channels = 2) => new()
    {
        Name = name,
        Type = type,
        ChannelCount = channels,
        NominalSrate = 250,
        ChannelFormat = ChannelFormat.Float32,
        SourceId = "src-" + Guid.NewGuid().ToString("N"),
    };

    [SkippableFact]
    public void ResolveByPredicateMatchesNameAndType()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        string name = NativeLslFixture.UniqueName("pred");
        using ILslOutlet eeg = backend.CreateOutlet(Info(name, "EEG"));
        using ILslOutlet markers = backend.CreateOutlet(Info(name, "Markers"));

        IReadOnlyList<LslStreamInfo> found = backend.Resolve($"name='{name}' and type='EEG'", 1, NativeLslFixture.Timeout);

        LslStreamInfo info = Assert.Single(found);
        Assert.Equal(name, info.Name);
        Assert.Equal("EEG", info.Type);
        Assert.Equal(eeg.Info.Uid, info.Uid);
        Assert.Equal(2, info.ChannelCount);
        Assert.Equal(ChannelFormat.Float32, info.ChannelFormat);
        Assert.Equal(250, info.NominalSrate);
    }

    [SkippableFact]
    public void ResolveAllWithoutPredicateIncludesTheStream()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        using ILslOutlet outlet = backend.CreateOutlet(Info(NativeLslFixture.UniqueName("all"), "EEG"));

        IReadOnlyList<LslStreamInfo> found = backend.Resolve(null, 0, TimeSpan.FromSeconds(1.5));

        Assert.Contains(found, i => i.Uid == outlet.Info.Uid);
        Assert.Equal(found.Count, found.Select(i => i.Uid).Distinct().Count());
    }

    [SkippableFact]
    public void ResolveOfAnAbsentStreamReturnsEmptyAfterTheTimeout()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        var sw = Stopwatch.StartNew();

        IReadOnlyList<LslStreamInfo> found = backend.Resolve($"name='{NativeLslFixture.UniqueName("absent")}'", 1, TimeSpan.FromSeconds(1));

        Assert.Empty(found);
        Assert.InRange(sw.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(3));
    }

    [SkippableFact]
    public void ResolveHonoursCancellation()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var sw = Stopwatch.StartNew();

        Assert.ThrowsAny<OperationCanceledException>(() =>
            backend.Resolve($"name='{NativeLslFixture.UniqueName("cancel")}'", 1, TimeSpan.FromSeconds(4), cts.Token));

        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"cancellation took {sw.Elapsed}");
    }

    [SkippableFact]
    public void InvalidPredicateIsAnArgumentError()
    {
        NativeLslBackend backend = NativeLslFixture.Require();

        Assert.Throws<ArgumentException>(() => backend.Resolve("name='unterminated", 1, TimeSpan.FromMilliseconds(200)));
    }

    [SkippableFact]
    public void ContinuousResolverSeesTheStreamAppear()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        string name = NativeLslFixture.UniqueName("cont");
        using ILslContinuousResolver resolver = backend.CreateContinuousResolver($"name='{name}'", TimeSpan.FromSeconds(5));
        using ILslOutlet outlet = backend.CreateOutlet(Info(name, "NIRS"));

        IReadOnlyList<LslStreamInfo> results = [];
        var sw = Stopwatch.StartNew();
        while (results.Count == 0 && sw.Elapsed < TimeSpan.FromSeconds(8))
        {
            Thread.Sleep(100);
            results = resolver.Results();
        }

        LslStreamInfo info = Assert.Single(results);
        Assert.Equal(outlet.Info.Uid, info.Uid);
        Assert.Equal("NIRS", info.Type);
    }

    [SkippableFact]
    public void FullInfoCarriesDescChannelLabelsThroughLslStreamInfo()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        string[] labels = ["Fp1", "Fp2", "Cz", "O1 ä"];
        LslStreamInfo info = Info(NativeLslFixture.UniqueName("desc"), "EEG", labels.Length)
            .WithChannels(labels.Select(l => (l, "µV", "EEG")));
        info.Desc.Add(new System.Xml.Linq.XElement("acquisition", new System.Xml.Linq.XElement("manufacturer", "AcqService tests")));

        (ILslOutlet outlet, ILslInlet inlet) = NativeLslFixture.Connect(backend, info);
        using (outlet)
        using (inlet)
        {
            Assert.Equal(labels, outlet.Info.ChannelLabels);

            LslStreamInfo full = inlet.GetFullInfo(NativeLslFixture.Timeout);

            Assert.Equal(labels, full.ChannelLabels);
            Assert.All(full.Desc.Element("channels")!.Elements("channel"), c => Assert.Equal("µV", (string?)c.Element("unit")));
            Assert.Equal("AcqService tests", (string?)full.Desc.Element("acquisition")?.Element("manufacturer"));
            Assert.Equal(outlet.Info.Uid, full.Uid);

            // And back: the parsed info serialises to XML that liblsl accepts again.
            LslStreamInfo reparsed = LslStreamInfo.FromXml(full.ToXml());
            Assert.Equal(labels, reparsed.ChannelLabels);
        }
    }

    [SkippableFact]
    public void TimeCorrectionOnOneMachineIsBelowTwoMilliseconds()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        (ILslOutlet outlet, ILslInlet inlet) = NativeLslFixture.Connect(backend, Info(NativeLslFixture.UniqueName("tc"), "EEG"));
        using (outlet)
        using (inlet)
        {
            double offset = inlet.TimeCorrection(NativeLslFixture.Timeout);

            Assert.InRange(Math.Abs(offset), 0, 0.002);
        }
    }
}
