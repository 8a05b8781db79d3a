using AcqService.Sources.Xdf;

namespace AcqService.Host.Cli;

/// <summary>Arguments shared by the commands that read a recording (<c>analyze</c>, <c>replay</c>).</summary>
internal static class RecordingArguments
{
    /// <summary>Options choosing the streams of a recording, for a command's option list.</summary>
    public static IEnumerable<OptionSpec> StreamSelection(string verb) =>
    [
        new("signal-type", "TYPE", $"type of the signal stream(s) to {verb} (default EEG)"),
        new("marker-type", "TYPE", "type of the marker stream(s) (default Markers)"),
        new("signal-stream", "NAME", "pick the signal stream by name instead of type"),
        new("marker-stream", "NAME", "pick the marker stream by name instead of type"),
    ];

    /// <summary>The one recording named on the command line, as a full path; null (after a message) when it does not exist or is a directory.</summary>
    public static string? File(ParsedArguments arguments, ICommand command)
    {
        if (arguments.Positionals.Count != 1)
        {
            throw new UsageException(arguments.Positionals.Count == 0 ? "which file? usage: " + command.Usage : $"one file at a time (got {arguments.Positionals.Count})");
        }
        string file = Path.GetFullPath(arguments.Positionals[0]);
        if (Directory.Exists(file))
        {
            Console.Error.WriteLine($"acq {command.Name}: '{arguments.Positionals[0]}' is a directory, not a recording; give the .xdf file inside it (e.g. {Path.Combine(arguments.Positionals[0], "recording.xdf")})");
            return null;
        }
        if (!System.IO.File.Exists(file))
        {
            Console.Error.WriteLine($"acq {command.Name}: file '{arguments.Positionals[0]}' does not exist");
            return null;
        }
        return file;
    }

    /// <summary>Replay options from the stream-selection options.</summary>
    public static XdfReplayOptions ReplayOptions(ParsedArguments arguments, ReplayPace pace, double speed = 1)
    {
        var options = new XdfReplayOptions { Pace = pace, SpeedFactor = speed };
        if (arguments.Value("signal-type") is string signalType)
        {
            options.SignalTypes = [signalType];
        }
        if (arguments.Value("marker-type") is string markerType)
        {
            options.MarkerTypes = [markerType];
        }
        if (arguments.Value("signal-stream") is string signalName)
        {
            options.SignalStreamNames = [signalName];
        }
        if (arguments.Value("marker-stream") is string markerName)
        {
            options.MarkerStreamNames = [markerName];
        }
        return options;
    }
}
