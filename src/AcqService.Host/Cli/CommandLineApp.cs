using System.Reflection;
using System.Text;
using AcqService.Host.Commands;

namespace AcqService.Host.Cli;

/// <summary>Entry point of the <c>acq</c> command line: finds the command, parses its arguments, runs it.</summary>
internal static class CommandLineApp
{
    /// <summary>Every command, in help order.</summary>
    public static IReadOnlyList<ICommand> Commands { get; } =
    [
        new RunCommand(isDemo: true),
        new RunCommand(isDemo: false),
        new AnalyzeCommand(),
        new InspectCommand(),
        new RepairCommand(),
        new SimulateCommand(),
        new StreamsCommand(),
        new ReplayCommand(),
        new ExportSnirfCommand(),
        new CheckCommand(),
        new ServeCommand(),
        new ServiceClientCommand("status"),
        new ServiceClientCommand("start"),
        new ServiceClientCommand("stop"),
        new ServiceClientCommand("mark"),
        new ExportBidsCommand(),
        new ProtocolCommand(),
        new CatalogCommand(),
        new StudyCommand(),
    ];

    public static string Version =>
        typeof(CommandLineApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>The System.CommandLine tree built from <see cref="Commands"/> (parsing, option help, completion).</summary>
    internal static CommandTree Tree { get; } = new(Commands);

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help" && args.Length == 1)
        {
            Console.Out.Write(GeneralHelp());
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }
        if (args[0] is "--version" or "version")
        {
            Console.Out.WriteLine($"acq {Version}");
            return ExitCodes.Ok;
        }
        if (args[0].StartsWith("[suggest", StringComparison.Ordinal))
        {
            // Tab completion: acq "[suggest:N]" "the command line" prints the words that fit at position N (tools/acq-completion.bash).
            return await Tree.SuggestAsync(args).ConfigureAwait(false);
        }
        string name = args[0] == "help" ? args[1] : args[0];
        ICommand? command = Commands.FirstOrDefault(c => c.Name == name);
        if (command is null)
        {
            string? near = CommandTree.DidYouMean(name, Commands.Select(c => c.Name));
            string hint = near is null ? "" : $" Did you mean '{near}'?";
            Console.Error.WriteLine($"acq: unknown command '{name}'.{hint} Commands: {string.Join(", ", Commands.Select(c => c.Name))}. Run './acq --help'.");
            return ExitCodes.Usage;
        }
        if (args[0] == "help")
        {
            Console.Out.Write(CommandHelp(command));
            return ExitCodes.Ok;
        }
        ParsedArguments parsed;
        try
        {
            parsed = ParsedArguments.Parse(command, args[1..]);
        }
        catch (UsageException ex)
        {
            Console.Error.WriteLine($"acq {command.Name}: {ex.Message}");
            return ExitCodes.Usage;
        }
        if (parsed.Help)
        {
            Console.Out.Write(CommandHelp(command));
            return ExitCodes.Ok;
        }
        // The command runs here rather than as a System.CommandLine action: its exit code, UsageException and the
        // SIGINT/SIGTERM handling of the hosts stay exactly as documented (README "Exit codes").
        using var interrupt = new CancellationTokenSource();
        try
        {
            return await command.RunAsync(parsed, interrupt.Token).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            Console.Error.WriteLine($"acq {command.Name}: {ex.Message}");
            return ExitCodes.Usage;
        }
    }

    public static string GeneralHelp()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"acq {Version} — AcqService: EEG/fNIRS acquisition with needle-locked ERPs and live alpha power");
        sb.AppendLine();
        sb.AppendLine("Usage: ./acq COMMAND [options] [--Section:Key=value ...]");
        sb.AppendLine();
        sb.AppendLine("Commands:");
        foreach (ICommand c in Commands)
        {
            sb.AppendLine($"  {c.Name,-13} {c.Summary}");
        }
        sb.AppendLine();
        sb.AppendLine("Run './acq COMMAND --help' for a command's options. Exit codes: 0 ok, 1 session finished with errors,");
        sb.AppendLine("2 wrong arguments/settings/profile, 3 could not run, 4/5 check warned/failed, 130 interrupted.");
        sb.AppendLine("Tab completion in bash: source tools/acq-completion.bash (see README).");
        return sb.ToString();
    }

    public static string CommandHelp(ICommand command)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Usage: {command.Usage}");
        sb.AppendLine();
        sb.AppendLine(command.Summary);
        if (command.Options.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Options:");
            foreach (OptionSpec o in command.Options)
            {
                string left = o.TakesValue ? $"--{o.Name} {o.ValueName}" : $"--{o.Name}";
                sb.AppendLine($"  {left,-24} {o.Help}");
            }
        }
        if (command.AcceptsSettings)
        {
            sb.AppendLine();
            sb.AppendLine("Any setting of appsettings.json can be overridden, e.g. --Epochs:TminSeconds=-0.5 --Alpha:BandHighHz=12");
            sb.AppendLine("(or with environment variables ACQ_Epochs__TminSeconds=-0.5). See README \"Configuration reference\".");
        }
        return sb.ToString();
    }
}
