using AcqService.Host.Cli;
using AcqService.Xdf;

namespace AcqService.Host.Commands;

/// <summary><c>acq inspect FILE.xdf</c>: what a recording contains, in one streaming pass.</summary>
internal sealed class InspectCommand : ICommand
{
    public string Name => "inspect";

    public string Summary => "Show an XDF file's streams, channels, rates, durations, samples, markers, clock offsets, gaps and damage.";

    public string Usage => "./acq inspect FILE.xdf";

    public IReadOnlyList<OptionSpec> Options { get; } = [];

    public bool AcceptsSettings => false;

    public Task<int> RunAsync(ParsedArguments arguments, CancellationToken cancellationToken)
    {
        if (arguments.Positionals.Count != 1)
        {
            throw new UsageException("usage: " + Usage);
        }
        string file = arguments.Positionals[0];
        if (!File.Exists(file))
        {
            Console.Error.WriteLine($"acq inspect: file '{file}' does not exist");
            return Task.FromResult(ExitCodes.Usage);
        }
        try
        {
            XdfSummary summary = XdfInspector.Inspect(file);
            Console.Out.Write(summary.ToString());
            // A damaged file is reported (exit 1) but everything readable was listed.
            return Task.FromResult(summary.Diagnostics.Count > 0 ? ExitCodes.SessionErrors : ExitCodes.Ok);
        }
        catch (Exception ex) when (ex is XdfFormatException or IOException or InvalidDataException)
        {
            Console.Error.WriteLine($"acq inspect: {file}: {ex.Message}");
            return Task.FromResult(ExitCodes.Failure);
        }
    }
}
