using AcqService.Core.Model;

namespace AcqService.Core.Pipeline;

/// <summary>
/// Something that produces stream data: a simulator, an LSL inlet, a serial device, an XDF file.
/// A source declares its streams before the session starts, then writes items for them until it is done or
/// cancelled. It never completes the shared edge; the session does that once every source has returned.
/// </summary>
public interface ISource
{
    /// <summary>Name for logs and status (e.g. <c>simulated EEG</c>).</summary>
    string Name { get; }

    /// <summary>Streams this source produces (registered by the session before <see cref="RunAsync"/>).</summary>
    IReadOnlyList<StreamDescriptor> Streams { get; }

    /// <summary>Produces items until done or <paramref name="cancellationToken"/> is cancelled (a graceful stop, not an error).</summary>
    Task RunAsync(Edge<SourceItem> output, CancellationToken cancellationToken);
}

/// <summary>A stage that receives the raw source items in arrival order (the recorder).</summary>
public interface IRawSink
{
    /// <summary>Name for logs.</summary>
    string Name { get; }

    /// <summary>Consumes the edge until it completes; must release every chunk reference it receives.</summary>
    Task RunAsync(Edge<SourceItem> input, CancellationToken cancellationToken);
}

/// <summary>
/// A source with no end of its own that follows the session (markers entered by hand): once every other source has
/// finished, the session calls <see cref="EndWithSession"/> and the source returns after delivering what it holds.
/// </summary>
public interface IFollowerSource : ISource
{
    /// <summary>The other sources are done: deliver what is queued and return from <see cref="ISource.RunAsync"/>.</summary>
    void EndWithSession();
}
