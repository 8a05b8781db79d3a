using AcqService.Host.Cli;
using AcqService.Sinks.Bids;
using AcqService.Xdf;

namespace AcqService.Host.Commands;

/// <summary>
/// <c>acq export-bids SESSION_DIR... --root DIR</c>: session folders as an EEG-BIDS dataset (BrainVision data,
/// sidecars, events, the original XDF under <c>sourcedata/</c>, fNIRS as SNIRF under <c>nirs/</c>).
/// </summary>
internal sealed class ExportBidsCommand : ICommand
{
    public string Name => "export-bids";

    public string Summary => "Write session folders as a BIDS dataset (EEG as BrainVision, events, sidecars, fNIRS as SNIRF, XDF in sourcedata/).";

    public string Usage => "./acq export-bids SESSION_DIR... --root DIR [--subject LABEL] [--session LABEL] [--task LABEL] [--run N] [--check FILE] [--overwrite]";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("root", "DIR", "BIDS dataset folder (required; created when missing)"),
        new("subject", "LABEL", "subject label (default: the session's Session:SubjectId); letters and digits only"),
        new("session", "LABEL", "session label (default: Session:SessionLabel; none when empty)"),
        new("task", "LABEL", "task label (default: Session:Protocol when it is a valid label, else 'needling')"),
        new("run", "N", "run index (non-negative integer)"),
        new("check", "FILE", "acq check JSON report: channels that fail become 'bad' (default: the session's check.json if any)"),
        new("name", "TEXT", "dataset name for a new dataset_description.json"),
        new("overwrite", null, "replace existing files that differ (otherwise the export is refused and nothing is written)"),
    ];

    public bool AcceptsSettings => false;

    public Task<int> RunAsync(ParsedArguments arguments, CancellationToken cancellationToken)
    {
        if (arguments.Positionals.Count == 0)
        {
            throw new UsageException("which session folder(s)? usage: " + Usage);
        }
        string root = arguments.Value("root") ?? throw new UsageException("--root DIR is required; usage: " + Usage);
        if (arguments.Positionals.Count > 1 && (arguments.Has("subject") || arguments.Has("session") || arguments.Has("run")))
        {
            throw new UsageException("--subject, --session and --run name one recording; give one session folder with them");
        }
        int? run;
        try
        {
            run = arguments.Value("run") is string r ? BidsEntities.ParseRun(r) : null;
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message);
        }
        int code = ExitCodes.Ok;
        foreach (string session in arguments.Positionals)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var options = new BidsExportOptions
            {
                Root = root,
                Subject = arguments.Value("subject"),
                Session = arguments.Value("session"),
                Task = arguments.Value("task"),
                Run = run,
                CheckReport = arguments.Value("check") is string c ? Path.GetFullPath(c) : null,
                Overwrite = arguments.Flag("overwrite"),
                DatasetName = arguments.Value("name") ?? "AcqService recordings",
            };
            try
            {
                BidsExportResult result = BidsExporter.Export(session, options);
                foreach (string warning in result.Warnings)
                {
                    Console.Error.WriteLine($"acq {Name}: {session}: warning: {warning}");
                }
                int written = result.Files.Count(f => f.Outcome == BidsFileOutcome.Written);
                int same = result.Files.Count(f => f.Outcome == BidsFileOutcome.Unchanged);
                int kept = result.Files.Count(f => f.Outcome == BidsFileOutcome.Kept);
                Console.Out.WriteLine($"{session} -> {Path.GetFullPath(root)}: {result.Entities.Stem}, {result.Events} events; {written} file(s) written, {same} unchanged"
                    + (kept > 0 ? $", {kept} dataset file(s) kept as they were" : ""));
            }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine($"acq {Name}: {session}: {ex.Message}");
                code = Math.Max(code, ExitCodes.Usage);
            }
            catch (BidsConflictException ex)
            {
                Console.Error.WriteLine($"acq {Name}: {session}: {ex.Message}");
                code = Math.Max(code, ExitCodes.Usage);
            }
            catch (Exception ex) when (ex is InvalidDataException or XdfFormatException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
            {
                Console.Error.WriteLine($"acq {Name}: {session}: {ex.Message}");
                code = ExitCodes.Failure;
            }
        }
        return Task.FromResult(code);
    }
}
