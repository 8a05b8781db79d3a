using System.Diagnostics;
using System.Runtime.InteropServices;

namespace AcqService.Benchmarks;

/// <summary>
/// Pacing for the LSL benchmark: waits until an absolute <see cref="Stopwatch"/> tick on the monotonic clock. It sleeps
/// with <c>nanosleep</c> (sub-millisecond, unlike <see cref="Thread.Sleep(int)"/> which rounds up to whole ms) until
/// shortly before the target, then yields until the target, so the pace holds without burning a whole core.
/// </summary>
internal static class BenchPacer
{
    // Linux wakes a nanosleep up to ~50 µs late (default timer slack) plus scheduling; yield over the last stretch.
    private static readonly long s_spinTicks = Stopwatch.Frequency / 5000; // 200 µs

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "nanosleep")]
    private static extern int NanoSleep(ref Timespec request, nint remaining);

    private static bool s_noNanosleep = !OperatingSystem.IsLinux();

    /// <summary>Returns once <see cref="Stopwatch.GetTimestamp"/> ≥ <paramref name="target"/>.</summary>
    public static void WaitUntil(long target)
    {
        while (true)
        {
            long remaining = target - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                return;
            }
            if (remaining > s_spinTicks)
            {
                Sleep(remaining - s_spinTicks);
            }
            else
            {
                Thread.Yield();
            }
        }
    }

    private static void Sleep(long ticks)
    {
        long nanoseconds = (long)(ticks * (1e9 / Stopwatch.Frequency));
        if (!s_noNanosleep)
        {
            try
            {
                var request = new Timespec { Seconds = (nint)(nanoseconds / 1_000_000_000), Nanoseconds = (nint)(nanoseconds % 1_000_000_000) };
                NanoSleep(ref request, 0);
                return;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                s_noNanosleep = true;
            }
        }
        // Fallback: whole milliseconds only, and only while well ahead.
        if (nanoseconds >= 2_000_000)
        {
            Thread.Sleep((int)(nanoseconds / 1_000_000) - 1);
        }
        else
        {
            Thread.Yield();
        }
    }
}

/// <summary>Machine CPU use between two points in time, from <c>/proc/stat</c> (all cores) and this process's CPU time.</summary>
internal sealed class BenchCpuMeter
{
    private readonly (long Busy, long Total) _machineStart = ReadProcStat();
    private readonly TimeSpan _processStart = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly long _wallStart = Stopwatch.GetTimestamp();
    private readonly string _loadStart = BenchMachine.LoadAverage();

    /// <summary>One line: machine busy % of all cores, this process's share, load averages at start and end.</summary>
    public string Describe()
    {
        (long busy, long total) = ReadProcStat();
        double wall = Stopwatch.GetElapsedTime(_wallStart).TotalSeconds;
        double process = (Process.GetCurrentProcess().TotalProcessorTime - _processStart).TotalSeconds;
        string machine = total > _machineStart.Total
            ? $"{100.0 * (busy - _machineStart.Busy) / (total - _machineStart.Total):F0} %"
            : "unknown";
        return $"CPU busy {machine} of {Environment.ProcessorCount} cores (this process {100.0 * process / wall / Environment.ProcessorCount:F0} % of them), "
            + $"load average {_loadStart} → {BenchMachine.LoadAverage()}";
    }

    private static (long Busy, long Total) ReadProcStat()
    {
        try
        {
            string? line = File.ReadLines("/proc/stat").FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal));
            if (line is null)
            {
                return (0, 0);
            }
            long[] v = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
            long total = v.Take(8).Sum();
            long idle = v[3] + (v.Length > 4 ? v[4] : 0); // idle + iowait
            return (total - idle, total);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return (0, 0);
        }
    }
}
