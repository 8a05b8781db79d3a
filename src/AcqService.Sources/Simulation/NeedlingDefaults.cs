using AcqService.Core.Pipeline;

namespace AcqService.Sources.Simulation;

/// <summary>
/// The montage, condition rules and regions of the default needling set-up, as code for tests and benchmarks.
/// <c>device-profiles/simulated-needling.json</c> is the source of truth for the program; a test keeps the two equal.
/// </summary>
public static class NeedlingDefaults
{
    /// <summary>32 10-20 EEG labels in amplifier order.</summary>
    public static IReadOnlyList<string> Labels32 { get; } =
    [
        "Fp1", "Fp2", "AF3", "AF4", "F7", "F3", "Fz", "F4", "F8", "FC5", "FC1", "FC2", "FC6", "T7", "C3", "Cz",
        "C4", "T8", "CP5", "CP1", "CP2", "CP6", "P7", "P3", "Pz", "P4", "P8", "PO3", "PO4", "O1", "Oz", "O2",
    ];

    /// <summary>Insert / manipulate / remove × real / sham, matched on the simulator's labels.</summary>
    public static List<ConditionRule> Conditions() =>
    [
        new("insert/real", "^needle/insert;.*kind=real"),
        new("insert/sham", "^needle/insert;.*kind=sham"),
        new("manipulate/real", "^needle/manipulate;.*kind=real"),
        new("manipulate/sham", "^needle/manipulate;.*kind=sham"),
        new("remove/real", "^needle/remove;.*kind=real"),
        new("remove/sham", "^needle/remove;.*kind=sham"),
    ];

    /// <summary>Regions of interest of the default profile.</summary>
    public static Dictionary<string, List<string>> Regions() => new()
    {
        ["parietal-occipital"] = ["P3", "Pz", "P4", "PO3", "PO4", "O1", "Oz", "O2"],
        ["central"] = ["C3", "Cz", "C4", "CP1", "CP2"],
        ["frontal"] = ["F3", "Fz", "F4", "FC1", "FC2"],
    };
}
