using AcqService.Host.Cli;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AcqService.Host.Hosting;

/// <summary>Runs a prepared <see cref="SessionJob"/> in the worker host and prints the summary.</summary>
internal static class SessionLauncher
{
    public static async Task<int> RunAsync(SessionJob job, IConfiguration configuration, string banner, CancellationToken cancellationToken)
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
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(job.Settings.Session.ShutdownTimeoutSeconds));
        builder.Services.AddSingleton(job);
        builder.Services.AddHostedService<SessionWorker>();
        using IHost host = builder.Build();
        Console.Out.WriteLine(banner);
        Console.Out.WriteLine($"Session folder: {job.Folder}");
        await host.RunAsync(cancellationToken).ConfigureAwait(false);
        if (job.Summary is not null)
        {
            Console.Out.WriteLine();
            Console.Out.Write(job.Summary.ToText());
            Console.Out.WriteLine();
            Console.Out.WriteLine($"Results written to {job.Folder}");
        }
        return job.ExitCode;
    }

    /// <summary>Resolves and checks the session folder; null with a message when it cannot be used.</summary>
    public static string? PrepareFolder(string? requested, AppSettings settings, string name, string command)
    {
        string folder = Path.GetFullPath(requested ?? Path.Combine(settings.Session.OutputRoot, $"{DateTime.Now:yyyyMMdd-HHmmss}-{name}"));
        if (File.Exists(Path.Combine(folder, Sinks.SessionOutput.MetadataFile)))
        {
            Console.Error.WriteLine($"acq {command}: '{folder}' already holds a session; choose another --out folder (nothing is overwritten)");
            return null;
        }
        return folder;
    }

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

    /// <summary>Parses a JSON document for embedding in session.json.</summary>
    public static System.Text.Json.JsonElement ParseJson(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json, new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return document.RootElement.Clone();
    }

    /// <summary>Exit code for a session whose result was decided by the worker (for tests and scripts).</summary>
    public static int ExitCodeOf(SessionJob job) => job.Summary is null ? ExitCodes.Failure : job.ExitCode;
}
