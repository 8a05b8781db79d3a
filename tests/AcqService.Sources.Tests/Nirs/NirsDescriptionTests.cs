using System.Xml.Linq;
using AcqService.Core.Model;
using AcqService.Lsl;
using AcqService.Lsl.Managed;
using AcqService.Sources.Lsl;
using AcqService.Sources.Simulation;
using AcqService.Sources.Tests.Lsl;

namespace AcqService.Sources.Tests.Nirs;

/// <summary>The simulated fNIRS device describes its channels and probe in the stream desc, and an LSL outlet passes that on.</summary>
[Collection("lsl")]
public sealed class NirsDescriptionTests
{
    private static SimulationRig Rig(SimulationSettings settings) =>
        new(settings, NirsTestKit.SmallEeg(), TestRig.Needle(), NirsTestKit.Nirs(), SimulationPace.Fast, 10, () => 1000.0);

    [Fact]
    public void SimulatedStream_DescribesEveryChannel_AndTheProbeAtTheSimulatedDistance()
    {
        StreamDescriptor stream = Rig(new SimulationSettings { NirsDistanceCm = 3.5 }).Nirs!.Stream;
        NirsMontage montage = NirsMontage.Parse(stream.DescriptionXml, [])!;
        Assert.Equal(NirsTestKit.Labels16, montage.Channels.Select(c => c.Label));
        Assert.Equal(Enumerable.Range(0, 16), montage.Channels.Select(c => c.StreamChannel));
        Assert.All(montage.Channels, c => Assert.Equal(("nirs_raw", "V"), (c.Type, c.Unit)));
        Assert.Equal([760, 850], montage.WavelengthsNm);
        Assert.All(Enumerable.Range(0, 16), c => Assert.Equal(0.035, montage.DistanceM(c), 9));
        // The profile's channel descriptors are unchanged (analysis code keys on them).
        Assert.All(stream.Channels, c => Assert.Equal(("V", "NIRS"), (c.Unit, c.Type)));
    }

    [Fact]
    public void LslOutlet_KeepsTheFnirsChannelMetadata()
    {
        SimulationRig rig = Rig(new SimulationSettings());
        using ManagedLslBackend backend = LslTestKit.Backend();
        using var publisher = new SourceLslPublisher(backend, [rig.Nirs!]);
        LslStreamInfo info = publisher.OutletInfo(rig.Nirs!.Stream);
        XElement[] channels = [.. info.Desc.Element("channels")!.Elements("channel")];
        Assert.Equal(16, channels.Length);
        Assert.Equal(("S8-D8 850", "8", "8", "850"), ((string)channels[15].Element("label")!, (string)channels[15].Element("source")!, (string)channels[15].Element("detector")!, (string)channels[15].Element("wavelength")!));
        Assert.NotNull(info.Desc.Element("montage")?.Element("optodes"));
    }
}
