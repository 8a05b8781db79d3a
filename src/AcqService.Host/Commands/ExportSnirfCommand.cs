using AcqService.Host.Cli;
using AcqService.Sinks.Snirf;
using AcqService.Xdf;

namespace AcqService.Host.Commands;

/// <summary>
/// <c>acq export-snirf SESSION_DIR|FILE.xdf --out FILE.snirf</c>: the recording's fNIRS stream as a SNIRF file
/// (raw continuous-wave intensities, probe, needle stimuli) for MNE-Python, Homer3 and other fNIRS tools.
/// </summary>
internal sealed class ExportSnirfCommand : ICommand
{
    public string Name => "export-snirf";

    public string Summary => "Write a recording's fNIRS stream (raw intensities, probe, needle events) as a SNIRF file for MNE/Homer.";

    public string Usage => "./acq export-snirf SESSION_DIR|FILE.xdf --out FILE.snirf [--stream NAME] [--force]";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("out", "FILE", "SNIRF file to write (required; .snirf)"),
        new("stream", "NAME", "the fNIRS stream by name, when the recording has several"),
        new("force", null, "overwrite an existing output file"),
    ];

    public bool AcceptsSettings => false;

    public Task<int> RunAsync(ParsedArguments arguments, CancellationToken cancellationToken)
    {
        if (arguments.Positionals.Count != 1)
        {
            throw new UsageException(arguments.Positionals.Count == 0 ? "which recording? usage: " + Usage : $"one recording at a time (got {arguments.Positionals.Count})");
        }
        string output = arguments.Value("out") ?? throw new UsageException("--out FILE.snirf is required; usage: " + Usage);
        string input = Path.GetFullPath(arguments.Positionals[0]);
        string? recording = Directory.Exists(input) ? FindRecording(input) : File.Exists(input) ? input : null;
        if (recording is null)
        {
            Console.Error.WriteLine(Directory.Exists(input)
                ? $"acq {Name}: no recording (.xdf) in session folder '{arguments.Positionals[0]}'"
                : $"acq {Name}: '{arguments.Positionals[0]}' does not exist");
            return Task.FromResult(ExitCodes.Usage);
        }
        output = Path.GetFullPath(output);
        if (File.Exists(output) && !arguments.Flag("force"))
        {
            Console.Error.WriteLine($"acq {Name}: '{output}' exists; use --force to overwrite it");
            return Task.FromResult(ExitCodes.Usage);
        }
        try
        {
            SnirfExport export = XdfSnirfExport.FromXdf(recording, arguments.Value("stream"));
            foreach (string warning in export.Warnings)
            {
                Console.Error.WriteLine($"acq {Name}: warning: {warning}");
            }
            if (export.MarkersOutside > 0)
            {
                Console.Error.WriteLine($"acq {Name}: warning: {export.MarkersOutside} marker(s) outside the fNIRS recording were left out");
            }
            // Written beside the target first, so a failed export never leaves half a file under the requested name.
            string partial = output + ".partial";
            SnirfWriter.Write(export.Document, partial);
            File.Move(partial, output, overwrite: true);
            Console.Out.WriteLine($"{XdfSnirfExport.Describe(export)} -> {output}");
            return Task.FromResult(ExitCodes.Ok);
        }
        catch (Exception ex) when (ex is InvalidDataException or XdfFormatException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"acq {Name}: {recording}: {ex.Message}");
            return Task.FromResult(ExitCodes.Failure);
        }
    }

    /// <summary><c>recording.xdf</c> in a session folder, else its only <c>.xdf</c> file.</summary>
    private static string? FindRecording(string folder)
    {
        string standard = Path.Combine(folder, "recording.xdf");
        if (File.Exists(standard))
        {
            return standard;
        }
        string[] files = Directory.GetFiles(folder, "*.xdf");
        return files.Length == 1 ? files[0] : null;
    }
}
