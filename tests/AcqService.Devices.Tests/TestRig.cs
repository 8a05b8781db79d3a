using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Devices.Simulation;

namespace AcqService.Devices.Tests;

/// <summary>Builds simulated sessions for tests.</summary>
internal static class TestRig
{
    public static readonly string[] Labels32 =
    [
        "Fp1", "Fp2", "AF3", "AF4", "F7", "F3", "Fz", "F4", "F8", "FC5", "FC1", "FC2", "FC6", "T7", "C3", "Cz",
        "C4", "T8", "CP5", "CP1", "CP2", "CP6", "P7", "P3", "Pz", "P4", "P8", "PO3", "PO4", "O1", "Oz", "O2",
    ];

    public static StreamDescriptor Eeg(double rate = 500, string[]? labels = null) =>
        new("eeg", StreamKind.Signal, "SimEEG", "EEG", [.. (labels ?? Labels32).Select(l => new ChannelDescriptor(l, "uV", "EEG"))], rate, ChannelFormat.Float32, "sim-eeg");

    public static StreamDescriptor Needle() =>
        new("needle", StreamKind.Markers, "SimNeedle", "Markers", [new ChannelDescriptor("marker", "", "Marker")], 0, ChannelFormat.String, "sim-needle");

    public static List<ConditionRule> DefaultConditions() =>
    [
        new("insert/real", "^needle/insert;.*kind=real"),
        new("insert/sham", "^needle/insert;.*kind=sham"),
        new("manipulate/real", "^needle/manipulate;.*kind=real"),
        new("manipulate/sham", "^needle/manipulate;.*kind=sham"),
        new("remove/real", "^needle/remove;.*kind=real"),
        new("remove/sham", "^needle/remove;.*kind=sham"),
    ];

    public static Dictionary<string, List<string>> Regions() => new()
    {
        ["parietal-occipital"] = ["P3", "Pz", "P4", "PO3", "PO4", "O1", "Oz", "O2"],
        ["central"] = ["C3", "Cz", "C4", "CP1", "CP2"],
    };

    public static string TempFolder() => Path.Combine(Path.GetTempPath(), "acq-tests", Guid.NewGuid().ToString("N"));
}
