namespace AcqService.Host.Cli;

/// <summary>One option a command accepts.</summary>
/// <param name="Name">Long name without dashes, e.g. <c>duration</c>.</param>
/// <param name="ValueName">Placeholder shown in help (e.g. <c>SECONDS</c>); null for a flag.</param>
/// <param name="Help">One-line description.</param>
internal sealed record OptionSpec(string Name, string? ValueName, string Help)
{
    public bool TakesValue => ValueName is not null;
}
