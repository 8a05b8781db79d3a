using AcqService.Core.Model;
using AcqService.Sources.Simulation;

namespace AcqService.Sources.Tests.Simulation;

/// <summary>Injected faults change exactly the channels named and leave every other value bit for bit as it was.</summary>
public sealed class ChannelFaultTests
{
    private static readonly ChannelDescriptor[] s_channels = [.. new[] { "Fp1", "F3", "Cz", "Pz", "O1" }.Select(l => new ChannelDescriptor(l, "uV", "EEG"))];

    private static double[] Generate(SimulationSettings settings, int frames = 2000)
    {
        var simulator = new EegSimulator(settings, NeedleSchedule.Create(settings, 60), s_channels, 500);
        double[] data = new double[frames * s_channels.Length];
        // In uneven pieces, as chunks come: the generator's state must carry over.
        for (int done = 0; done < frames; done += 137)
        {
            int n = Math.Min(137, frames - done);
            simulator.Generate(data.AsSpan(done * s_channels.Length, n * s_channels.Length), n);
        }
        return data;
    }

    private static double[] Channel(double[] data, int channel) => [.. data.Where((_, i) => i % s_channels.Length == channel)];

    [Fact]
    public void Faults_ChangeOnlyTheirChannels_ByTheirDefinition()
    {
        double[] clean = Generate(new SimulationSettings());
        var faulty = new SimulationSettings { FlatChannels = ["cz"], RailedChannels = ["O1"], MainsChannels = ["F3"], MainsMicrovolts = 30, MainsHz = 60, RailMicrovolts = 1000 };
        double[] bad = Generate(faulty);

        // Fp1 and Pz untouched, bit for bit (no random numbers are drawn for the faults).
        Assert.Equal(Channel(clean, 0), Channel(bad, 0));
        Assert.Equal(Channel(clean, 3), Channel(bad, 3));
        Assert.All(Channel(bad, 2), v => Assert.Equal(0.0, v));
        double[] o1Clean = Channel(clean, 4), o1 = Channel(bad, 4);
        for (int i = 0; i < o1.Length; i++)
        {
            Assert.Equal(Math.Min(o1Clean[i] + 1000, 1000), o1[i]);
        }
        double atRail = o1.Count(v => v == 1000) / (double)o1.Length;
        Assert.InRange(atRail, 0.3, 0.7);

        // F3 gains a 30 µV 60 Hz sine: the difference has RMS 30/√2 over whole periods (2000 samples = 4 s = 240 periods).
        double[] diff = [.. Channel(bad, 1).Zip(Channel(clean, 1), (a, b) => a - b)];
        Assert.Equal(30 / Math.Sqrt(2), Math.Sqrt(diff.Average(d => d * d)), 1e-9);
        Assert.Equal(0, diff.Average(), 1e-9);
    }

    [Fact]
    public void UnknownLabel_IsRefusedNamingTheSetting()
    {
        var ex = Assert.Throws<ArgumentException>(() => Generate(new SimulationSettings { RailedChannels = ["Q7"] }));
        Assert.StartsWith("Simulation:RailedChannels: 'Q7' is not a channel of the simulated EEG (channels: Fp1, F3, Cz, Pz, O1)", ex.Message, StringComparison.Ordinal);
        Assert.Contains(new SimulationSettings { RailMicrovolts = 0 }.Validate(), p => p.StartsWith("railMicrovolts", StringComparison.Ordinal));
    }
}
