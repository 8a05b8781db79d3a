using AcqService.Core.Model;
using AcqService.Core.Pipeline;

namespace AcqService.Sources.Serial;

/// <summary>Synchronous writes to a source edge from a dedicated reader thread.</summary>
internal static class EdgeWriter
{
    /// <summary>
    /// Writes an item, blocking this (dedicated, long-running) thread while the edge applies back-pressure. The common
    /// case completes synchronously and allocates nothing; only a full edge pays for a task.
    /// </summary>
    public static void Write(Edge<SourceItem> edge, SourceItem item, CancellationToken cancellationToken)
    {
        ValueTask pending = edge.WriteAsync(item, cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            return;
        }
        pending.AsTask().GetAwaiter().GetResult();
    }
}
