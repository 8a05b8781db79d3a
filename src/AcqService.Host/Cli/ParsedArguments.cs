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

    /// <summary>Parses <paramref name="args"/> (after the command name) against a command's options; throws <see cref="UsageException"/>.</summary>
    public static ParsedArguments Parse(ICommand command, IReadOnlyList<string> args) => CommandLineApp.Tree.Parse(command, args);
}
