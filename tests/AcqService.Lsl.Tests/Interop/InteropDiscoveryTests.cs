using AcqService.Core.Model;
using AcqService.Lsl.Tests.Native;
using Xunit.Abstractions;

namespace AcqService.Lsl.Tests.Interop;

/// <summary>
/// Discovery, metadata and time sync across implementations, both directions. The predicates use XPath beyond plain
/// equality (<c>starts-with</c>, numeric comparison, <c>desc</c> paths) because the outlet evaluates them against its
/// full document. Skipped with the loader's reason when liblsl is unavailable; loopback only.
/// </summary>
[Collection(NativeLslCollection.Name)]
public sealed class InteropDiscoveryTests(ITestOutputHelper output)
{
    private static string Predicate(LslStreamInfo info, string manufacturer) =>
        $"starts-with(name,'{info.Name[..^8]}') and type='{info.Type}' and channel_count>={info.ChannelCount} and desc/manufacturer='{manufacturer}'";

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void OneShotResolve_ByPredicate_FindsTheOtherImplementationsOutlet_WithDescViaFullInfo(bool nativeOutlet)
    {
        using InteropPeers peers = InteropPeers.Require(output);
        (ILslBackend outletSide, ILslBackend resolverSide) = nativeOutlet ? ((ILslBackend)peers.Native, (ILslBackend)peers.Managed) : (peers.Managed, peers.Native);
        string manufacturer = "Acme-" + Guid.NewGuid().ToString("N")[..6];
        LslStreamInfo info = InteropPeers.Describe(InteropPeers.Info("disc", ChannelFormat.Float32, 8, 250), manufacturer);
        using ILslOutlet outlet = outletSide.CreateOutlet(info);

        IReadOnlyList<LslStreamInfo> found = resolverSide.Resolve(Predicate(info, manufacturer), 1, InteropPeers.Timeout);

        LslStreamInfo hit = Assert.Single(found);
        Assert.Equal(info.Name, hit.Name);
        Assert.Equal(info.SourceId, hit.SourceId);
        Assert.Equal(8, hit.ChannelCount);
        Assert.Equal(ChannelFormat.Float32, hit.ChannelFormat);
        Assert.Equal(250, hit.NominalSrate);
        Assert.Equal(outlet.Info.Uid, hit.Uid);

        // A predicate that differs only inside desc must not match.
        Assert.Empty(resolverSide.Resolve(Predicate(info, manufacturer + "x"), 1, TimeSpan.FromSeconds(1.5)));

        using ILslInlet inlet = resolverSide.CreateInlet(hit, recover: false);
        LslStreamInfo full = inlet.GetFullInfo(InteropPeers.Timeout);
        Assert.Equal(info.ChannelLabels, full.ChannelLabels);
        Assert.Equal(manufacturer, (string?)full.Desc.Element("manufacturer"));
        Assert.Equal("microvolts", (string?)full.Desc.Element("channels")!.Elements("channel").First().Element("unit"));
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void ContinuousResolver_ByPredicate_FindsTheOtherImplementationsOutlet(bool nativeOutlet)
    {
        using InteropPeers peers = InteropPeers.Require(output);
        (ILslBackend outletSide, ILslBackend resolverSide) = nativeOutlet ? ((ILslBackend)peers.Native, (ILslBackend)peers.Managed) : (peers.Managed, peers.Native);
        string manufacturer = "Cont-" + Guid.NewGuid().ToString("N")[..6];
        LslStreamInfo info = InteropPeers.Describe(InteropPeers.Info("cont", ChannelFormat.Float32, 8, 250), manufacturer);
        using ILslOutlet outlet = outletSide.CreateOutlet(info);
        using ILslContinuousResolver resolver = resolverSide.CreateContinuousResolver(Predicate(info, manufacturer), TimeSpan.FromSeconds(5));

        LslStreamInfo hit = InteropPeers.AwaitContinuous(resolver, info.Name);

        Assert.Equal(outlet.Info.Uid, hit.Uid);
        Assert.Single(resolver.Results(), r => r.Name == info.Name);
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void TimeCorrection_SameHost_IsWithin2ms(bool nativeOutlet)
    {
        // Also proves the two clocks share an epoch: a mismatch would show up as a huge offset, not jitter.
        using InteropPeers peers = InteropPeers.Require(output);
        (ILslBackend outletSide, ILslBackend inletSide) = nativeOutlet ? ((ILslBackend)peers.Native, (ILslBackend)peers.Managed) : (peers.Managed, peers.Native);
        (ILslOutlet outlet, ILslInlet inlet) = InteropPeers.Connect(outletSide, inletSide, InteropPeers.Info("tc", ChannelFormat.Float32, 1, 100));
        using (outlet)
        using (inlet)
        {
            double correction = inlet.TimeCorrection(InteropPeers.Timeout);
            output.WriteLine($"{outletSide.Name} outlet → {inletSide.Name} inlet: time correction {correction * 1e6:F1} µs");
            Assert.InRange(Math.Abs(correction), 0, 0.002);
            Assert.InRange(Math.Abs(peers.Native.LocalClock() - peers.Managed.LocalClock()), 0, 0.002);
        }
    }
}
