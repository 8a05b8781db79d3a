using System.Threading.Channels;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;

namespace AcqService.Sources.Manual;

/// <summary>
/// Markers entered by hand (a technician's "needle inserted, real, ST36" from the control API, the dashboard or
/// <c>acq mark</c>): one more marker stream of the session. Each marker is stamped with the session clock at the moment
/// it is entered, so the aligner, the recorder and the ERP stage treat it exactly like a marker from a trigger box or
/// an LSL marker stream (its clock offset is 0 by construction, reported once so the recording says so).
/// </summary>
public sealed class ManualMarkerSource : IFollowerSource
{
    /// <summary>Key of the stream in the session (and its name in the recording).</summary>
    public const string StreamKey = "manual";

    /// <summary>Markers that can wait for the session to take them; more than this and entering one fails.</summary>
    private const int Capacity = 256;

    private readonly Channel<(double Time, string Label, int? Code)> _queue =
        Channel.CreateBounded<(double, string, int?)>(new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Func<double> _clock;
    private int _entered;

    /// <summary>Creates the source.</summary>
    /// <param name="clock">The session clock (the clock every other stream is corrected to).</param>
    /// <param name="sourceId">Written as the stream's source_id (e.g. <c>acqservice-manual-&lt;station&gt;</c>).</param>
    public ManualMarkerSource(Func<double> clock, string sourceId)
    {
        _clock = clock;
        Stream = new StreamDescriptor(StreamKey, StreamKind.Markers, "AcqService manual markers", "Markers",
            [new ChannelDescriptor("marker", "", "Marker")], 0, ChannelFormat.String, sourceId);
    }

    /// <inheritdoc />
    public string Name => "manual markers";

    /// <summary>The marker stream.</summary>
    public StreamDescriptor Stream { get; }

    /// <inheritdoc />
    public IReadOnlyList<StreamDescriptor> Streams => [Stream];

    /// <summary>Markers entered so far.</summary>
    public int Entered => Volatile.Read(ref _entered);

    /// <summary>
    /// Stamps a marker with the session clock now and queues it for the session. Thread-safe; never blocks.
    /// </summary>
    /// <param name="label">Marker text, e.g. <c>needle/insert;site=ST36;kind=real;source=manual</c>.</param>
    /// <param name="code">Optional numeric code.</param>
    /// <param name="timestamp">The session-clock time given to the marker.</param>
    /// <returns>False when the session is over or has not taken the last <c>256</c> markers.</returns>
    public bool TryMark(string label, int? code, out double timestamp)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        timestamp = _clock();
        if (!_queue.Writer.TryWrite((timestamp, label, code)))
        {
            return false;
        }
        Interlocked.Increment(ref _entered);
        return true;
    }

    /// <summary>No more markers (the session is ending); markers already queued are still delivered.</summary>
    public void EndWithSession() => _queue.Writer.TryComplete();

    /// <inheritdoc />
    public async Task RunAsync(Edge<SourceItem> output, CancellationToken cancellationToken)
    {
        // Offset 0: the markers are stamped with the session clock itself. Reported so the recording carries it like
        // every other marker stream's offsets.
        await output.WriteAsync(SourceItem.ForOffset(new ClockOffset(Stream.Index, _clock(), 0)), cancellationToken).ConfigureAwait(false);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (_queue.Reader.TryRead(out (double Time, string Label, int? Code) m))
                {
                    await output.WriteAsync(SourceItem.ForMarker(new Marker(Stream.Index, m.Time, m.Label, m.Code)), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The session stops its sources by cancelling them; a marker entered in the same instant is still taken.
            _queue.Writer.TryComplete();
            using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                while (_queue.Reader.TryRead(out (double Time, string Label, int? Code) m))
                {
                    await output.WriteAsync(SourceItem.ForMarker(new Marker(Stream.Index, m.Time, m.Label, m.Code)), drain.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (drain.IsCancellationRequested)
            {
                // The pipeline is not draining (hard abort): the marker cannot be delivered any more.
            }
            throw;
        }
    }
}
