using System.Xml.Linq;
using AcqService.Core.Model;
using AcqService.Sources.Simulation;
using AcqService.Lsl;
using Microsoft.Extensions.Logging;

namespace AcqService.Sources.Lsl;

/// <summary>
/// Publishes a <see cref="SimulationRig"/> as real LSL outlets — EEG (float32, desc channels with label, unit,
/// type), needle markers (string) and, when the rig has one, the fNIRS device (float32 intensities, desc with the
/// montage: per channel source, detector, wavelength, distance; optode positions) — so the LSL path can be exercised end to end without hardware. The rig's raw
/// timestamps are pushed as they are. At live pace it behaves like a device (pushes whether or not anyone listens);
/// at fast pace it waits for a consumer on both outlets (LSL keeps no history) and then pushes as fast as the
/// outlets accept, with outlet buffers large enough to hold the whole run, so nothing is dropped. The pushing itself
/// is <see cref="SourceLslPublisher"/>'s; this class adds the simulator's description and defaults.
/// </summary>
public sealed class SimulatedLslPublisher : IDisposable
{
    private readonly SimulationRig _rig;
    private readonly SourceLslPublisher _publisher;
    private int _started;

    /// <summary>Creates the outlets (discoverable from now on).</summary>
    /// <param name="backend">LSL backend.</param>
    /// <param name="rig">The simulation; its stream descriptors give names, types, channels and source ids.</param>
    /// <param name="logger">Logger.</param>
    /// <exception cref="ArgumentException">The rig simulates a marker clock offset, which LSL cannot carry (peers measure the real one).</exception>
    public SimulatedLslPublisher(ILslBackend backend, SimulationRig rig, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(rig);
        if (rig.Settings.MarkerClockOffsetSeconds != 0)
        {
            throw new ArgumentException("a simulated marker clock offset cannot be published over LSL: receivers measure the real offset between the hosts (0 here); set markerClockOffsetSeconds to 0");
        }
        _rig = rig;
        var options = new SourceLslPublisherOptions
        {
            // At fast pace the whole run is pushed at once; the buffers must hold it all or LSL drops the oldest.
            MaxBufferedSeconds = rig.Pace == SimulationPace.Fast ? Math.Max(360, (int)Math.Ceiling(rig.DurationSeconds ?? 0) + 60) : 360,
            Describe = (stream, info) => info.Desc.Add(new XElement("acquisition", new XElement("manufacturer", "AcqService"),
                new XElement("model", stream.Kind != StreamKind.Signal ? "simulated needle markers" : ReferenceEquals(stream, rig.Nirs?.Stream) ? "simulated CW-fNIRS" : "simulated EEG"))),
        };
        _publisher = new SourceLslPublisher(backend, rig.Sources, options, logger);
    }

    /// <summary>The EEG outlet's info as published (uid, ports, hostname filled in).</summary>
    public LslStreamInfo EegStream => _publisher.OutletInfo(_rig.Eeg.Stream);

    /// <summary>The marker outlet's info as published.</summary>
    public LslStreamInfo MarkerStream => _publisher.OutletInfo(_rig.Markers.Stream);

    /// <summary>The fNIRS outlet's info as published (its <c>desc</c> carries the montage), or null when the rig has no fNIRS device.</summary>
    public LslStreamInfo? NirsStream => _rig.Nirs is null ? null : _publisher.OutletInfo(_rig.Nirs.Stream);

    /// <summary>The simulation (ground truth: schedule, samples produced).</summary>
    public SimulationRig Rig => _rig;

    /// <summary>Signal samples (EEG, and fNIRS frames when simulated) pushed to the outlets so far.</summary>
    public long SamplesPushed => _publisher.SamplesPushed;

    /// <summary>EEG samples produced during an outage and therefore never sent.</summary>
    public long SamplesDropped => _publisher.SamplesDropped;

    /// <summary>Markers pushed so far.</summary>
    public int MarkersPushed => (int)_publisher.MarkersPushed;

    /// <summary>
    /// Simulates a device dropping off the network: the EEG outlet is disposed now and re-created with the same
    /// source_id (a new uid) after <paramref name="duration"/>; samples produced meanwhile are dropped. Inlets
    /// with recovery reconnect to the new instance.
    /// </summary>
    public void SimulateOutage(TimeSpan duration) => _publisher.SimulateOutage(_rig.Eeg.Stream, duration);

    /// <summary>Runs the rig and publishes everything it produces until its duration ends or <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="cancellationToken">Stops publishing (not an error).</param>
    /// <param name="consumerTimeout">Fast pace: how long to wait for a consumer on each outlet (default 30 s).</param>
    /// <exception cref="TimeoutException">Fast pace and nobody connected in time.</exception>
    public Task RunAsync(CancellationToken cancellationToken, TimeSpan? consumerTimeout = null)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("a publisher runs once");
        }
        if (_rig.Pace == SimulationPace.Fast)
        {
            // LSL keeps no history: at fast pace nothing may be pushed before both inlets are there.
            return _publisher.RunAsync(cancellationToken, consumerTimeout ?? TimeSpan.FromSeconds(30));
        }
        return _publisher.RunAsync(cancellationToken);
    }

    /// <summary>Closes both outlets (inlets see the end at once).</summary>
    public void Dispose() => _publisher.Dispose();
}
