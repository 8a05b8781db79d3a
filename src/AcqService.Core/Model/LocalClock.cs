using System.Diagnostics;

namespace AcqService.Core.Model;

/// <summary>
/// The local LSL clock in seconds: <see cref="Stopwatch"/> ticks, which on Linux are CLOCK_MONOTONIC — the clock
/// liblsl's <c>lsl_local_clock()</c> reads — so timestamps from this process and from liblsl peers on the same
/// machine are directly comparable.
/// </summary>
public static class LocalClock
{
    private static readonly double s_secondsPerTick = 1.0 / Stopwatch.Frequency;

    /// <summary>Current time in seconds.</summary>
    public static double Now() => Stopwatch.GetTimestamp() * s_secondsPerTick;
}
