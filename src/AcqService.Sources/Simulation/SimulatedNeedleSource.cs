using AcqService.Core.Model;
using AcqService.Core.Pipeline;

namespace AcqService.Sources.Simulation;

/// <summary>
/// The simulated needle-marker source: emits the schedule's events as string markers
/// (<c>needle/insert;site=ST36;kind=real</c>) stamped on its own clock (true time − the configured marker
/// clock offset), with clock-offset reports that let the aligner undo that offset.
/// </summary>
public sealed class SimulatedNeedleSource : ISource
{
    private readonly SimulationRig _rig;
    private int _emitted;

    internal SimulatedNeedleSource(SimulationRig rig, StreamDescriptor stream)
    {
        if (stream.Kind != StreamKind.Markers)
        {
            throw new ArgumentException($"stream '{stream.Key}' must be a marker stream for the needle simulator");
        }
        _rig = rig;
        Stream = stream;
    }

    /// <inheritdoc />
    public string Name => "simulated needle markers";

    /// <summary>The stream produced.</summary>
    public StreamDescriptor Stream { get; }

    /// <inheritdoc />
    public IReadOnlyList<StreamDescriptor> Streams => [Stream];

    /// <summary>Markers emitted so far.</summary>
    public int Emitted => Volatile.Read(ref _emitted);

    private int _cursor;
    private double _nextReport;
    private bool _started;
    private readonly TaskCompletionSource _fastDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <inheritdoc />
    public async Task RunAsync(Edge<SourceItem> output, CancellationToken cancellationToken)
    {
        if (_rig.Pace == SimulationPace.Fast)
        {
            // At fast pace the EEG source interleaves the markers in simulated-time order (see EmitDueAsync),
            // which makes fast sessions deterministic; this source only stays open until it is done.
            await _fastDone.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        SimulationSettings settings = _rig.Settings;
        await EmitDueAsync(output, 0, cancellationToken).ConfigureAwait(false);
        while (_cursor < _rig.Schedule.Events.Count)
        {
            double now = _rig.Clock() - _rig.Origin;
            double due = Math.Min(_rig.Schedule.Events[_cursor].Time + settings.MarkerLatencySeconds, _nextReport);
            if (now < due)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(due - now, 1.0)), cancellationToken).ConfigureAwait(false);
                continue;
            }
            await EmitDueAsync(output, now, cancellationToken).ConfigureAwait(false);
        }
        if (_rig.DurationSeconds is double duration)
        {
            // Stay "connected" until the end of the session, like a real marker device.
            double remaining = duration - (_rig.Clock() - _rig.Origin);
            if (remaining > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(remaining), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Emits every clock-offset report and marker due by simulated time <paramref name="time"/> (seconds from the
    /// origin; a marker is due at its event time plus the configured latency), in time order.
    /// </summary>
    internal async ValueTask EmitDueAsync(Edge<SourceItem> output, double time, CancellationToken cancellationToken)
    {
        SimulationSettings settings = _rig.Settings;
        double offset = settings.MarkerClockOffsetSeconds;
        if (!_started)
        {
            _started = true;
            await ReportOffsetAsync(output, 0, cancellationToken).ConfigureAwait(false);
            _nextReport = settings.ClockOffsetIntervalSeconds;
        }
        IReadOnlyList<NeedleEvent> events = _rig.Schedule.Events;
        while (true)
        {
            double markerDue = _cursor < events.Count ? events[_cursor].Time + settings.MarkerLatencySeconds : double.PositiveInfinity;
            if (_nextReport <= time && _nextReport <= markerDue)
            {
                await ReportOffsetAsync(output, _nextReport, cancellationToken).ConfigureAwait(false);
                _nextReport += settings.ClockOffsetIntervalSeconds;
                continue;
            }
            if (markerDue > time)
            {
                return;
            }
            NeedleEvent e = events[_cursor++];
            var marker = new Marker(Stream.Index, _rig.Origin + e.Time - offset, e.Label, e.Code);
            await output.WriteAsync(SourceItem.ForMarker(marker), cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _emitted);
        }
    }

    /// <summary>Called by the EEG source when a fast-pace run is over.</summary>
    internal void CompleteFast() => _fastDone.TrySetResult();

    private ValueTask ReportOffsetAsync(Edge<SourceItem> output, double trueTime, CancellationToken cancellationToken)
    {
        double offset = _rig.Settings.MarkerClockOffsetSeconds;
        // CollectionTime is expressed in the marker device's own clock, as in XDF.
        return output.WriteAsync(SourceItem.ForOffset(new ClockOffset(Stream.Index, _rig.Origin + trueTime - offset, offset)), cancellationToken);
    }
}
