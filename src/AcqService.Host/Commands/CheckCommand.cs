using System.Runtime.InteropServices;
using AcqService.Core.Analysis.Quality;
using AcqService.Host.Cli;
using AcqService.Host.Hosting;
using AcqService.Lsl;
using AcqService.Sessions;
using AcqService.Sessions.Check;
using AcqService.Sources.Drivers;
using AcqService.Sources.Profiles;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace AcqService.Host.Commands;

/// <summary>
/// <c>acq check</c>: signal quality before a session. Takes a few seconds of data from a profile's devices (default the
/// embedded simulated ones), prints per stream the rate against the nominal rate and the clock offset, per channel
/// RMS, peak-to-peak, railed samples, line-noise ratio and high-frequency noise with a verdict and its reasons, and the
/// thresholds used; <c>--json</c> prints the same report as JSON. The exit code is the worst verdict.
/// </summary>
internal sealed class CheckCommand : ICommand
{
    public string Name => "check";

    public string Summary => "Signal quality before a session: rate, clock offset, and per channel flat/railed/line-noise/HF-noise verdicts (exit 0 pass, 4 warn, 5 fail).";

    public string Usage => "./acq check [--profile FILE] [--seconds N] [--json] [--mains 50|60|auto] [--settings FILE] [--Section:Key=value ...]";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("profile", "FILE", "device profile to check (default: the embedded simulated one)"),
        new("seconds", "N", $"seconds of data to take ({CheckRequest.MinSeconds}–{CheckRequest.MaxSeconds}, default 5)"),
        new("json", null, "print the report as JSON instead of a table"),
        new("mains", "50|60|auto", "mains frequency for the line-noise figures (default: Check:MainsHz, else auto = the larger of 50/60 Hz)"),
        new("settings", "FILE", "extra settings JSON (same layout as appsettings.json); thresholds are in section Check"),
    ];

    public bool AcceptsSettings => true;

    public async Task<int> RunAsync(ParsedArguments arguments, CancellationToken cancellationToken)
    {
        if (arguments.Positionals.Count > 0)
        {
            throw new UsageException($"unexpected argument '{arguments.Positionals[0]}'");
        }
        double seconds = arguments.Number("seconds", CheckRequest.MinSeconds, CheckRequest.MaxSeconds) ?? 5;
        string? mains = arguments.Choice("mains", "50", "60", "auto");
        bool json = arguments.Flag("json");

        if (SessionLauncher.LoadProfileAndSettings(arguments, arguments.Value("profile"), Name) is not { } loaded)
        {
            return ExitCodes.Usage;
        }
        (DeviceProfile profile, string profileSource, _, IConfigurationRoot configuration, AppSettings settings) = loaded;
        CheckThresholds thresholds = settings.Check.Clone();
        if (mains is not null)
        {
            // The option wins over Check:MainsHz, as any option over a setting.
            thresholds.MainsHz = mains == "auto" ? null : double.Parse(mains, System.Globalization.CultureInfo.InvariantCulture);
        }

        using ILoggerFactory loggers = LoggerFactory.Create(builder =>
        {
            builder.AddConfiguration(configuration.GetSection("Logging"));
            builder.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
            // Logs go to stderr: stdout carries the report (and must stay pure JSON with --json).
            builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        });
        var checker = new SignalChecker(SourceDriverRegistry.Default, () => CreateLsl(configuration), loggers);
        var request = new CheckRequest { Profile = profile, ProfileSource = profileSource, Settings = settings, Seconds = seconds, Thresholds = thresholds };

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void OnSignal(PosixSignalContext context)
        {
            // Stop the devices cleanly (inlets closed) instead of killing the process.
            context.Cancel = true;
            stop.Cancel();
        }
        CheckReport report;
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal))
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal))
        {
            try
            {
                report = await checker.RunAsync(request, stop.Token).ConfigureAwait(false);
            }
            catch (SessionSetupException ex)
            {
                Console.Error.WriteLine($"acq {Name}: {ex.Message}");
                return ex.IsUsageError ? ExitCodes.Usage : ExitCodes.Failure;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                Console.Error.WriteLine($"acq {Name}: interrupted; no report");
                return ExitCodes.Interrupted;
            }
        }
        Console.Out.Write(json ? report.ToJson() + Environment.NewLine : report.ToText());
        return report.Worst switch
        {
            CheckVerdict.Pass => ExitCodes.Ok,
            CheckVerdict.Warn => ExitCodes.CheckWarn,
            _ => ExitCodes.CheckFail,
        };
    }

    private static ILslBackend CreateLsl(IConfiguration configuration)
    {
        try
        {
            return LslHost.Create(configuration, out _);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or AcqService.Lsl.Config.LslConfigException)
        {
            throw new SessionSetupException("LSL: " + ex.Message, isUsageError: true, ex);
        }
    }
}
