using AcqService.Host.Cli;
using AcqService.Lsl;
using AcqService.Sessions;
using AcqService.Sinks;
using AcqService.Sources.Drivers;
using AcqService.Sources.Profiles;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AcqService.Host.Hosting;

/// <summary>
/// Runs one session in the worker host: builds it with the <see cref="SessionFactory"/>, prints the banner, runs it
/// until it ends or the host is stopped (Ctrl+C, SIGTERM), prints the summary and maps its ending to the exit code.
/// </summary>
internal static class SessionLauncher
{
    /// <summary>The session factory for this process's configuration (LSL backend from section <c>Lsl</c>).</summary>
    public static SessionFactory Factory(IConfiguration configuration, ILoggerFactory loggers) =>
        new(SourceDriverRegistry.Default, () => CreateLsl(configuration), loggers, CommandLineApp.Version);

    /// <summary>A command's device profile and bound settings, as <see cref="LoadProfileAndSettings"/> found them.</summary>
    public sealed record LoadedSettings(DeviceProfile Profile, string ProfileSource, string ProfileJson, IConfigurationRoot Configuration, AppSettings Settings);

    /// <summary>
    /// Loads the device profile (<paramref name="profilePath"/>, or the embedded simulated one when null) and binds the
    /// settings (<c>--settings FILE</c> and <c>--set</c> overrides) against it, the first steps of every command that
    /// builds a session. A bad profile or invalid settings are printed, named after <paramref name="command"/>, and
    /// null is returned: the caller exits with <see cref="ExitCodes.Usage"/>.
    /// </summary>
    public static LoadedSettings? LoadProfileAndSettings(ParsedArguments arguments, string? profilePath, string command)
    {
        DeviceProfile profile;
        string profileSource, profileJson;
        try
        {
            (profile, profileSource, profileJson) = DefaultProfile.Load(profilePath);
        }
        catch (ProfileException ex)
        {
            Console.Error.WriteLine($"acq {command}: {ex.Message}");
            return null;
        }
        IConfigurationRoot configuration = SettingsLoader.Build(arguments.Value("settings"), arguments.ConfigurationOverrides);
        (AppSettings settings, List<string> problems) = SettingsLoader.Bind(configuration, profile, profileSource);
        return ReportProblems(problems, command) ? null : new LoadedSettings(profile, profileSource, profileJson, configuration, settings);
    }

    /// <summary>Builds and runs a session; returns the exit code.</summary>
    public static async Task<int> RunAsync(SessionRequest request, IConfiguration configuration, string command, CancellationToken cancellationToken)
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            DisableDefaults = true,
        });
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.AddConfiguration(configuration.GetSection("Logging"));
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        // Logs go to stderr so stdout carries the status line and the summary.
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        // The session enforces Session:ShutdownTimeoutSeconds itself (and says so in the summary); the host waits longer,
        // so it never cuts the session off before the results are written.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(request.Settings.Session.ShutdownTimeoutSeconds + 30));
        var job = new SessionJob { Request = request, StatusIntervalSeconds = request.Settings.Session.StatusIntervalSeconds };
        builder.Services.AddSingleton(job);
        builder.Services.AddHostedService<SessionWorker>();
        using IHost host = builder.Build();
        SessionFactory factory = Factory(configuration, host.Services.GetRequiredService<ILoggerFactory>());
        try
        {
            job.Session = await factory.CreateAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (SessionSetupException ex)
        {
            Console.Error.WriteLine($"acq {command}: {ex.Message}");
            return ex.IsUsageError ? ExitCodes.Usage : ExitCodes.Failure;
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Interrupted;
        }
        await using Session session = job.Session;
        foreach (string line in session.Banner)
        {
            Console.Out.WriteLine(line);
        }
        Console.Out.WriteLine($"Session folder: {session.Folder}");
        await host.RunAsync(cancellationToken).ConfigureAwait(false);
        if (job.Summary is SessionSummary summary)
        {
            Console.Out.WriteLine();
            Console.Out.Write(summary.ToText());
            Console.Out.WriteLine();
            Console.Out.WriteLine($"Results written to {session.Folder}");
            if (summary.InputDamage.Count > 0)
            {
                Console.Error.WriteLine($"acq {command}: the input has {summary.InputDamage.Count} problem(s); everything readable was used. First: {summary.InputDamage[0]}");
            }
        }
        return job.Summary is null ? ExitCodes.Failure : ExitCodeOf(job.Summary);
    }

    /// <summary>
    /// Exit code of a finished session: 130 when the operator stopped it, 1 when it ended abnormally or with errors or
    /// damaged input (results were written for what was received), 0 otherwise.
    /// </summary>
    public static int ExitCodeOf(SessionSummary summary) => summary.Ended?.Kind switch
    {
        SessionEndKind.OperatorStop => ExitCodes.Interrupted,
        SessionEndKind.Completed or SessionEndKind.DurationReached when summary.Errors.Count == 0 && summary.InputDamage.Count == 0 => ExitCodes.Ok,
        _ => ExitCodes.SessionErrors,
    };

    /// <summary>Prints settings problems; returns true when there were any.</summary>
    public static bool ReportProblems(IReadOnlyList<string> problems, string command)
    {
        if (problems.Count == 0)
        {
            return false;
        }
        Console.Error.WriteLine($"acq {command}: invalid settings:");
        foreach (string problem in problems)
        {
            Console.Error.WriteLine("  " + problem);
        }
        return true;
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
