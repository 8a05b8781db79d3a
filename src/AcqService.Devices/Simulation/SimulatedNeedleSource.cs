using AcqService.Core.Model;
using AcqService.Core.Pipeline;

namespace AcqService.Devices.Simulation;

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

    /// <inheritdoc />
    public async Task RunAsync(Edge<SourceItem> output, CancellationToken cancellationToken)
    {
        SimulationSettings settings = _rig.Settings;
        double offset = settings.MarkerClockOffsetSeconds;
        double nextReport = 0;
        async ValueTask ReportOffsetAsync(double trueTime)
        {
            // CollectionTime is expressed in the marker device's own clock, as in XDF.
            await output.WriteAsync(SourceItem.ForOffset(new ClockOffset(Stream.Index, _rig.Origin + trueTime - offset, offset)), cancellationToken).ConfigureAwait(false);
        }

        await ReportOffsetAsync(0).ConfigureAwait(false);
        nextReport += settings.ClockOffsetIntervalSeconds;
        foreach (NeedleEvent e in _rig.Schedule.Events)
        {
            if (_rig.Pace == SimulationPace.Live)
            {
                while (true)
                {
                    double now = _rig.Clock() - _rig.Origin;
                    double due = Math.Min(e.Time + settings.MarkerLatencySeconds, nextReport);
                    if (now >= due)
                    {
                        if (now >= nextReport)
                        {
                            await ReportOffsetAsync(nextReport).ConfigureAwait(false);
                            nextReport += settings.ClockOffsetIntervalSeconds;
                            continue;
                        }
                        break;
                    }
                    await Task.Delay(TimeSpan.FromSeconds(Math.Min(due - now, 1.0)), cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                while (nextReport <= e.Time)
                {
                    await ReportOffsetAsync(nextReport).ConfigureAwait(false);
                    nextReport += settings.ClockOffsetIntervalSeconds;
                }
            }
            cancellationToken.ThrowIfCancellationRequested();
            var marker = new Marker(Stream.Index, _rig.Origin + e.Time - offset, e.Label, e.Code);
            await output.WriteAsync(SourceItem.ForMarker(marker), cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _emitted);
        }
        if (_rig.Pace == SimulationPace.Live && _rig.DurationSeconds is double duration)
        {
            // Stay "connected" until the end of the session, like a real marker device.
            double remaining = duration - (_rig.Clock() - _rig.Origin);
            if (remaining > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(remaining), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
