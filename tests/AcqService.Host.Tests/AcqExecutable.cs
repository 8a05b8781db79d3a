using System.Diagnostics;
using System.Text;

namespace AcqService.Host.Tests;

/// <summary>
/// The <c>acq</c> program that the process-level tests start: by default the build beside the tests
/// (<c>dotnet acq.dll</c>); with the environment variable <c>ACQ_EXECUTABLE</c> set, that published program instead
/// (the Native AOT build, which <c>.ci/run</c> publishes and runs these tests against). Tests that start a process carry
/// the trait <c>Executable=acq</c> so that run can select them.
/// </summary>
internal static class AcqExecutable
{
    /// <summary>Trait name and value of the tests that start <c>acq</c> as a process.</summary>
    public const string Trait = "Executable", TraitValue = "acq";

    /// <summary>The published program named by <c>ACQ_EXECUTABLE</c>, or null when the tests run the build beside them.</summary>
    public static string? Published =>
        Environment.GetEnvironmentVariable("ACQ_EXECUTABLE") is { Length: > 0 } path ? Path.GetFullPath(path) : null;

    /// <summary>The command line that runs <c>acq</c> with <paramref name="args"/> (program first).</summary>
    public static string[] CommandLine(params string[] args) =>
        Published is { } published ? [published, .. args] : ["dotnet", Path.Combine(AppContext.BaseDirectory, "acq.dll"), .. args];

    /// <summary>Start info for <c>acq</c> with <paramref name="args"/>, output redirected, in the test folder.</summary>
    public static ProcessStartInfo StartInfo(params string[] args) => Wrapped([], args);

    /// <summary>Start info for <paramref name="prefix"/> followed by the <c>acq</c> command line (e.g. <c>env --default-signal=INT</c>).</summary>
    public static ProcessStartInfo Wrapped(string[] prefix, string[] args)
    {
        string[] line = [.. prefix, .. CommandLine(args)];
        return new ProcessStartInfo(line[0], line[1..])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
    }

    /// <summary>Runs <c>acq</c> to its end (killed after <paramref name="timeout"/>); exit code and both outputs.</summary>
    public static async Task<(int Code, string Out, string Error)> RunAsync(TimeSpan timeout, params string[] args)
    {
        using Process process = Process.Start(StartInfo(args))!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"acq {string.Join(' ', args)} did not end within {timeout.TotalSeconds} s; stderr so far: {(error.IsCompleted ? error.Result : "")}");
        }
        return (process.ExitCode, await output, await error);
    }

    /// <summary>
    /// Starts <c>acq serve</c> on loopback with a system-chosen port, session folders under <paramref name="root"/> and
    /// the simulated station over managed LSL on loopback; returns once it printed its control API's address.
    /// </summary>
    public static async Task<ServeProcess> StartServeAsync(string root)
    {
        Process process = Process.Start(StartInfo("serve", "--Station:Api:Port=0", "--Station:RemoteControl:Enabled=false", $"--Session:OutputRoot={root}",
            "--Lsl:Backend=managed", "--Lsl:Loopback=true", "--Simulation:FirstInsertionSeconds=1"))!;
        var serve = new ServeProcess(process);
        try
        {
            // The first line with the control API's address (the port was chosen by the system).
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (serve.Api is null && await process.StandardOutput.ReadLineAsync(timeout.Token) is string line)
            {
                int at = line.IndexOf("http://", StringComparison.Ordinal);
                if (line.Contains("Control API", StringComparison.Ordinal) && at >= 0)
                {
                    serve.Api = new Uri(line[at..line.IndexOf("api/state", StringComparison.Ordinal)]);
                }
            }
            return serve.Api is not null ? serve : throw new InvalidOperationException("acq serve printed no Control API address; stderr: " + serve.Errors);
        }
        catch
        {
            serve.Dispose();
            throw;
        }
    }

    /// <summary>A running <c>acq serve</c>: its process, control API address and standard error so far; disposing kills it if it still runs.</summary>
    internal sealed class ServeProcess : IDisposable
    {
        private readonly StringBuilder _errors = new();

        public ServeProcess(Process process)
        {
            Process = process;
            process.ErrorDataReceived += (_, e) =>
            {
                lock (_errors)
                {
                    _errors.AppendLine(e.Data);
                }
            };
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public Uri? Api { get; set; }

        public string Errors
        {
            get
            {
                lock (_errors)
                {
                    return _errors.ToString();
                }
            }
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
            }
            Process.Dispose();
        }
    }
}
