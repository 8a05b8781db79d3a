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
}
