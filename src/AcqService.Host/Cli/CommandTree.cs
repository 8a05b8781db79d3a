using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;
using AcqService.Host.Hosting;

namespace AcqService.Host.Cli;

/// <summary>
/// The System.CommandLine tree of <c>acq</c>, built from the <see cref="ICommand"/> list: each command becomes a
/// <see cref="Command"/>, each <see cref="OptionSpec"/> an <c>Option&lt;string?&gt;</c> (a flag an
/// <c>Option&lt;bool&gt;</c> without a value), and every command gets one list argument for its positionals. The
/// library tokenizes, matches options and answers the <c>[suggest:N]</c> completion directive; the result is turned
/// into <see cref="ParsedArguments"/>, so commands never see the library. Help text stays ours
/// (<see cref="CommandLineApp.CommandHelp"/>): the library's help layout cannot be customised in 2.0 (its HelpBuilder
/// is internal) and would drop the usage line with value names and the settings syntax.
/// </summary>
/// <remarks>
/// Left to its defaults the library would make several messages worse than the hand-written parser's: an unknown
/// option of a command that takes a file is silently taken as a second file, an option without its value takes the
/// next option as the value (<c>--out --duration 3</c> writes into a folder named <c>--duration</c>), parse errors exit
/// with 1 (our "session had errors"), and <c>--loop=true</c> is reported as an unrecognized <c>true</c>. Those cases are
/// checked here from the parse result and reported with the old wording and exit code 2.
/// </remarks>
internal sealed class CommandTree
{
    private readonly Dictionary<string, Binding> _bindings = new(StringComparer.Ordinal);

    // No response files (@file stays a file name, as before) and no POSIX bundling (acq has no one-letter options).
    private readonly ParserConfiguration _parser = new() { ResponseFileTokenReplacer = null, EnablePosixBundling = false };

    public CommandTree(IReadOnlyList<ICommand> commands)
    {
        Root = new RootCommand("AcqService: EEG/fNIRS acquisition with needle-locked ERPs and live alpha power");
        // Our own --help/-h per command and our own --version: the defaults add -?, /?, /h, which completion would offer.
        Root.Options.Clear();
        // Root options only for completion of "acq --" (the root line itself is read by CommandLineApp).
        Root.Options.Add(new Option<bool>("--help") { Description = "list the commands", Arity = ArgumentArity.Zero });
        Root.Options.Add(new Option<bool>("--version") { Description = "print the version", Arity = ArgumentArity.Zero });
        foreach (ICommand command in commands)
        {
            var binding = new Binding(command);
            _bindings.Add(command.Name, binding);
            Root.Subcommands.Add(binding.Command);
        }
    }

    /// <summary>The root of the tree (its only directive is <c>[suggest]</c>).</summary>
    public RootCommand Root { get; }

    /// <summary>Parses one command's arguments (settings overrides included); throws <see cref="UsageException"/> with the problem.</summary>
    public ParsedArguments Parse(ICommand command, IReadOnlyList<string> args)
    {
        Binding binding = _bindings.TryGetValue(command.Name, out Binding? known) && ReferenceEquals(known.Source, command)
            ? known
            : new Binding(command);
        var parsed = new ParsedArguments(command.Name);
        List<string> rest = ExtractSettings(binding, args, parsed.ConfigurationOverrides);
        ParseResult result = binding.Command.Parse(rest, _parser);
        if (result.GetResult(binding.Help) is not null)
        {
            // Help asked for: shown even when the rest of the line has mistakes.
            parsed.Help = true;
            return parsed;
        }

        ArgumentResult? positionals = result.GetResult(binding.Positionals);
        IReadOnlyList<Token> positionalTokens = positionals?.Tokens ?? [];
        // Words after "--" are file names even when they start with a dash.
        int literal = result.Tokens.SkipWhile(t => t.Type != TokenType.DoubleDash).Skip(1).Count(t => t.Type == TokenType.Argument);
        for (int i = 0; i < positionalTokens.Count - literal; i++)
        {
            if (LooksLikeOption(positionalTokens[i].Value))
            {
                throw new UsageException(UnknownOption(command, positionalTokens[i].Value));
            }
        }
        foreach (OptionSpec spec in command.Options)
        {
            // Implicit: not on the line; a bool option has a result all the same (its default, false).
            if (result.GetResult(binding.Options[spec.Name]) is not OptionResult option || option.Implicit)
            {
                continue;
            }
            if (option.IdentifierTokenCount > 1)
            {
                throw new UsageException($"option '--{spec.Name}' is given twice");
            }
            if (!spec.TakesValue)
            {
                parsed.SetFlag(spec.Name);
                continue;
            }
            // The library takes whatever follows as the value, even the next option; that is a missing value here.
            if (option.Tokens.Count == 0 || IsOptionName(option.Tokens[0].Value))
            {
                throw new UsageException($"option '--{spec.Name}' needs a value ({spec.ValueName})");
            }
            parsed.SetValue(spec.Name, option.Tokens[0].Value);
        }
        if (result.Errors.Count > 0)
        {
            // Anything the checks above do not cover (not expected with this tree), in the library's words.
            throw new UsageException(result.Errors[0].Message);
        }
        parsed.Positionals.AddRange(positionalTokens.Select(t => t.Value));
        if (parsed.ConfigurationOverrides.Count > 0 && !command.AcceptsSettings)
        {
            throw new UsageException($"'{command.Name}' takes no --Section:Key settings");
        }
        return parsed;
    }

    /// <summary>Answers the <c>[suggest:N] "command line"</c> directive: the completions at position N, one a line.</summary>
    public Task<int> SuggestAsync(string[] args)
    {
        ParseResult result = Root.Parse(args, _parser);
        // The process's own SIGINT/SIGTERM handling stays with the commands: the library must not install a handler.
        return result.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, Output = Console.Out, Error = Console.Error });
    }

    /// <summary>The nearest of <paramref name="candidates"/> when it is a plausible misspelling of <paramref name="word"/>.</summary>
    public static string? DidYouMean(string word, IEnumerable<string> candidates)
    {
        string lower = word.ToLowerInvariant();
        List<string> all = candidates.ToList();
        // A unique start of a longer name: '--labels' -> '--labels-as-conditions', 'exp' -> 'export-snirf'.
        List<string> starting = all.Where(c => c.StartsWith(lower, StringComparison.OrdinalIgnoreCase) && lower.TrimStart('-').Length >= 2).ToList();
        if (starting.Count == 1)
        {
            return starting[0];
        }
        (string Name, int Distance) best = all
            .Select(c => (Name: c, Distance: SettingsLoader.Distance(c.ToLowerInvariant(), lower)))
            .OrderBy(c => c.Distance)
            .FirstOrDefault();
        // A third of the word may be wrong (at least one letter): '--durations' -> '--duration', 'demoo' -> 'demo',
        // but 're' suggests nothing rather than 'run'.
        return best.Name is not null && best.Distance <= Math.Max(1, word.Length / 3) ? best.Name : null;
    }

    /// <summary>
    /// Takes <c>--Section:Key=value</c> and <c>--Section:Key value</c> out of the line (before "--") into
    /// <paramref name="overrides"/>, as <c>--Section:Key=value</c>; rejects a flag given a value (<c>--loop=true</c>),
    /// which the library would split into the flag and a stray word.
    /// </summary>
    private static List<string> ExtractSettings(Binding binding, IReadOnlyList<string> args, List<string> overrides)
    {
        var rest = new List<string>(args.Count);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--")
            {
                rest.AddRange(args.Skip(i));
                break;
            }
            if (!IsOptionName(arg))
            {
                rest.Add(arg);
                continue;
            }
            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            string name = eq >= 0 ? arg[2..eq] : arg[2..];
            if (name.Contains(':', StringComparison.Ordinal))
            {
                string value;
                if (eq >= 0)
                {
                    value = arg[(eq + 1)..];
                }
                else if (i + 1 < args.Count)
                {
                    value = args[++i];
                }
                else
                {
                    throw new UsageException($"setting '{name}' needs a value: --{name}=VALUE");
                }
                overrides.Add($"--{name}={value}");
                continue;
            }
            if (eq >= 0 && binding.Source.Options.Any(o => !o.TakesValue && o.Name == name))
            {
                throw new UsageException($"option '--{name}' is a flag and takes no value");
            }
            rest.Add(arg);
        }
        return rest;
    }

    private static string UnknownOption(ICommand command, string token)
    {
        if (!token.StartsWith("--", StringComparison.Ordinal))
        {
            return $"unknown option '{token}' for '{command.Name}' (options are spelled --name); see './acq {command.Name} --help'";
        }
        int eq = token.IndexOf('=', StringComparison.Ordinal);
        string name = eq >= 0 ? token[..eq] : token;
        string? near = DidYouMean(name, command.Options.Select(o => "--" + o.Name));
        string hint = near is null ? "" : $" (did you mean '{near}'?)";
        string known = command.Options.Count == 0 ? "it takes no options" : "its options are " + string.Join(", ", command.Options.Select(o => "--" + o.Name));
        return $"unknown option '{name}' for '{command.Name}'{hint}; {known} (settings are given as --Section:Key=value)";
    }

    /// <summary>A word that can only be meant as an option: a dash and more, and not a negative number.</summary>
    private static bool LooksLikeOption(string word) =>
        word.Length > 1 && word[0] == '-' && !double.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static bool IsOptionName(string word) => word.Length > 2 && word.StartsWith("--", StringComparison.Ordinal);

    /// <summary>One <see cref="ICommand"/> and its System.CommandLine symbols.</summary>
    private sealed class Binding
    {
        public Binding(ICommand source)
        {
            Source = source;
            Command = new Command(source.Name, source.Summary);
            foreach (OptionSpec spec in source.Options)
            {
                Option option = spec.TakesValue
                    ? new Option<string?>("--" + spec.Name) { Description = spec.Help, HelpName = spec.ValueName, Arity = ArgumentArity.ExactlyOne }
                    : new Option<bool>("--" + spec.Name) { Description = spec.Help, Arity = ArgumentArity.Zero };
                if (spec.ValueName is string valueName && valueName.Contains('|', StringComparison.Ordinal) && !valueName.Contains(' ', StringComparison.Ordinal))
                {
                    // "live|fast": the words themselves complete after the option.
                    option.CompletionSources.Add(valueName.Split('|'));
                }
                Options.Add(spec.Name, option);
                Command.Options.Add(option);
            }
            Help = new HelpOption("--help", "-h");
            Command.Options.Add(Help);
            // Every command collects its positionals and checks their number itself (with its own message); the
            // argument is named after the usage line ("FILE.xdf") and hidden for commands that take none.
            string? shown = PositionalName(source);
            Positionals = new Argument<string[]>(shown ?? "ARGS") { Arity = ArgumentArity.ZeroOrMore, Hidden = shown is null, HelpName = shown };
            Command.Arguments.Add(Positionals);
        }

        public ICommand Source { get; }

        public Command Command { get; }

        public Dictionary<string, Option> Options { get; } = new(StringComparer.Ordinal);

        public HelpOption Help { get; }

        public Argument<string[]> Positionals { get; }

        /// <summary>The positional words of the usage line (<c>./acq analyze FILE.xdf [--out DIR]</c> gives FILE.xdf).</summary>
        private static string? PositionalName(ICommand command)
        {
            string[] words = command.Usage.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int at = Array.IndexOf(words, command.Name);
            var names = at < 0 ? [] : words.Skip(at + 1).TakeWhile(w => !w.StartsWith('[') && !w.StartsWith('-')).ToList();
            return names.Count == 0 ? null : string.Join(' ', names);
        }
    }
}
