namespace AcqService.Host.Cli;

/// <summary>A sub-command of <c>acq</c>.</summary>
internal interface ICommand
{
    /// <summary>Name as typed (e.g. <c>demo</c>).</summary>
    string Name { get; }

    /// <summary>One line for the command list.</summary>
    string Summary { get; }

    /// <summary>
    /// Usage line, e.g. <c>./acq analyze FILE.xdf [--out DIR]</c>. Words between the command name and the first
    /// option or <c>[</c> (here FILE.xdf) name the positional arguments in the parser; the count is checked by the command.
    /// </summary>
    string Usage { get; }

    /// <summary>Accepted options.</summary>
    IReadOnlyList<OptionSpec> Options { get; }

    /// <summary>Whether <c>--Section:Key=value</c> settings are accepted.</summary>
    bool AcceptsSettings { get; }

    /// <summary>Runs the command; returns the exit code.</summary>
    Task<int> RunAsync(ParsedArguments arguments, CancellationToken cancellationToken);
}
