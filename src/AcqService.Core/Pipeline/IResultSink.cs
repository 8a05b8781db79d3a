using AcqService.Core.Analysis;

namespace AcqService.Core.Pipeline;

/// <summary>
/// An optional consumer of a session's derived results (alpha updates and epoch outcomes), e.g. a publisher that
/// re-broadcasts them over LSL. It reads DISPLAY edges: when it falls behind, the oldest items are dropped and
/// counted, so it can never slow acquisition or analysis. A failing sink is logged and recorded as a session
/// error; it does not stop the session.
/// </summary>
public interface IResultSink
{
    /// <summary>Name for logs and edge names.</summary>
    string Name { get; }

    /// <summary>
    /// Consumes both edges until they complete. <see cref="AlphaUpdate"/> objects are recycled by the analyzer:
    /// read each one synchronously and copy what you keep.
    /// </summary>
    /// <param name="alpha">Alpha updates (display edge, drops oldest).</param>
    /// <param name="epochs">Epoch outcomes (display edge, drops oldest).</param>
    /// <param name="cancellationToken">Hard abort.</param>
    Task RunAsync(Edge<AlphaUpdate> alpha, Edge<EpochOutcome> epochs, CancellationToken cancellationToken);
}
