using System.Diagnostics;

namespace AcqService.Lsl.Managed;

/// <summary>
/// liblsl's <c>local_clock()</c>: seconds of the monotonic clock (<see cref="Stopwatch"/> uses CLOCK_MONOTONIC on
/// Linux and QueryPerformanceCounter on Windows, the same sources as C++ <c>steady_clock</c>).
/// </summary>
internal static class LslClock
{
    /// <summary>Seconds since the clock's (arbitrary) epoch.</summary>
    public static double Now()
    {
        long ticks = Stopwatch.GetTimestamp();
        long frequency = Stopwatch.Frequency;
        // Whole seconds plus the remainder keeps sub-microsecond precision after long uptimes.
        return ticks / frequency + (double)(ticks % frequency) / frequency;
    }
}
