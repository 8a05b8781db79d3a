using AcqService.Core.Analysis.Quality;
using AcqService.Sources.Profiles;

namespace AcqService.Sessions.Check;

/// <summary>What <see cref="SignalChecker.RunAsync"/> checks: the devices of a profile, for how long, against which thresholds.</summary>
public sealed class CheckRequest
{
    /// <summary>Shortest check: below half a second the spectrum has bins wider than 2 Hz and the ±1 Hz mains band means little.</summary>
    public const double MinSeconds = 0.5;

    /// <summary>Longest check (the samples are held in memory: 120 s of 64 channels at 1 kHz are 60 MB).</summary>
    public const double MaxSeconds = 120;

    /// <summary>The device profile whose streams are checked (validated).</summary>
    public required DeviceProfile Profile { get; init; }

    /// <summary>Where the profile came from, for messages (a path or <c>embedded:…</c>).</summary>
    public required string ProfileSource { get; init; }

    /// <summary>Settings: simulation settings for simulated devices, section <c>Check</c> for the thresholds.</summary>
    public required AppSettings Settings { get; init; }

    /// <summary>Seconds of data to take (<see cref="MinSeconds"/>…<see cref="MaxSeconds"/>; default 5).</summary>
    public double Seconds { get; init; } = 5;

    /// <summary>Thresholds; null = <see cref="AppSettings.Check"/>.</summary>
    public CheckThresholds? Thresholds { get; init; }

    /// <summary>Local LSL clock; null = <see cref="Core.Model.LocalClock.Now"/>.</summary>
    public Func<double>? Clock { get; init; }
}
