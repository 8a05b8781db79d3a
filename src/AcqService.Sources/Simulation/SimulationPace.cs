namespace AcqService.Sources.Simulation;

/// <summary>How fast simulated devices produce data.</summary>
public enum SimulationPace
{
    /// <summary>At the rate a real device would (wall clock).</summary>
    Live,
    /// <summary>As fast as the pipeline accepts it (tests, benchmarks).</summary>
    Fast,
}
