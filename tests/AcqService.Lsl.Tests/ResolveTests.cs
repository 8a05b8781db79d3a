using AcqService.Core.Model;
using AcqService.Lsl.Managed;

namespace AcqService.Lsl.Tests;

public class ResolveTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(5);

    [Fact]
    public void Resolve_NameAndTypePredicate_FindsOnlyMatchingStream()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("pred");
        using ILslOutlet eeg = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Float32, 1, 10, type: "EEG"));
        using ILslOutlet nirs = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Float32, 1, 10, type: "NIRS"));
        IReadOnlyList<LslStreamInfo> found = backend.Resolve($"name='{name}' and type='EEG'", 1, s_wait);
        LslStreamInfo only = Assert.Single(found);
        Assert.Equal(eeg.Info.Uid, only.Uid);
        Assert.Equal("127.0.0.1", only.V4Address);
        Assert.Equal(eeg.Info.V4DataPort, only.V4DataPort);
    }

    [Fact]
    public void Resolve_StartsWithPredicate_FindsAllAndMergesDuplicatesByUid()
    {
        using var backend = LslTestStreams.Backend();
        string prefix = LslTestStreams.UniqueName("sw");
        using ILslOutlet a = backend.CreateOutlet(LslTestStreams.Info(prefix + "-a", ChannelFormat.Float32, 1, 10));
        using ILslOutlet b = backend.CreateOutlet(LslTestStreams.Info(prefix + "-b", ChannelFormat.Float32, 1, 10));
        IReadOnlyList<LslStreamInfo> found = backend.Resolve($"starts-with(name,'{prefix}')", 2, s_wait);
        Assert.Equal(new[] { a.Info.Uid, b.Info.Uid }.Order(), found.Select(f => f.Uid).Order());
    }

    [Fact]
    public void Resolve_BySourceId_FindsStream()
    {
        using var backend = LslTestStreams.Backend();
        string sourceId = LslTestStreams.UniqueName("sid");
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(LslTestStreams.UniqueName("s"), ChannelFormat.Int32, 1, 10, sourceId: sourceId));
        LslStreamInfo found = Assert.Single(backend.Resolve($"source_id='{sourceId}'", 1, s_wait));
        Assert.Equal(outlet.Info.Uid, found.Uid);
        Assert.Equal(sourceId, found.SourceId);
    }

    [Fact]
    public void Resolve_NoMatchWithMinimumZero_ReturnsEmptyAfterTimeout()
    {
        using var backend = LslTestStreams.Backend();
        IReadOnlyList<LslStreamInfo> found = backend.Resolve($"name='{LslTestStreams.UniqueName("none")}'", 0, TimeSpan.FromMilliseconds(700));
        Assert.Empty(found);
    }

    [Fact]
    public void Resolve_InvalidPredicate_ThrowsArgumentException()
    {
        using var backend = LslTestStreams.Backend();
        Assert.Throws<ArgumentException>(() => backend.Resolve("name='x' and (", 1, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void ContinuousResolver_OutletClosed_IsForgottenAfterForgetInterval()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("cont");
        ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Float32, 1, 10));
        using ILslContinuousResolver resolver = backend.CreateContinuousResolver($"name='{name}'", TimeSpan.FromSeconds(2.5));
        Assert.True(SpinWait.SpinUntil(() => resolver.Results().Count == 1, s_wait));
        Assert.Equal(outlet.Info.Uid, resolver.Results()[0].Uid);
        outlet.Dispose();
        Assert.True(SpinWait.SpinUntil(() => resolver.Results().Count == 0, TimeSpan.FromSeconds(8)));
    }

    [Fact]
    public void GetFullInfo_OutletWithChannelLabels_ReturnsDesc()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("full");
        var info = LslTestStreams.Info(name, ChannelFormat.Float32, 3, 500).WithChannels([("Fz", "uV", "EEG"), ("Cz", "uV", "EEG"), ("Pz", "uV", "EEG")]);
        info.Desc.Add(new System.Xml.Linq.XElement("manufacturer", "Acme & <Co>"));
        using ILslOutlet outlet = backend.CreateOutlet(info);
        LslStreamInfo resolved = LslTestStreams.ResolveOne(backend, name);
        Assert.Empty(resolved.ChannelLabels);
        using ILslInlet inlet = backend.CreateInlet(resolved);
        LslStreamInfo full = inlet.GetFullInfo(s_wait);
        Assert.Equal(["Fz", "Cz", "Pz"], full.ChannelLabels);
        Assert.Equal("Acme & <Co>", (string?)full.Desc.Element("manufacturer"));
        Assert.Equal(outlet.Info.Uid, full.Uid);
        Assert.Equal("127.0.0.1", full.V4Address);
        Assert.Single(backend.Resolve($"name='{name}' and desc/manufacturer='Acme &amp; &lt;Co&gt;' or name='{name}' and count(desc/channels/channel)=3", 1, s_wait));
    }
}
