using AcqService.Lsl;
using AcqService.Sources.Lsl;
using AcqService.Sources.Profiles;
using AcqService.Sources.Simulation;

namespace AcqService.Sessions;

/// <summary>The simulated devices of a profile published as LSL outlets (<c>acq simulate</c>), like a real amplifier.</summary>
public static class SimulatorOutlets
{
    /// <summary>
    /// Creates the outlets (discoverable from now on) with source_ids unique to this run, as the demo's: two simulators
    /// on one computer are then two distinguishable devices, and a receiver matching both refuses instead of mixing them.
    /// </summary>
    /// <param name="profile">A validated profile with one simulated EEG and one simulated needle stream.</param>
    /// <param name="simulation">Simulation settings.</param>
    /// <param name="durationSeconds">Seconds to publish, or null until stopped.</param>
    /// <param name="backend">LSL backend.</param>
    /// <exception cref="NotSupportedException">The profile has no simulated EEG/needle pair.</exception>
    /// <exception cref="ArgumentException">The simulation cannot be published (e.g. a marker clock offset).</exception>
    public static SimulatedLslPublisher Create(DeviceProfile profile, SimulationSettings simulation, double? durationSeconds, ILslBackend backend) =>
        SimulatedLslTransport.Create(profile, simulation, durationSeconds, backend).Publisher;
}
