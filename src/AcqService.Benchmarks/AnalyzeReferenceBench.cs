using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AcqService.Core.Analysis;
using AcqService.Sinks;

namespace AcqService.Benchmarks;

/// <summary>
/// <c>bench analyze-vs-reference</c>: <c>acq analyze</c> against <c>tools/analyze_reference.py</c> (the same analysis in
/// NumPy/SciPy) on one generated recording, side by side in one run. Both run as separate processes, alternated
/// (A B, then B A, …) so drifting machine load hits both; each reports wall time, CPU time and peak RSS
/// (<c>/usr/bin/time</c>). Then the script compares the two result folders and a markdown table is printed.
/// </summary>
/// <remarks>
/// Needs a Release build of the host (<c>dotnet build src/AcqService.Host -c Release</c>; the path can be given with
/// <c>--acq</c>) and a Python 3 with NumPy and SciPy (<c>/usr/bin/python3</c> by default, where Debian's python3-scipy lives).
/// </remarks>
internal static class AnalyzeReferenceBench
{
    private const string Usage =
        "usage: bench analyze-vs-reference [--minutes 30] [--rounds 2] [--epocher numpy|mne] [--acq PATH/acq.dll|PATH/acq] [--python PATH] [--dir PATH] [--keep]";

    private static readonly IFormatProvider s_ci = CultureInfo.InvariantCulture;

    private sealed class Settings
    {
        public double Minutes { get; set; } = 30;
        public int Rounds { get; set; } = 2;
        public string Epocher { get; set; } = "numpy";
        public string? Acq { get; set; }
        public string? Python { get; set; }
        public string? Directory { get; set; }
        public bool Keep { get; set; }

        public static Settings Parse(string[] args)
        {
            var s = new Settings();
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--minutes":
                        s.Minutes = double.Parse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture);
                        break;
                    case "--rounds":
                        s.Rounds = int.Parse(Value(), CultureInfo.InvariantCulture);
                        break;
                    case "--epocher":
                        s.Epocher = Value();
                        if (s.Epocher is not ("numpy" or "mne"))
                        {
                            throw new FormatException("--epocher is numpy or mne");
                        }
                        break;
                    case "--acq":
                        s.Acq = Value();
                        break;
                    case "--python":
                        s.Python = Value();
                        break;
                    case "--dir":
                        s.Directory = Value();
                        break;
                    case "--keep":
                        s.Keep = true;
                        break;
                    default:
                        throw new FormatException($"unknown option '{args[i]}'");
                }
            }
            if (!(s.Minutes >= 0.5) || s.Rounds < 1)
            {
                throw new FormatException("--minutes must be ≥ 0.5 and --rounds ≥ 1");
            }
            return s;
        }
    }

    /// <summary>One timed child process.</summary>
    private readonly record struct Run(string Tool, int Round, double Wall, double User, double System, long PeakRssKb, string Output);

    /// <summary>Runs the comparison; returns the exit code (0 done and outputs agree, 1 failure or disagreement, 2 bad arguments).</summary>
    /// <param name="args">Arguments after the <c>analyze-vs-reference</c> verb.</param>
    public static async Task<int> RunAsync(string[] args)
    {
        Settings settings;
        try
        {
            settings = Settings.Parse(args);
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine($"analyze-vs-reference: {ex.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }
        string? repo = FindRepository();
        string acq = settings.Acq ?? (repo is null ? "" : Path.Combine(repo, "src", "AcqService.Host", "bin", "Release", "net10.0", "acq.dll"));
        string script = repo is null ? "" : Path.Combine(repo, "tools", "analyze_reference.py");
        string python = settings.Python ?? (File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
        if (!File.Exists(acq))
        {
            Console.Error.WriteLine($"analyze-vs-reference: no host build at '{acq}'; run `dotnet build src/AcqService.Host -c Release` first (or pass --acq)");
            return 1;
        }
        if (!File.Exists(script))
        {
            Console.Error.WriteLine($"analyze-vs-reference: tools/analyze_reference.py not found (repository root: {repo ?? "not found"})");
            return 1;
        }
        (int probe, string versions) = await RunCapturedAsync(python, ["-c", "import numpy, scipy; print('numpy', numpy.__version__, 'scipy', scipy.__version__)"], TimeSpan.FromMinutes(1)).ConfigureAwait(false);
        if (probe != 0)
        {
            Console.Error.WriteLine($"analyze-vs-reference: {python} cannot import numpy and scipy (apt-get install python3-scipy): {versions.Trim()}");
            return 1;
        }
        bool haveTime = File.Exists("/usr/bin/time");

        string root = Path.Combine(settings.Directory ?? Path.GetTempPath(), "acq-vsref-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        try
        {
            Console.WriteLine(string.Create(s_ci, $"AcqService analyze vs MNE/SciPy reference, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC"));
            Console.WriteLine(string.Create(s_ci, $"machine: {BenchMachine.Description}"));
            Console.WriteLine(string.Create(s_ci, $"load:    {BenchMachine.LoadAverage()} (load average before the run)"));
            // A published self-contained program (README install) runs as itself; a build output's acq.dll through dotnet.
            bool viaDotnet = acq.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
            string acqProgram = viaDotnet ? "dotnet" : acq;
            string[] AcqArguments(params string[] rest) => viaDotnet ? [acq, .. rest] : rest;
            Console.WriteLine(string.Create(s_ci, $"acq:     {(viaDotnet ? "dotnet " : "")}{acq} (built {File.GetLastWriteTimeUtc(acq):yyyy-MM-dd HH:mm} UTC)"));
            Console.WriteLine(string.Create(s_ci, $"script:  {python} {script} --epocher {settings.Epocher} ({versions.Trim()})"));
#if DEBUG
            Console.WriteLine("warning: Debug build of the benchmark (the timed acq is the Release build above)");
#endif
            double seconds = settings.Minutes * 60;
            string recording = Path.Combine(root, "recording.xdf");
            var generation = Stopwatch.StartNew();
            int markers = await XdfBench.RecordSimulationAsync(recording, seconds).ConfigureAwait(false);
            long size = new FileInfo(recording).Length;
            Console.WriteLine(string.Create(s_ci, $"file:    {seconds:0} s of simulated 64 ch float32 EEG at 1 kHz, {markers} needle markers, {size / 1e6:F0} MB (SimulationRig → XdfRecorderSink, generated in {generation.Elapsed.TotalSeconds:F1} s, not timed)"));

            // Warm the page cache for both (the first reader would otherwise pay the disk for the second).
            await using (FileStream warm = File.OpenRead(recording))
            {
                await warm.CopyToAsync(Stream.Null).ConfigureAwait(false);
            }

            var runs = new List<Run>();
            var timings = new List<Dictionary<string, double>>();
            for (int round = 1; round <= settings.Rounds; round++)
            {
                string acqOut = Path.Combine(root, $"acq-{round}");
                string refOut = Path.Combine(root, $"ref-{round}");
                string timingFile = Path.Combine(root, $"ref-{round}-timings.json");
                Func<Task> runAcq = async () => runs.Add(await TimedAsync("acq analyze", round, haveTime, acqProgram, AcqArguments("analyze", recording, "--out", acqOut)).ConfigureAwait(false));
                Func<Task> runRef = async () => runs.Add(await TimedAsync("analyze_reference.py", round, haveTime, python, [script, recording, "--out", refOut, "--epocher", settings.Epocher, "--timings", timingFile]).ConfigureAwait(false));
                // Alternate the order so a change of load during the run does not always favour the same side.
                foreach (Func<Task> step in round % 2 == 1 ? new[] { runAcq, runRef } : [runRef, runAcq])
                {
                    await step().ConfigureAwait(false);
                    Run last = runs[^1];
                    Console.WriteLine(string.Create(s_ci, $"  round {round}: {last.Tool,-22} {last.Wall,7:F2} s wall, {last.User + last.System,7:F2} s CPU, {last.PeakRssKb / 1024.0,6:F0} MB peak RSS"));
                }
                timings.Add(JsonSerializer.Deserialize<Dictionary<string, double>>(await File.ReadAllTextAsync(timingFile).ConfigureAwait(false)) ?? []);
            }

            // Where acq's time goes outside the analyzers: process start, the XDF replay, the ERP result files.
            double startup = (await TimedAsync("acq start-up", 0, haveTime, acqProgram, AcqArguments("analyze", Path.Combine(root, "missing.xdf")), expectFailure: true).ConfigureAwait(false)).Wall;
            var replayWatch = Stopwatch.StartNew();
            long replayItems = await XdfBench.ReplayOnlyAsync(recording).ConfigureAwait(false);
            double replay = replayWatch.Elapsed.TotalSeconds;
            (double erpWrite, long erpBytes) = TimeErpFiles(root, conditions: CountConditions(Path.Combine(root, "acq-1")));

            Console.WriteLine();
            Console.WriteLine("output comparison (last round; tools/analyze_reference.py --compare-only):");
            (int agree, string comparison) = await RunCapturedAsync(python, [script, "--compare-only", Path.Combine(root, $"ref-{settings.Rounds}"), Path.Combine(root, $"acq-{settings.Rounds}")], TimeSpan.FromMinutes(10)).ConfigureAwait(false);
            Console.Write(comparison);

            Console.WriteLine();
            Console.WriteLine("  | tool | round | wall s | CPU s (user + sys) | peak RSS MB |");
            Console.WriteLine("  |---|---:|---:|---:|---:|");
            foreach (Run r in runs)
            {
                Console.WriteLine(string.Create(s_ci, $"  | {r.Tool} | {r.Round} | {r.Wall:F2} | {r.User + r.System:F2} ({r.User:F2} + {r.System:F2}) | {(r.PeakRssKb > 0 ? (r.PeakRssKb / 1024.0).ToString("F0", s_ci) : "n/a")} |"));
            }
            double acqWall = Median(runs.Where(r => r.Tool == "acq analyze").Select(r => r.Wall));
            double refWall = Median(runs.Where(r => r.Tool != "acq analyze").Select(r => r.Wall));
            double acqCpu = Median(runs.Where(r => r.Tool == "acq analyze").Select(r => r.User + r.System));
            double refCpu = Median(runs.Where(r => r.Tool != "acq analyze").Select(r => r.User + r.System));
            Console.WriteLine();
            Console.WriteLine(string.Create(s_ci, $"  median wall: acq {acqWall:F2} s, reference {refWall:F2} s → acq is {refWall / acqWall:F1}× faster ({seconds / acqWall:F0}× real time)"));
            Console.WriteLine(string.Create(s_ci, $"  median CPU:  acq {acqCpu:F2} s, reference {refCpu:F2} s → {refCpu / acqCpu:F1}× less CPU"));
            Console.WriteLine(string.Create(s_ci, $"  target ≥ 10× faster (wall): {(refWall / acqWall >= 10 ? "met" : "MISSED")}"));

            Console.WriteLine();
            Console.WriteLine("  reference breakdown (median over rounds, from the script's own clock):");
            Console.WriteLine("  | imports s | read XDF s | filter s | epoch + average s | alpha s | write s | total s |");
            Console.WriteLine("  |---:|---:|---:|---:|---:|---:|---:|");
            double T(string key) => Median(timings.Select(t => t.GetValueOrDefault(key, double.NaN)));
            Console.WriteLine(string.Create(s_ci, $"  | {T("imports"):F2} | {T("read"):F2} | {T("filter"):F2} | {T("epoch"):F2} | {T("alpha"):F2} | {T("write"):F2} | {T("total"):F2} |"));
            Console.WriteLine();
            Console.WriteLine("  acq outside the analyzers (measured separately, this process unless stated):");
            Console.WriteLine("  | process start-up (child, `acq analyze` of a missing file) s | XDF replay alone (reader → edge) s | erp_averages.json + .csv s (MB) | rest: aligner, filter, epochs, alpha, other files s |");
            Console.WriteLine("  |---:|---:|---:|---:|");
            Console.WriteLine(string.Create(s_ci, $"  | {startup:F2} | {replay:F2} ({replayItems:N0} items) | {erpWrite:F2} ({erpBytes / 1e6:F0}) | {acqWall - startup - replay - erpWrite:F2} (of the median {acqWall:F2}; the replay overlaps the analysis, so this is an upper bound of the serial work) |"));
            return agree == 0 ? 0 : 1;
        }
        finally
        {
            if (settings.Keep)
            {
                Console.WriteLine($"files kept in {root}");
            }
            else
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    /// <summary>Runs a child under <c>/usr/bin/time</c> (when present) and returns its wall, CPU and peak RSS; throws when it fails.</summary>
    private static async Task<Run> TimedAsync(string tool, int round, bool haveTime, string program, IReadOnlyList<string> arguments, bool expectFailure = false)
    {
        string timeFile = Path.GetTempFileName();
        try
        {
            var start = new ProcessStartInfo(haveTime ? "/usr/bin/time" : program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            if (haveTime)
            {
                foreach (string a in (string[])["-f", "%e %U %S %M", "-o", timeFile, program])
                {
                    start.ArgumentList.Add(a);
                }
            }
            foreach (string a in arguments)
            {
                start.ArgumentList.Add(a);
            }
            var watch = Stopwatch.StartNew();
            (int code, string output) = await RunAsync(start, TimeSpan.FromMinutes(60)).ConfigureAwait(false);
            watch.Stop();
            if (code != 0 && !expectFailure)
            {
                throw new InvalidOperationException($"{tool} exited with {code}: {output[Math.Max(0, output.Length - 2000)..]}");
            }
            string[] figures = haveTime ? (await File.ReadAllTextAsync(timeFile).ConfigureAwait(false)).Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries) : [];
            // /usr/bin/time prints "Command exited with non-zero status N" first when the child fails.
            figures = figures.Length >= 4 ? figures[^4..] : [];
            double F(int i) => figures.Length == 4 ? double.Parse(figures[i], CultureInfo.InvariantCulture) : double.NaN;
            return new Run(tool, round, watch.Elapsed.TotalSeconds, F(1), F(2), figures.Length == 4 ? long.Parse(figures[3], CultureInfo.InvariantCulture) : 0, output);
        }
        finally
        {
            File.Delete(timeFile);
        }
    }

    private static Task<(int Code, string Output)> RunCapturedAsync(string program, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in arguments)
        {
            start.ArgumentList.Add(a);
        }
        return RunAsync(start, timeout);
    }

    /// <summary>Runs a child to completion (killed after <paramref name="timeout"/>); returns its exit code and stdout + stderr.</summary>
    private static async Task<(int Code, string Output)> RunAsync(ProcessStartInfo start, TimeSpan timeout)
    {
        using Process child = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        Task<string> stdout = child.StandardOutput.ReadToEndAsync();
        Task<string> stderr = child.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await child.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            child.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} did not finish within {timeout}");
        }
        return (child.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }

    /// <summary>Conditions in an acq result folder (for the ERP file timing); 6 when it cannot be read.</summary>
    private static int CountConditions(string folder)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, SessionOutput.ErpJsonFile)));
            return doc.RootElement.GetProperty("conditions").GetArrayLength();
        }
        catch (Exception ex) when (ex is IOException or JsonException or KeyNotFoundException)
        {
            return 6;
        }
    }

    /// <summary>Times <see cref="SessionOutput.WriteErpAverages"/> for averages of the benchmark's shape (64 channels, −0.2..0.8 s at 1 kHz).</summary>
    private static (double Seconds, long Bytes) TimeErpFiles(string root, int conditions)
    {
        string folder = Path.Combine(root, "erp-write");
        Directory.CreateDirectory(folder);
        string[] labels = [.. Enumerable.Range(1, 64).Select(c => "E" + c.ToString(CultureInfo.InvariantCulture))];
        double[] times = [.. Enumerable.Range(-200, 1001).Select(k => k / 1000.0)];
        var random = new Random(5);
        var averages = new List<ConditionAverage>();
        for (int c = 0; c < conditions; c++)
        {
            var average = new ConditionAverage("condition-" + c.ToString(CultureInfo.InvariantCulture), "eeg", labels, times);
            for (int e = 0; e < 3; e++)
            {
                average.Add([.. Enumerable.Range(0, labels.Length * times.Length).Select(_ => (random.NextDouble() - 0.5) * 40)]);
            }
            averages.Add(average);
        }
        SessionOutput.WriteErpAverages(folder, averages); // warm-up (JIT), as the real command writes them once per process
        var watch = Stopwatch.StartNew();
        SessionOutput.WriteErpAverages(folder, averages);
        double seconds = watch.Elapsed.TotalSeconds;
        long bytes = new DirectoryInfo(folder).EnumerateFiles().Sum(f => f.Length);
        Directory.Delete(folder, recursive: true);
        return (seconds, bytes);
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The repository root (the folder holding AcqService.sln) above the benchmark's binaries, or the working directory.</summary>
    private static string? FindRepository()
    {
        foreach (string start in (string[])[AppContext.BaseDirectory, Environment.CurrentDirectory])
        {
            for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "AcqService.sln")))
                {
                    return d.FullName;
                }
            }
        }
        return null;
    }
}
