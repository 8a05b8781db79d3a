using AcqService.Core.Analysis;
using AcqService.Core.Pipeline;
using AcqService.Sessions;
using AcqService.Sinks;
using AcqService.Sources.Profiles;
using AcqService.Sources.Simulation;
using Xunit.Abstractions;

namespace AcqService.Sources.Tests.Nirs;

/// <summary>The live fNIRS stage in a whole session: needle-locked ΔHbO averages recover the injected response.</summary>
public sealed class NirsSessionTests(ITestOutputHelper output)
{
    private const double Clock = 1000.0;

    [Fact]
    public async Task FastSession_EegAndNirs_HaemodynamicAveragesRecoverTheInjectedResponse_RealAboveSham()
    {
        string path = Path.Combine(NirsTestKit.RepoRoot, "device-profiles", "simulated-needling-nirs.json");
        DeviceProfile profile = ProfileLoader.LoadFile(path);
        const double seconds = 1300;
        (IReadOnlyList<ISource> sources, SimulationRig? rig) = SourceBuilder.Build(profile, SourceBuilder.SimulationSettingsOf(profile, "test"), SimulationPace.Fast, seconds, () => Clock);
        var plan = new SessionPlan { Conditions = ProfileLoader.Conditions(profile), Regions = profile.Regions };
        string folder = TestRig.TempFolder();
        var session = new AcquisitionSession(sources, plan, folder, new SessionMetadata(), () => Clock);
        SessionSummary summary = await session.RunAsync(CancellationToken.None);
        output.WriteLine(summary.ToText());

        // One needle event gives an ERP epoch on the EEG and a haemodynamic epoch on the fNIRS stream.
        Assert.Equal(["nirs"], session.Nirs.StreamKeys);
        Assert.True(File.Exists(Path.Combine(folder, SessionOutput.HrfJsonFile)) && File.Exists(Path.Combine(folder, SessionOutput.HrfCsvFile)));
        NirsSimulator sim = rig!.Nirs!.Simulator;
        var peak = new Dictionary<bool, double>();
        foreach (bool real in new[] { true, false })
        {
            string condition = real ? "insert/real" : "insert/sham";
            ConditionAverage average = session.Nirs.Averages.Single(a => a.Condition == condition);
            NeedleEvent[] inserts = [.. rig.Schedule.Events.Where(e => e.Action == NeedleAction.Insert && e.Real == real && e.Time + 20.5 < seconds)];
            Assert.Equal(inserts.Length, average.Count);
            Assert.True(!real || average.Count >= 20, $"{average.Count} real insertions");
            Assert.True(summary.EpochsPerCondition[condition] > 0);

            // Injected response averaged over the same events with the same baseline (−5..0 s).
            double[] times = [.. average.Times];
            double[] expected = new double[times.Length];
            foreach (NeedleEvent e in inserts)
            {
                double baseline = times.Where(t => t <= 1e-9).Average(t => sim.ExpectedHbO(e.Time + t));
                for (int k = 0; k < times.Length; k++)
                {
                    expected[k] += (sim.ExpectedHbO(e.Time + times[k]) - baseline) / inserts.Length;
                }
            }
            int[] hbo = [.. Enumerable.Range(0, average.Channels.Count).Where(c => average.Channels[c].EndsWith("hbo", StringComparison.Ordinal))];
            double[] recovered = [.. Enumerable.Range(0, times.Length).Select(k => hbo.Average(c => average.MeanOf(c)[k]))];
            double r = Pearson(expected, recovered);
            output.WriteLine($"{condition}: n = {average.Count}, r = {r:F3}, peak recovered {recovered.Max():F3} µM vs injected {expected.Max():F3} µM");
            Assert.True(r >= 0.9, $"{condition}: r = {r:F3}");
            peak[real] = recovered.Max();
        }
        Assert.True(peak[true] > peak[false], $"real {peak[true]:F3} µM vs sham {peak[false]:F3} µM");
    }

    private static double Pearson(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average();
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.Sqrt(saa * sbb);
    }
}
