using System.Xml.Linq;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Devices.Simulation;
using AcqService.Lsl;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AcqService.Devices.Lsl;

/// <summary>
/// Publishes a <see cref="SimulationRig"/> as two real LSL outlets — EEG (float32, desc channels with label, unit,
/// type) and needle markers (string) — so the LSL path can be exercised end to end without hardware. The rig's raw
/// timestamps are pushed as they are. At live pace it behaves like a device (pushes whether or not anyone listens);
/// at fast pace it waits for a consumer on both outlets (LSL keeps no history) and then pushes as fast as the
/// outlets accept, with outlet buffers large enough to hold the whole run, so nothing is dropped.
/// </summary>
public sealed partial class SimulatedLslPublisher : IDisposable
{
    private readonly ILslBackend _backend;
    private readonly SimulationRig _rig;
    private readonly ILogger _logger;
    private readonly int _maxBufferedSeconds;
    private readonly LslStreamInfo _eegInfo;
    private readonly LslStreamInfo _markerInfo;
    private ILslOutlet? _eeg;
    private readonly ILslOutlet _markers;
    private long _outageTicks;
    private double _outageEnd;
    private long _samplesPushed;
    private long _samplesDropped;
    private int _markersPushed;
    private int _started;

    /// <summary>Creates both outlets (discoverable from now on).</summary>
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
        _backend = backend;
        _rig = rig;
        _logger = logger ?? NullLogger.Instance;
        // At fast pace the whole run is pushed at once; the buffers must hold it all or LSL drops the oldest.
        _maxBufferedSeconds = rig.Pace == SimulationPace.Fast ? Math.Max(360, (int)Math.Ceiling(rig.DurationSeconds ?? 0) + 60) : 360;
        _eegInfo = BuildEegInfo(rig.Eeg.Stream);
        _markerInfo = BuildMarkerInfo(rig.Markers.Stream);
        _eeg = backend.CreateOutlet(_eegInfo, 0, _maxBufferedSeconds);
        _markers = backend.CreateOutlet(_markerInfo, 0, _maxBufferedSeconds);
        LogOutlets(_logger, LslDiscoveryHelp.Describe(_eeg.Info), LslDiscoveryHelp.Describe(_markers.Info));
    }

    /// <summary>The EEG outlet's info as published (uid, ports, hostname filled in).</summary>
    public LslStreamInfo EegStream => (_eeg?.Info ?? _eegInfo).Clone();

    /// <summary>The marker outlet's info as published.</summary>
    public LslStreamInfo MarkerStream => _markers.Info.Clone();

    /// <summary>The simulation (ground truth: schedule, samples produced).</summary>
    public SimulationRig Rig => _rig;

    /// <summary>EEG samples pushed to the outlet so far.</summary>
    public long SamplesPushed => Interlocked.Read(ref _samplesPushed);

    /// <summary>EEG samples produced during an outage and therefore never sent.</summary>
    public long SamplesDropped => Interlocked.Read(ref _samplesDropped);

    /// <summary>Markers pushed so far.</summary>
    public int MarkersPushed => Volatile.Read(ref _markersPushed);

    /// <summary>
    /// Simulates a device dropping off the network: the EEG outlet is disposed now and re-created with the same
    /// source_id (a new uid) after <paramref name="duration"/>; samples produced meanwhile are dropped. Inlets
    /// with recovery reconnect to the new instance.
    /// </summary>
    public void SimulateOutage(TimeSpan duration) => Interlocked.Exchange(ref _outageTicks, Math.Max(1, duration.Ticks));

    /// <summary>Runs the rig and publishes everything it produces until its duration ends or <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="cancellationToken">Stops publishing (not an error).</param>
    /// <param name="consumerTimeout">Fast pace: how long to wait for a consumer on each outlet (default 30 s).</param>
    /// <exception cref="TimeoutException">Fast pace and nobody connected in time.</exception>
    public async Task RunAsync(CancellationToken cancellationToken, TimeSpan? consumerTimeout = null)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("a publisher runs once");
        }
        if (_rig.Pace == SimulationPace.Fast)
        {
            TimeSpan timeout = consumerTimeout ?? TimeSpan.FromSeconds(30);
            bool ready = await Task.Run(() => _eeg!.WaitForConsumers(timeout) && _markers.WaitForConsumers(timeout), cancellationToken).ConfigureAwait(false);
            if (!ready)
            {
                throw new TimeoutException($"no consumer connected to both simulator outlets within {timeout.TotalSeconds} s; at fast pace the data would be lost");
            }
        }
        var registry = new StreamRegistry();
        StreamDescriptor eeg = Register(registry, _rig.Eeg.Stream);
        StreamDescriptor markers = Register(registry, _rig.Markers.Stream);
        var edges = new EdgeFactory(new PipelineOptions());
        Edge<SourceItem> edge = edges.Data<SourceItem>("simulator→lsl", singleWriter: false, onDropped: item => item.Chunk?.Release());
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task producers = Task.WhenAll(_rig.Sources.Select(s => s.RunAsync(edge, stop.Token)));
        Task completion = producers.ContinueWith(t => edge.Complete(t.IsFaulted ? t.Exception!.InnerException : null),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        float[] values = [];
        try
        {
            while (await edge.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (edge.Reader.TryRead(out SourceItem item))
                {
                    switch (item.Kind)
                    {
                        case SourceItemKind.Samples:
                            SampleChunk chunk = item.Chunk!;
                            try
                            {
                                if (chunk.Stream == eeg.Index)
                                {
                                    PushSamples(chunk, ref values);
                                }
                            }
                            finally
                            {
                                chunk.Release();
                            }
                            break;
                        case SourceItemKind.Marker when item.Stream == markers.Index:
                            _markers.PushChunk([item.Marker.Label], [item.Marker.Timestamp]);
                            Interlocked.Increment(ref _markersPushed);
                            break;
                        default:
                            // Clock offsets stay local: LSL receivers measure the real offset themselves.
                            break;
                    }
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await completion.ConfigureAwait(false);
            // Drain what the producers wrote after the stop so every chunk goes back to its pool.
            while (edge.Reader.TryRead(out SourceItem rest))
            {
                rest.Chunk?.Release();
            }
        }
        try
        {
            await producers.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped by the caller.
        }
    }

    private void PushSamples(SampleChunk chunk, ref float[] values)
    {
        long outage = Interlocked.Exchange(ref _outageTicks, 0);
        if (outage > 0)
        {
            _eeg?.Dispose();
            _eeg = null;
            // Outage end in the rig's clock, so it is measured in simulated time at either pace.
            _outageEnd = _rig.Clock() + TimeSpan.FromTicks(outage).TotalSeconds;
            LogOutage(_logger, _eegInfo.Name, TimeSpan.FromTicks(outage).TotalSeconds);
        }
        if (_eeg is null)
        {
            if (_rig.Clock() < _outageEnd)
            {
                Interlocked.Add(ref _samplesDropped, chunk.Count);
                return;
            }
            _eeg = _backend.CreateOutlet(_eegInfo, 0, _maxBufferedSeconds);
            LogRestored(_logger, _eegInfo.Name, _eeg.Info.Uid);
        }
        int n = chunk.Count * chunk.ChannelCount;
        if (values.Length < n)
        {
            values = new float[n];
        }
        ReadOnlySpan<double> source = chunk.Values;
        for (int i = 0; i < n; i++)
        {
            values[i] = (float)source[i];
        }
        _eeg.PushChunk(values.AsSpan(0, n), chunk.Times);
        Interlocked.Add(ref _samplesPushed, chunk.Count);
    }

    private static StreamDescriptor Register(StreamRegistry registry, StreamDescriptor stream) =>
        stream.Index >= 0 ? stream : registry.Add(stream);

    private static LslStreamInfo BuildEegInfo(StreamDescriptor stream)
    {
        var info = new LslStreamInfo
        {
            Name = stream.Name,
            Type = stream.Type,
            ChannelCount = stream.ChannelCount,
            NominalSrate = stream.NominalRateHz,
            ChannelFormat = LslChannelFormat.Float32,
            SourceId = stream.SourceId,
        };
        info.WithChannels(stream.Channels.Select(c => (c.Label, c.Unit, c.Type)));
        info.Desc.Add(new XElement("acquisition", new XElement("manufacturer", "AcqService"), new XElement("model", "simulated EEG")));
        return info;
    }

    private static LslStreamInfo BuildMarkerInfo(StreamDescriptor stream)
    {
        var info = new LslStreamInfo
        {
            Name = stream.Name,
            Type = stream.Type,
            ChannelCount = 1,
            NominalSrate = 0,
            ChannelFormat = LslChannelFormat.String,
            SourceId = stream.SourceId,
        };
        info.Desc.Add(new XElement("acquisition", new XElement("manufacturer", "AcqService"), new XElement("model", "simulated needle markers")));
        return info;
    }

    /// <summary>Closes both outlets (inlets see the end at once).</summary>
    public void Dispose()
    {
        _eeg?.Dispose();
        _markers.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Simulator outlets: EEG {Eeg}; markers {Markers}")]
    private static partial void LogOutlets(ILogger logger, string eeg, string markers);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Simulated outage: outlet '{Name}' closed for {Seconds} s")]
    private static partial void LogOutage(ILogger logger, string name, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Simulated outage over: outlet '{Name}' re-created (uid {Uid})")]
    private static partial void LogRestored(ILogger logger, string name, string uid);
}
