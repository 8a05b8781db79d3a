using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Simulation;

namespace AcqService.Sources.Tests;

/// <summary>Builds simulated sessions for tests.</summary>
internal static class TestRig
{
    public static readonly string[] Labels32 = [.. NeedlingDefaults.Labels32];

    public static StreamDescriptor Eeg(double rate = 500, string[]? labels = null) =>
        new("eeg", StreamKind.Signal, "SimEEG", "EEG", [.. (labels ?? Labels32).Select(l => new ChannelDescriptor(l, "uV", "EEG"))], rate, ChannelFormat.Float32, "sim-eeg");

    public static StreamDescriptor Needle() =>
        new("needle", StreamKind.Markers, "SimNeedle", "Markers", [new ChannelDescriptor("marker", "", "Marker")], 0, ChannelFormat.String, "sim-needle");

    public static List<ConditionRule> DefaultConditions() => NeedlingDefaults.Conditions();

    public static Dictionary<string, List<string>> Regions() => new()
    {
        ["parietal-occipital"] = NeedlingDefaults.Regions()["parietal-occipital"],
        ["central"] = NeedlingDefaults.Regions()["central"],
    };

    public static string TempFolder() => Path.Combine(Path.GetTempPath(), "acq-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Index of the largest value.</summary>
    public static int ArgMax(double[] x) => Array.IndexOf(x, x.Max());

    /// <summary>Lag (samples, within ±<paramref name="maxLag"/>) by which <paramref name="b"/> best matches <paramref name="a"/> (cross-correlation peak).</summary>
    public static int BestLag(double[] a, double[] b, int maxLag)
    {
        int best = 0;
        double bestValue = double.NegativeInfinity;
        for (int lag = -maxLag; lag <= maxLag; lag++)
        {
            double sum = 0;
            for (int i = Math.Max(0, -lag); i < a.Length && i + lag < b.Length; i++)
            {
                sum += a[i] * b[i + lag];
            }
            if (sum > bestValue)
            {
                bestValue = sum;
                best = lag;
            }
        }
        return -best;
    }
}
