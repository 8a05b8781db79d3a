using System.Globalization;

namespace AcqService.Host.Cli;

/// <summary>
/// Arguments of one command after parsing: option values, flags, positionals, and configuration overrides
/// (<c>--Section:Key=value</c>), which go to the configuration system unchanged.
/// </summary>
internal sealed class ParsedArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public ParsedArguments(string command) => Command = command;

    public string Command { get; }

    public List<string> Positionals { get; } = [];

    public List<string> ConfigurationOverrides { get; } = [];

    public bool Help { get; set; }

    public void SetValue(string name, string value) => _values[name] = value;

    public void SetFlag(string name) => _flags.Add(name);

    public bool Has(string name) => _values.ContainsKey(name) || _flags.Contains(name);

    public string? Value(string name) => _values.GetValueOrDefault(name);

    public bool Flag(string name) => _flags.Contains(name);

    /// <summary>A number option within [min, max], or null when absent.</summary>
    public double? Number(string name, double min, double max)
    {
        if (!_values.TryGetValue(name, out string? text))
        {
            return null;
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            throw new UsageException($"--{name}: '{text}' is not a number");
        }
        if (value < min || value > max)
        {
            throw new UsageException($"--{name}: {text} is out of range ({min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)})");
        }
        return value;
    }

    /// <summary>One of the allowed words, or null when absent.</summary>
    public string? Choice(string name, params string[] allowed)
    {
        string? text = Value(name);
        if (text is not null && !allowed.Contains(text, StringComparer.Ordinal))
        {
            throw new UsageException($"--{name}: '{text}' is not one of {string.Join(", ", allowed)}");
        }
        return text;
    }

    /// <summary>Parses <paramref name="args"/> against a command's options.</summary>
    public static ParsedArguments Parse(ICommand command, IReadOnlyList<string> args)
    {
        var parsed = new ParsedArguments(command.Name);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg is "-h" or "--help")
            {
                parsed.Help = true;
                continue;
            }
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                if (arg.StartsWith('-') && arg.Length > 1 && !double.TryParse(arg, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                {
                    throw new UsageException($"unknown option '{arg}' for '{command.Name}' (options are spelled --name); see './acq {command.Name} --help'");
                }
                parsed.Positionals.Add(arg);
                continue;
            }
            string body = arg[2..];
            string name = body, inline = "";
            bool hasInline = false;
            int eq = body.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                name = body[..eq];
                inline = body[(eq + 1)..];
                hasInline = true;
            }
            if (name.Contains(':', StringComparison.Ordinal))
            {
                // --Section:Key=value (or --Section:Key value) overrides a configuration setting.
                if (!hasInline)
                {
                    if (i + 1 >= args.Count)
                    {
                        throw new UsageException($"setting '{name}' needs a value: --{name}=VALUE");
                    }
                    inline = args[++i];
                }
                parsed.ConfigurationOverrides.Add($"--{name}={inline}");
                continue;
            }
            OptionSpec? spec = command.Options.FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.Ordinal));
            if (spec is null)
            {
                string known = command.Options.Count == 0 ? "it takes no options" : "its options are " + string.Join(", ", command.Options.Select(o => "--" + o.Name));
                throw new UsageException($"unknown option '--{name}' for '{command.Name}'; {known} (settings are given as --Section:Key=value)");
            }
            if (parsed.Has(name))
            {
                throw new UsageException($"option '--{name}' is given twice");
            }
            if (spec.TakesValue)
            {
                if (!hasInline)
                {
                    if (i + 1 >= args.Count || (args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2))
                    {
                        throw new UsageException($"option '--{name}' needs a value ({spec.ValueName})");
                    }
                    inline = args[++i];
                }
                parsed.SetValue(name, inline);
            }
            else
            {
                if (hasInline)
                {
                    throw new UsageException($"option '--{name}' is a flag and takes no value");
                }
                parsed.SetFlag(name);
            }
        }
        return parsed;
    }
}
