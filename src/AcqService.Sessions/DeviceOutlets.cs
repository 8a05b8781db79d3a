using AcqService.Lsl;
using AcqService.Sources.Lsl;
using AcqService.Sources.Profiles;
using AcqService.Sources.Simulation;
using AcqService.Sources.Xdf;
using AcqService.Xdf;

namespace AcqService.Sessions;

/// <summary>
/// Devices that other programs receive over LSL: the simulated devices of a profile (<c>acq simulate</c>) and a
/// recording's streams (<c>acq replay</c>), published as outlets like a real amplifier's.
/// </summary>
public static class DeviceOutlets
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

    /// <summary>Opens a recording and creates one outlet per replayed stream (discoverable from now on).</summary>
    /// <param name="path">The XDF file.</param>
    /// <param name="replay">Streams and pace.</param>
    /// <param name="restamp">Shift all timestamps by one offset so the file starts now.</param>
    /// <param name="backend">LSL backend.</param>
    /// <returns>The replay source (diagnostics, damage) and its publisher.</returns>
    /// <exception cref="SessionSetupException">The file cannot be read or has no such streams (not a usage error).</exception>
    public static (XdfReplaySource Source, SourceLslPublisher Publisher) Replay(string path, XdfReplayOptions replay, bool restamp, ILslBackend backend)
    {
        XdfReplaySource source;
        try
        {
            source = XdfReplayFactory.Open(path, replay);
        }
        catch (Exception ex) when (ex is InvalidDataException or XdfFormatException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new SessionSetupException(ex.Message, isUsageError: false, ex);
        }
        try
        {
            return (source, new SourceLslPublisher(backend, [source], new SourceLslPublisherOptions { Restamp = restamp }));
        }
        catch (ArgumentException ex)
        {
            throw new SessionSetupException($"{path}: {ex.Message}", isUsageError: false, ex);
        }
    }
}
