using System.Diagnostics;
using AcqService.Host.Cli;

namespace AcqService.Host.Tests;

/// <summary>
/// The System.CommandLine-based parser: the cases its defaults would get wrong (reported with the old wording and
/// exit 2), did-you-mean hints, settings overrides, and tab completion through the [suggest:N] directive.
/// </summary>
[Collection("console")]
public sealed class CliParsingTests
{
    private static async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        using var capture = new ConsoleCapture();
        int code = await CommandLineApp.RunAsync(args);
        return (code, capture.Out, capture.Error);
    }

    private static ICommand Command(string name) => CommandLineApp.Commands.Single(c => c.Name == name);

    [Fact]
    public async Task UnknownOption_OfACommandThatTakesAFile_IsNotTakenAsASecondFile()
    {
        (int code, string output, string error) = await RunAsync("analyze", "--tmi", "0.1", "recording.xdf");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        Assert.StartsWith("acq analyze: unknown option '--tmi' for 'analyze' (did you mean '--tmin'?); its options are --out,", error);
    }

    [Fact]
    public async Task UnknownOption_SuggestsTheNearestOnlyWhenItIsClose()
    {
        (int code, _, string error) = await RunAsync("demo", "--durations=5");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("unknown option '--durations' for 'demo' (did you mean '--duration'?)", error);

        (code, _, error) = await RunAsync("demo", "--zzz");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("unknown option '--zzz' for 'demo'; its options are", error);
        Assert.DoesNotContain("did you mean", error);

        (code, _, error) = await RunAsync("demo", "-d", "5");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("unknown option '-d' for 'demo' (options are spelled --name)", error);
    }

    [Fact]
    public async Task UnknownCommand_SuggestsTheNearest()
    {
        (int code, _, string error) = await RunAsync("anlyze", "x.xdf");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("acq: unknown command 'anlyze'. Did you mean 'analyze'? Commands: demo, run,", error);

        (code, _, error) = await RunAsync("help", "nonsense-command");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("unknown command 'nonsense-command'. Commands:", error);
    }

    [Theory]
    [InlineData("--durations", "--duration")]
    [InlineData("--DURATION", "--duration")]
    [InlineData("--tmi", "--tmin")]
    [InlineData("--labels", "--labels-as-conditions")]
    [InlineData("--zzz", null)]
    [InlineData("--t", null)]
    [InlineData("demoo", "demo")]
    [InlineData("export-snif", "export-snirf")]
    [InlineData("exp", null)] // export-bids and export-snirf: ambiguous, no guess
    [InlineData("re", null)]
    [InlineData("rn", "run")]
    public void DidYouMean_SuggestsOnlyPlausibleNames(string typed, string? expected)
    {
        IEnumerable<string> names = typed.StartsWith('-')
            ? Command("analyze").Options.Select(o => "--" + o.Name).Append("--duration")
            : CommandLineApp.Commands.Select(c => c.Name);
        Assert.Equal(expected, CommandTree.DidYouMean(typed, names));
    }

    [Theory]
    [InlineData(new[] { "demo", "--out", "--duration", "3" }, "acq demo: option '--out' needs a value (DIR)")]
    [InlineData(new[] { "analyze", "x.xdf", "--out" }, "acq analyze: option '--out' needs a value (DIR)")]
    [InlineData(new[] { "demo", "--out", "a", "--out", "b" }, "acq demo: option '--out' is given twice")]
    [InlineData(new[] { "replay", "--loop=true", "x.xdf" }, "acq replay: option '--loop' is a flag and takes no value")]
    [InlineData(new[] { "demo", "--Epochs:TminSeconds" }, "acq demo: setting 'Epochs:TminSeconds' needs a value: --Epochs:TminSeconds=VALUE")]
    [InlineData(new[] { "inspect", "x.xdf", "--Lsl:Loopback=true" }, "acq inspect: 'inspect' takes no --Section:Key settings")]
    [InlineData(new[] { "demo", "surplus" }, "acq demo: unexpected argument 'surplus'")]
    public async Task WrongArguments_KeepTheirMessageAndExitUsage(string[] args, string expected)
    {
        (int code, string output, string error) = await RunAsync(args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        Assert.Equal(expected, error.TrimEnd());
    }

    [Fact]
    public void Parse_TakesSettingsInBothFormsAndKeepsFilesNumbersAndFlags()
    {
        ParsedArguments parsed = ParsedArguments.Parse(Command("analyze"),
            ["--Epochs:TminSeconds", "-0.5", "rec.xdf", "--tmax=0.8", "--tmin", "-0.3", "--Alpha:BandHighHz=12", "--labels-as-conditions", "--out", "o:ut"]);
        Assert.Equal(["--Epochs:TminSeconds=-0.5", "--Alpha:BandHighHz=12"], parsed.ConfigurationOverrides);
        Assert.Equal(["rec.xdf"], parsed.Positionals);
        Assert.Equal(-0.3, parsed.Number("tmin", -10, 10));
        Assert.Equal(0.8, parsed.Number("tmax", -10, 10));
        Assert.Equal("o:ut", parsed.Value("out"));
        Assert.True(parsed.Flag("labels-as-conditions"));
        Assert.False(parsed.Flag("force"));
        Assert.False(parsed.Help);
    }

    [Fact]
    public void Parse_FlagsAndOptionsNotGiven_AreAbsent()
    {
        ParsedArguments parsed = ParsedArguments.Parse(Command("analyze"), ["rec.xdf"]);
        Assert.False(parsed.Flag("labels-as-conditions"));
        Assert.False(parsed.Has("labels-as-conditions"));
        Assert.Null(parsed.Value("out"));
        Assert.Null(parsed.Number("tmin", -10, 10));
        Assert.Empty(parsed.ConfigurationOverrides);

        parsed = ParsedArguments.Parse(Command("replay"), ["rec.xdf", "--restamp"]);
        Assert.True(parsed.Flag("restamp"));
        Assert.False(parsed.Flag("loop"));
    }

    [Fact]
    public void Parse_AfterDoubleDash_WordsAreFilesEvenWithADash()
    {
        ParsedArguments parsed = ParsedArguments.Parse(Command("analyze"), ["--out", "o", "--", "-odd name.xdf", "--tmin"]);
        Assert.Equal(["-odd name.xdf", "--tmin"], parsed.Positionals);
        Assert.Equal("o", parsed.Value("out"));
        Assert.Null(parsed.Value("tmin"));
    }

    [Theory]
    [InlineData("demo", "--help")]
    [InlineData("demo", "-h")]
    [InlineData("help", "demo")]
    [InlineData("demo", "--bogus")]
    public async Task Help_ListsEveryOptionWithItsDescription(string first, string second)
    {
        string[] args = second == "--bogus" ? [first, second, "--help"] : [first, second];
        (int code, string output, string error) = await RunAsync(args);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal("", error);
        Assert.StartsWith("Usage: ./acq demo [--duration SECONDS]", output);
        foreach (OptionSpec option in Command("demo").Options)
        {
            Assert.Contains($"--{option.Name} {option.ValueName}".TrimEnd(), output);
            Assert.Contains(option.Help, output);
        }
        Assert.Contains("--Epochs:TminSeconds=-0.5", output);
    }

    [Theory]
    [InlineData("acq de", "demo")]
    [InlineData("acq r", "repair\nreplay\nrun")]
    [InlineData("acq ", "<every command>")]
    [InlineData("./acq demo --du", "--duration")]
    [InlineData("acq demo --pace ", "fast\nlive")]
    [InlineData("acq run --transport d", "direct")]
    [InlineData("acq analyze rec.xdf --labels", "--labels-as-conditions")]
    [InlineData("acq demo --Epochs:TminSeconds -0.5 --se", "--seed\n--settings")]
    [InlineData("acq demo --out ", "")]
    [InlineData("acq --", "--help\n--version")]
    public async Task Suggest_CompletesCommandsOptionsAndChoices(string line, string expected)
    {
        (int code, string output, string error) = await RunAsync($"[suggest:{line.Length}]", line);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal("", error);
        // The directive also lists words that merely contain the typed text (after those that start with it); the
        // bash script keeps the ones that start with it, which is what is compared here.
        string typed = line[(line.LastIndexOf(' ') + 1)..];
        string[] lines = output.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        if (expected == "<every command>")
        {
            expected = string.Join('\n', ["--help", "--version", .. CommandLineApp.Commands.Select(c => c.Name).Order(StringComparer.Ordinal)]);
        }
        Assert.Equal(expected, string.Join('\n', lines.Where(l => l.StartsWith(typed, StringComparison.Ordinal))));
    }

    [Fact]
    public async Task Suggest_AtACursorInsideTheLine_CompletesTheWordThere()
    {
        // Cursor after "./acq analyze --no", with a file already typed behind it.
        string line = "./acq analyze --no rec.xdf";
        (int code, string output, _) = await RunAsync($"[suggest:{"./acq analyze --no".Length}]", line);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal("--notch", output.TrimEnd('\n'));
    }

    [SkippableFact]
    [Trait(AcqExecutable.Trait, AcqExecutable.TraitValue)]
    public async Task BashCompletionScript_CompletesThroughTheRealExecutable()
    {
        Skip.IfNot(File.Exists("/bin/bash"), "bash is not installed");
        string folder = TestPaths.NewFolder();
        Directory.CreateDirectory(folder);
        // A stand-in for ./acq that runs the acq built beside the tests.
        string launcher = Path.Combine(folder, "acq");
        await File.WriteAllTextAsync(launcher, $"#!/bin/sh\nexec {string.Join(' ', AcqExecutable.CommandLine().Select(a => $"'{a}'"))} \"$@\"\n");
        string script = Path.Combine(TestPaths.RepoRoot, "tools", "acq-completion.bash");
        // What bash sets for a completion function: the line, the cursor, the words and the index of the current one.
        string probe = $$"""
            chmod +x ./acq
            source '{{script}}'
            complete -p ./acq >/dev/null || exit 9
            run() { COMP_LINE="$1"; COMP_POINT=${#1}; read -ra COMP_WORDS <<< "$1"; [[ "$1" == *" " ]] && COMP_WORDS+=(""); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); COMPREPLY=(); _acq_complete; echo "${COMPREPLY[*]}"; }
            run "./acq si"
            run "./acq replay --l"
            run "./acq demo --transport "
            run "./acq demo --Epochs:Tm"
            """;
        var start = new ProcessStartInfo("/bin/bash", ["--norc", "-c", probe]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        using Process bash = Process.Start(start)!;
        Task<string> output = bash.StandardOutput.ReadToEndAsync();
        Task<string> errors = bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(bash.ExitCode == 0, $"exit {bash.ExitCode}: {await errors}");
        string text = await output;
        Assert.Equal(["simulate", "--loop", "direct lsl", ""], text[..^1].Split('\n'));
    }
}
