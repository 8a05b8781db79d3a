using AcqService.Core.Pipeline;
using AcqService.Lsl;
using AcqService.Sinks;
using AcqService.Sinks.Lsl;

namespace AcqService.Sessions;

/// <summary>
/// A session built by <see cref="SessionFactory"/>, ready to run once. It owns what the session needs besides the
/// pipeline — the LSL backend, the simulator's outlets, the result publisher — and decides the ending of sessions
/// that never end by themselves (LSL streams: the duration; simulated devices over LSL: once everything published has
/// been received). Status readers use <see cref="Pipeline"/>.
/// </summary>
public sealed class Session : IAsyncDisposable
{
    /// <summary>Seconds the LSL inlets get, after the simulator has published everything, to receive the rest.</summary>
    private const double DeliveryGraceSeconds = 5;

    private readonly IReadOnlyList<ISource> _sources;
    private readonly double? _duration;
    private readonly ILslBackend? _lsl;
    private readonly SimulatedLslTransport? _transport;
    private readonly LslResultPublisher? _publisher;
    private int _ran;

    internal Session(AcquisitionSession pipeline, IReadOnlyList<ISource> sources, string folder, SessionMetadata metadata, IReadOnlyList<string> banner,
        double? durationSeconds, ILslBackend? lsl, SimulatedLslTransport? transport, LslResultPublisher? publisher)
    {
        Pipeline = pipeline;
        _sources = sources;
        Folder = folder;
        Metadata = metadata;
        Banner = banner;
        _duration = durationSeconds;
        _lsl = lsl;
        _transport = transport;
        _publisher = publisher;
    }

    /// <summary>The running pipeline (streams, aligner, analyzers, counters).</summary>
    public AcquisitionSession Pipeline { get; }

    /// <summary>The LSL result outlets (alpha, ERP outcomes), or null when results are not published over LSL.</summary>
    public LslResultPublisher? ResultPublisher => _publisher;

    /// <summary>The session folder.</summary>
    public string Folder { get; }

    /// <summary>Metadata written to <c>session.json</c>.</summary>
    public SessionMetadata Metadata { get; }

    /// <summary>Lines to show before the session starts (title, simulator outlets, chosen LSL sources).</summary>
    public IReadOnlyList<string> Banner { get; }

    /// <summary>Asks the session to stop (drains and writes results); the first reason given is the one reported.</summary>
    public void Stop(SessionEndKind kind, string reason) => Pipeline.RequestStop(kind, reason);

    /// <summary>Runs the session to its end.</summary>
    /// <param name="operatorStop">Cancelled by the operator (Ctrl+C, SIGTERM, service stop): the summary says so.</param>
    /// <returns>The summary; <see cref="SessionSummary.Ended"/> says how it ended.</returns>
    /// <exception cref="InvalidOperationException">The session has already run.</exception>
    public async Task<SessionSummary> RunAsync(CancellationToken operatorStop)
    {
        if (Interlocked.Exchange(ref _ran, 1) != 0)
        {
            throw new InvalidOperationException("a session runs once; build a new one with the factory");
        }
        using var watch = new CancellationTokenSource();
        Task publishing = Task.CompletedTask;
        Task limit = Task.CompletedTask;
        if (_transport is not null)
        {
            publishing = _transport.RunAsync(watch.Token);
            limit = StopWhenDeliveredAsync(publishing, watch.Token);
        }
        else if (_lsl is not null && _duration is double seconds)
        {
            // LSL streams never end by themselves: the duration stops the session like an operator would, but says so.
            limit = StopAfterAsync(seconds, watch.Token);
        }
        SessionSummary summary;
        try
        {
            summary = await Pipeline.RunAsync(operatorStop).ConfigureAwait(false);
        }
        finally
        {
            await watch.CancelAsync().ConfigureAwait(false);
            await limit.ConfigureAwait(false);
        }
        try
        {
            await publishing.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped with the session.
        }
        catch (Exception ex)
        {
            summary.Errors.Add($"the simulator's LSL outlets failed: {ex.Message}");
        }
        return summary;
    }

    private async Task StopAfterAsync(double seconds, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken).ConfigureAwait(false);
            Stop(SessionEndKind.DurationReached, $"the requested duration of {seconds:0.###} s was reached");
        }
        catch (OperationCanceledException)
        {
            // The session ended first.
        }
    }

    /// <summary>Stops the session once the simulator is done and its data has arrived (or at once if the simulator failed).</summary>
    private async Task StopWhenDeliveredAsync(Task publishing, CancellationToken cancellationToken)
    {
        try
        {
            try
            {
                await publishing.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                Stop(SessionEndKind.SourceFailed, $"the simulator's LSL outlets failed: {ex.Message}");
                return;
            }
            long deadline = Environment.TickCount64 + (long)(DeliveryGraceSeconds * 1000);
            while (!_transport!.Delivered(_sources) && Environment.TickCount64 < deadline)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
            Stop(SessionEndKind.DurationReached, _transport.Delivered(_sources)
                ? $"the simulated duration{(_duration is double d ? $" of {d:0.###} s" : "")} was published and received"
                : $"the simulated duration was published; not everything arrived within {DeliveryGraceSeconds:0} s (see the sample counts)");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The session ended first (Ctrl+C, service stop).
        }
    }

    /// <summary>Closes the result outlets, the simulator's outlets, the sources and the LSL backend.</summary>
    public ValueTask DisposeAsync()
    {
        _publisher?.Dispose();
        _transport?.Dispose();
        foreach (IDisposable source in _sources.OfType<IDisposable>())
        {
            source.Dispose();
        }
        _lsl?.Dispose();
        return ValueTask.CompletedTask;
    }
}
