using AcqService.Host.Cli;
using AcqService.Host.Hosting;
using AcqService.Sessions;
using AcqService.Sources.Profiles;
using AcqService.Sources.Xdf;
using Microsoft.Extensions.Configuration;

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

        IConfigurationRoot configuration = SettingsLoader.Build(arguments.Value("settings"), overrides);
        (AppSettings settings, List<string> problems) = SettingsLoader.Bind(configuration, profile ?? DefaultProfile.Load(null).Profile, profileSource ?? DefaultProfile.SourceName);
        if (SessionLauncher.ReportProblems(problems, Name))
        {
            return ExitCodes.Usage;
        }
        var request = new SessionRequest
        {
            Input = new SessionInput.Recording(file, Merged(RecordingArguments.ReplayOptions(arguments, ReplayPace.Fast)), profile, profileSource, arguments.Flag("labels-as-conditions")),
            Settings = settings,
            OutputFolder = arguments.Value("out"),
            Pace = Sources.Simulation.SimulationPace.Fast,
        };
        return await SessionLauncher.RunAsync(request, configuration, Name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Analysis does not need the recorded chunk boundaries, only the samples: merged chunks, same results.</summary>
    private static XdfReplayOptions Merged(XdfReplayOptions options)
    {
        options.MergeAdjacentChunks = true;
        return options;
    }
}
