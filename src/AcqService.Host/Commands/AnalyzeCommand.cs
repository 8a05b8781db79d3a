using AcqService.Core.Pipeline;
using AcqService.Core.Profiles;
using AcqService.Sinks;
using AcqService.Sources.Xdf;
using AcqService.Host.Cli;
using AcqService.Host.Hosting;
using AcqService.Xdf;
using Microsoft.Extensions.Configuration;
using AcqService.Sessions;

namespace AcqService.Host.Commands;

/// <summary>
/// <c>acq analyze FILE.xdf</c>: runs a recording (ours or any other XDF) through the same pipeline as a live
/// session, as fast as possible, and writes the same session folder. For our own recordings the condition rules
/// stored in the file are used, so the results equal the live run's; for other files each distinct marker label is
/// its own condition unless a profile or <c>--labels-as-conditions</c> says otherwise.
/// </summary>
internal sealed class AnalyzeCommand : ICommand
{
    public string Name => "analyze";

    public string Summary => "Run an XDF recording through the live pipeline as fast as possible; writes a session folder.";

    public string Usage => "./acq analyze FILE.xdf [--out DIR] [--profile FILE] [--signal-type EEG] [--marker-type Markers] [--signal-stream NAME] [--marker-stream NAME] [--labels-as-conditions] [--tmin S] [--tmax S] [--highpass HZ] [--lowpass HZ] [--notch HZ] [--settings FILE] [--Section:Key=value ...]";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("out", "DIR", "session folder to write (default: Session:OutputRoot/<date-time>-analyze-<file>)"),
        new("profile", "FILE", "take condition rules and regions from this device profile"),
        .. RecordingArguments.StreamSelection("analyse"),
        new("labels-as-conditions", null, "each distinct marker label is its own condition (ignore stored rules)"),
        new("tmin", "SECONDS", "epoch start (Epochs:TminSeconds)"),
        new("tmax", "SECONDS", "epoch end (Epochs:TmaxSeconds)"),
        new("highpass", "HZ", "pre-filter high-pass corner, 0 = none (Epochs:Filter:HighPassHz)"),
        new("lowpass", "HZ", "pre-filter low-pass corner, 0 = none (Epochs:Filter:LowPassHz)"),
        new("notch", "HZ", "mains notch, 0 = none (Epochs:Filter:NotchHz)"),
        new("settings", "FILE", "settings JSON (same layout as appsettings.json)"),
    ];

    public bool AcceptsSettings => true;

    public async Task<int> RunAsync(ParsedArguments arguments, CancellationToken cancellationToken)
    {
        if (RecordingArguments.File(arguments, this) is not string file)
        {
            return ExitCodes.Usage;
        }
        var overrides = new List<string>(arguments.ConfigurationOverrides);
        void Map(string option, string key, double min, double max)
        {
            if (arguments.Number(option, min, max) is double v)
            {
                overrides.Add($"--{key}={v.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
            }
        }
        Map("tmin", "Epochs:TminSeconds", -10, 10);
        Map("tmax", "Epochs:TmaxSeconds", -10, 10);
        Map("highpass", "Epochs:Filter:HighPassHz", 0, 100_000);
        Map("lowpass", "Epochs:Filter:LowPassHz", 0, 100_000);
        Map("notch", "Epochs:Filter:NotchHz", 0, 100_000);

        DeviceProfile? profile = null;
        string? profileSource = arguments.Value("profile");
        try
        {
            profile = profileSource is null ? null : ProfileLoader.LoadFile(profileSource);
        }
        catch (ProfileException ex)
        {
            Console.Error.WriteLine($"acq analyze: {ex.Message}");
            return ExitCodes.Usage;
        }

        XdfReplayOptions replayOptions = RecordingArguments.ReplayOptions(arguments, ReplayPace.Fast);
        XdfReplaySource source;
        try
        {
            source = XdfReplayFactory.Open(file, replayOptions);
        }
        catch (Exception ex) when (ex is InvalidDataException or XdfFormatException or IOException or ArgumentException)
        {
            Console.Error.WriteLine($"acq analyze: {ex.Message}");
            return ExitCodes.Failure;
        }

        IConfigurationRoot configuration = SettingsLoader.Build(arguments.Value("settings"), overrides);
        DeviceProfile settingsProfile = profile ?? DefaultProfileForAnalysis();
        (AppSettings settings, List<string> problems) = SettingsLoader.Bind(configuration, settingsProfile, profileSource ?? DefaultProfile.SourceName);

        // Conditions: profile > stored rules (our recordings: same as live) > one condition per label.
        List<ConditionRule> rules = arguments.Flag("labels-as-conditions") ? []
            : profile is not null ? ProfileLoader.Conditions(profile)
            : source.Metadata?.ConditionRules ?? [];
        var labels = new HashSet<string>(source.Streams.SelectMany(s => s.Channels.Select(c => c.Label)), StringComparer.OrdinalIgnoreCase);
        Dictionary<string, List<string>> regions = profile?.Regions ?? DefaultRegionsFor(labels);
        var plan = new SessionPlan
        {
            Aligner = settings.Aligner,
            Epochs = settings.Epochs,
            Alpha = settings.Alpha,
            Conditions = rules,
            LabelsAsConditions = rules.Count == 0,
            Regions = regions,
        };
        problems.AddRange(plan.Validate());
        if (SessionLauncher.ReportProblems(problems, Name))
        {
            return ExitCodes.Usage;
        }
        string? folder = SessionLauncher.PrepareFolder(arguments.Value("out"), settings, "analyze-" + Path.GetFileNameWithoutExtension(file), Name);
        if (folder is null)
        {
            return ExitCodes.Usage;
        }
        var metadata = new SessionMetadata
        {
            Mode = "analyze",
            ProfileName = profile?.Name ?? "(from recording)",
            ProfileSource = file,
            Profile = profileSource is null ? null : SessionLauncher.ParseJson(File.ReadAllText(profileSource)),
            SoftwareVersion = CommandLineApp.Version,
            Settings = new { settings.Epochs, settings.Alpha, settings.Aligner, Conditions = rules, LabelsAsConditions = rules.Count == 0, Regions = regions, Recording = file },
        };
        metadata.ClockAtStart = source.Metadata?.ClockAtStart ?? FirstTimestamp(file);
        metadata.Notes.Add(rules.Count == 0 ? "conditions: one per distinct marker label"
            : profile is not null ? $"conditions: from profile {profileSource}" : "conditions: the rules stored in the recording");
        var job = new SessionJob { Sources = [source], Plan = plan, Folder = folder, Settings = settings, Metadata = metadata };
        string banner = $"AcqService {CommandLineApp.Version}: analyzing {file} ({string.Join(", ", source.Streams.Select(s => $"{s.Key} {s.Type}"))})";
        int code = await SessionLauncher.RunAsync(job, configuration, banner, cancellationToken).ConfigureAwait(false);
        if (source.Diagnostics.Count > 0)
        {
            // wt-inputs: damage counts on the console (the lead puts them into summary.* and the exit code).
            Console.Error.WriteLine($"acq analyze: the file is damaged: {source.Diagnostics.Count} problem(s), {source.DamagedChunks} chunk(s) and {source.SkippedSamples} sample(s) skipped, {source.SkippedBytes} byte(s) unreadable; everything else was used. First: {source.Diagnostics[0]}");
        }
        return code;
    }

    /// <summary>First sample timestamp in the file (session-time origin for recordings made by other tools).</summary>
    private static double FirstTimestamp(string file)
    {
        using XdfReader reader = XdfReader.Open(file);
        while (reader.TryReadChunk(out XdfChunk? chunk))
        {
            if (chunk is XdfSamplesChunk { Timestamps.Length: > 0 } samples)
            {
                return samples.Timestamps[0];
            }
        }
        return 0;
    }

    private static DeviceProfile DefaultProfileForAnalysis() => DefaultProfile.Load(null).Profile;

    /// <summary>The default profile's regions restricted to the channels the file has (regions left empty are dropped).</summary>
    private static Dictionary<string, List<string>> DefaultRegionsFor(HashSet<string> labels)
    {
        var regions = new Dictionary<string, List<string>>();
        foreach ((string name, List<string> members) in DefaultProfile.Load(null).Profile.Regions)
        {
            List<string> present = [.. members.Where(labels.Contains)];
            if (present.Count > 0)
            {
                regions[name] = present;
            }
        }
        return regions;
    }
}
