using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Drivers;
using AcqService.Sources.Profiles;
using AcqService.Sources.Lsl;
using AcqService.Sources.Simulation;
using AcqService.Lsl;

namespace AcqService.Sessions;

/// <summary>
/// <c>--transport lsl</c>: the profile's simulated devices are published as real LSL outlets in this process
/// (<see cref="SimulatedLslPublisher"/>, on the configured backend — loopback by default) and the session receives them
/// through <see cref="LslSignalSource"/>/<see cref="LslMarkerSource"/>, so a demo exercises the whole LSL stack:
/// discovery, stream info, TCP data, time sync. A simulated fNIRS device goes the same way, its probe (sources,
/// detectors, wavelengths, positions) in the outlet's <c>desc</c>. Each run gets its own source_ids, so two demos on one computer never
/// receive each other's streams.
/// </summary>
public sealed class SimulatedLslTransport : IDisposable
{
    private readonly SimulatedLslPublisher _publisher;

    private SimulatedLslTransport(SimulatedLslPublisher publisher, DeviceProfile receiverProfile, string runId)
    {
        _publisher = publisher;
        ReceiverProfile = receiverProfile;
        RunId = runId;
    }

    /// <summary>The profile the session uses: the simulated streams replaced by <c>lsl</c> streams selecting this run's outlets by source_id.</summary>
    public DeviceProfile ReceiverProfile { get; }

    /// <summary>Suffix of this run's source_ids.</summary>
    public string RunId { get; }

    /// <summary>The publisher (outlet infos, counters).</summary>
    public SimulatedLslPublisher Publisher => _publisher;

    /// <summary>True when the profile has simulated devices that could go over LSL.</summary>
    public static bool Applies(DeviceProfile profile) => profile.Streams.Any(IsSimulated);

    /// <summary>Creates the outlets (discoverable from now on) and the receiver profile.</summary>
    /// <param name="profile">A validated profile with one simulated-eeg and one simulated-needle stream, and optionally one simulated-nirs stream.</param>
    /// <param name="simulation">Simulation settings (a simulated marker clock offset cannot go over LSL).</param>
    /// <param name="durationSeconds">Seconds of data to simulate, or null until stopped.</param>
    /// <param name="backend">LSL backend the outlets and the inlets share.</param>
    /// <exception cref="ArgumentException">The simulation cannot be published (marker clock offset, invalid settings).</exception>
    /// <exception cref="NotSupportedException">The profile's simulated streams are not one pair.</exception>
    public static SimulatedLslTransport Create(DeviceProfile profile, SimulationSettings simulation, double? durationSeconds, ILslBackend backend)
    {
        StreamProfile[] eeg = [.. profile.Streams.Where(s => s.Source.Driver == SimulationDriver.Eeg)];
        StreamProfile[] needle = [.. profile.Streams.Where(s => s.Source.Driver == SimulationDriver.Needle)];
        StreamProfile[] nirs = [.. profile.Streams.Where(s => s.Source.Driver == SimulationDriver.Nirs)];
        if (eeg.Length != 1 || needle.Length != 1 || nirs.Length > 1)
        {
            throw new NotSupportedException($"the simulated drivers come as a pair: one '{SimulationDriver.Eeg}' stream and one '{SimulationDriver.Needle}' stream (and at most one '{SimulationDriver.Nirs}' stream)");
        }
        string runId = NewRunId();
        // The fNIRS outlet carries the montage in its desc (SimulatedNirsSource describes itself like a device), so
        // the receiving inlet rebuilds the probe from the stream alone, as it would for a real LSL fNIRS device.
        var rig = new SimulationRig(simulation, WithSourceId(eeg[0], runId), WithSourceId(needle[0], runId), nirs.Length == 1 ? WithSourceId(nirs[0], runId) : null,
            SimulationPace.Live, durationSeconds, backend.LocalClock);
        var publisher = new SimulatedLslPublisher(backend, rig);
        var receiver = new DeviceProfile
        {
            Schema = profile.Schema,
            Name = profile.Name,
            Description = profile.Description,
            Streams = [.. profile.Streams.Select(s => IsSimulated(s) ? OverLsl(s, SourceId(s, runId)) : s)],
            Conditions = profile.Conditions,
            Regions = profile.Regions,
            Simulation = profile.Simulation,
        };
        return new SimulatedLslTransport(publisher, receiver, runId);
    }

    /// <summary>Publishes until the simulated duration ends or <paramref name="cancellationToken"/> is cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) => _publisher.RunAsync(cancellationToken);

    /// <summary>True when the session's LSL sources have received everything published so far.</summary>
    public bool Delivered(IReadOnlyList<ISource> sources)
    {
        // SamplesPushed counts every signal outlet (EEG and, when simulated, fNIRS), so sum what their inlets received.
        string?[] signals = [_publisher.Rig.Eeg.Stream.SourceId, _publisher.Rig.Nirs?.Stream.SourceId];
        long samples = sources.OfType<LslSignalSource>().Where(s => signals.Contains(s.Stream.SourceId)).Sum(s => s.Received);
        long markers = sources.OfType<LslMarkerSource>().Where(s => s.Stream.SourceId == _publisher.Rig.Markers.Stream.SourceId).Sum(s => (long)s.Received);
        return samples >= _publisher.SamplesPushed && markers >= _publisher.MarkersPushed;
    }

    /// <summary>Closes the outlets.</summary>
    public void Dispose() => _publisher.Dispose();

    private static bool IsSimulated(StreamProfile s) => s.Source.Driver is SimulationDriver.Eeg or SimulationDriver.Needle or SimulationDriver.Nirs;

    /// <summary>A fresh suffix for one run's source_ids (shared with <c>acq simulate</c>).</summary>
    internal static string NewRunId() => Guid.NewGuid().ToString("N")[..12];

    private static string SourceId(StreamProfile s, string runId) => $"acqservice-{s.Key}-{runId}";

    /// <summary>The profile stream's descriptor with this run's source_id <c>acqservice-&lt;key&gt;-&lt;runId&gt;</c>.</summary>
    internal static StreamDescriptor WithSourceId(StreamProfile s, string runId)
    {
        StreamDescriptor d = ProfileLoader.ToDescriptor(s);
        return new StreamDescriptor(d.Key, d.Kind, d.Name, d.Type, d.Channels, d.NominalRateHz, d.Format, SourceId(s, runId));
    }

    /// <summary>The same stream (channels, rate, format, type) received over LSL by its unique source_id.</summary>
    private static StreamProfile OverLsl(StreamProfile s, string sourceId) => new()
    {
        Key = s.Key,
        Kind = s.Kind,
        Name = s.Name,
        Type = s.Type,
        SampleRateHz = s.SampleRateHz,
        ChannelFormat = s.ChannelFormat ?? (s.Kind == "signal" ? "float32" : "string"),
        ChannelCount = s.ChannelCount,
        Channels = s.Channels,
        Source = new SourceProfile
        {
            Driver = LslDriver.Name,
            Predicate = $"source_id='{sourceId}'",
            // The outlets already exist in this process: found at once unless something is badly wrong.
            ResolveTimeoutSeconds = 10,
            OnMismatch = "error",
        },
    };
}
