using AcqService.Lsl;
using AcqService.Sources.Simulation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AcqService.Sources.Drivers;

/// <summary>What drivers need to create sources: the clock, simulation settings and pace, the LSL backend, logging.</summary>
public sealed class SourceContext
{
    /// <summary>Local LSL clock (seconds).</summary>
    public required Func<double> Clock { get; init; }

    /// <summary>Settings of the simulated devices.</summary>
    public SimulationSettings Simulation { get; init; } = new();

    /// <summary>Pace of the simulated devices.</summary>
    public SimulationPace Pace { get; init; } = SimulationPace.Live;

    /// <summary>Seconds of data to simulate, or null until stopped.</summary>
    public double? DurationSeconds { get; init; }

    /// <summary>LSL backend for the drivers that use one (null when the profile needs none).</summary>
    public ILslBackend? Lsl { get; init; }

    /// <summary>Logger for the sources.</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>Set by the simulation driver: the rig, whose ground truth tests and benchmarks compare against.</summary>
    public SimulationRig? Rig { get; set; }
}
