using AcqService.Host.Cli;
using AcqService.Xdf;

namespace AcqService.Host.Commands;

/// <summary><c>acq repair FILE.xdf --out CLEAN.xdf</c>: writes a clean copy of everything readable, with correct footers.</summary>
internal sealed class RepairCommand : ICommand
{
    public string Name => "repair";

    public string Summary => "Write a clean copy of a damaged XDF file (everything readable, footers rebuilt); the original is not touched.";

    public string Usage => "./acq repair FILE.xdf --out CLEAN.xdf";

    public IReadOnlyList<OptionSpec> Options { get; } = [new("out", "FILE", "where to write the clean copy (must not exist)")];

    public bool AcceptsSettings => false;

    public Task<int> RunAsync(ParsedArguments arguments, CancellationToken cancellationToken)
    {
        if (arguments.Positionals.Count != 1 || arguments.Value("out") is not string output)
        {
            throw new UsageException("usage: " + Usage);
        }
        string input = arguments.Positionals[0];
        if (!File.Exists(input))
        {
            Console.Error.WriteLine($"acq repair: file '{input}' does not exist");
            return Task.FromResult(ExitCodes.Usage);
        }
        if (File.Exists(output))
        {
            Console.Error.WriteLine($"acq repair: '{output}' exists; choose another --out (nothing is overwritten)");
            return Task.FromResult(ExitCodes.Usage);
        }
        if (Path.GetFullPath(output) == Path.GetFullPath(input))
        {
            Console.Error.WriteLine("acq repair: --out must differ from the input file");
            return Task.FromResult(ExitCodes.Usage);
        }
        try
        {
            XdfRepairReport report = XdfRepair.Repair(input, output);
            Console.Out.WriteLine(report.InputWasClean ? $"{input} was already clean; copy written to {output}" : $"repaired copy written to {output}");
            foreach (XdfStreamHeader stream in report.Streams)
            {
                long samples = report.SamplesPerStream.GetValueOrDefault(stream.StreamId);
                Console.Out.WriteLine($"  stream {stream.StreamId}: {stream.Name} ({stream.Type}, {stream.ChannelCount} ch) — {samples} samples recovered");
            }
            Console.Out.WriteLine($"  clock offsets {report.ClockOffsetCount}, boundaries {report.BoundaryCount}, footers in the input {report.InputFooterCount}");
            foreach (XdfDiagnostic d in report.Diagnostics.Take(20))
            {
                Console.Out.WriteLine($"  problem at byte {d.Offset}: {d.Message}");
            }
            if (report.Diagnostics.Count > 20)
            {
                Console.Out.WriteLine($"  … and {report.Diagnostics.Count - 20} more");
            }
            return Task.FromResult(ExitCodes.Ok);
        }
        catch (Exception ex) when (ex is XdfFormatException or IOException or InvalidDataException)
        {
            Console.Error.WriteLine($"acq repair: {input}: {ex.Message}");
            return Task.FromResult(ExitCodes.Failure);
        }
    }
}
