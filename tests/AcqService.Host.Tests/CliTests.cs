using AcqService.Host.Cli;

namespace AcqService.Host.Tests;

[Collection("console")]
public sealed class CliTests
{
    private static async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        using var capture = new ConsoleCapture();
        int code = await CommandLineApp.RunAsync(args);
        return (code, capture.Out, capture.Error);
    }

    [Fact]
    public async Task Run_NoArguments_PrintsCommandsAndExitsUsage()
    {
        (int code, string output, _) = await RunAsync();
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("demo", output);
        Assert.Contains("Exit codes", output);
    }

    [Fact]
    public async Task Run_UnknownCommand_NamesItAndExitsUsage()
    {
        (int code, _, string error) = await RunAsync("demoo");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("unknown command 'demoo'", error);
    }

    [Fact]
    public async Task Demo_UnknownOption_NamesOptionAndListsValidOnes()
    {
        (int code, _, string error) = await RunAsync("demo", "--durations", "5");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("unknown option '--durations'", error);
        Assert.Contains("--duration", error);
    }

    [Theory]
    [InlineData("--duration", "abc", "--duration: 'abc' is not a number")]
    [InlineData("--duration", "-5", "out of range")]
    [InlineData("--pace", "slow", "--pace: 'slow' is not one of live, fast")]
    [InlineData("--seed", "x1", "--seed: 'x1' is not a non-negative integer")]
    public async Task Demo_BadOptionValue_ExplainsAndExitsUsage(string option, string value, string expected)
    {
        (int code, _, string error) = await RunAsync("demo", option, value);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(expected, error);
    }

    [Fact]
    public async Task Demo_MissingOptionValue_SaysWhatIsNeeded()
    {
        (int code, _, string error) = await RunAsync("demo", "--out");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("'--out' needs a value (DIR)", error);
    }

    [Fact]
    public async Task Run_WithoutProfile_RequiresIt()
    {
        (int code, _, string error) = await RunAsync("run", "--duration", "5");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--profile FILE is required", error);
    }

    [Fact]
    public async Task Demo_MisspelledSetting_SuggestsTheRealKey()
    {
        (int code, _, string error) = await RunAsync("demo", "--pace", "fast", "--duration", "5", "--Epochs:TminSecond=-0.5", "--out", TestPaths.NewFolder());
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("unknown setting 'Epochs:TminSecond'", error);
        Assert.Contains("did you mean 'Epochs:TminSeconds'", error);
    }

    [Fact]
    public async Task Demo_InvalidSettingValue_ListsEveryProblem()
    {
        (int code, _, string error) = await RunAsync("demo", "--pace", "fast", "--duration", "5", "--Epochs:TmaxSeconds=-1", "--Alpha:Overlap=1.5", "--out", TestPaths.NewFolder());
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("Epochs:TmaxSeconds (-1) must be greater than Epochs:TminSeconds (-0.2)", error);
        Assert.Contains("Alpha:Overlap must be in [0, 1) (was 1.5)", error);
    }

    [Fact]
    public async Task Demo_FastWithoutDuration_IsRefusedForRun()
    {
        (int code, _, string error) = await RunAsync("run", "--profile", TestPaths.DefaultProfile, "--pace", "fast");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--pace fast needs --duration", error);
    }

    [Fact]
    public async Task Help_ForCommand_ListsOptionsAndSettingsSyntax()
    {
        (int code, string output, _) = await RunAsync("demo", "--help");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("--duration SECONDS", output);
        Assert.Contains("--Epochs:TminSeconds", output);
    }
}
