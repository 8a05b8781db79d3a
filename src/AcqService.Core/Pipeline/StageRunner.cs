namespace AcqService.Core.Pipeline;

/// <summary>
/// The loop every transforming stage shares: read the input edge until it completes, turn each item into
/// zero or more outputs with a synchronous step (so the per-item work stays allocation-free and testable
/// without tasks), write each output to every output edge, and complete the outputs when done, carrying the
/// error if the input faulted or the step threw.
/// </summary>
public static class StageRunner
{
    /// <summary>Runs a stage.</summary>
    /// <param name="input">Input edge.</param>
    /// <param name="step">Consumes one input, appends outputs to the list (cleared before each call).</param>
    /// <param name="outputs">Output edges; every output goes to each of them.</param>
    /// <param name="cancellationToken">Aborts the stage (a graceful stop completes the input instead).</param>
    public static async Task RunAsync<TIn, TOut>(Edge<TIn> input, StageStep<TIn, TOut> step, IReadOnlyList<Edge<TOut>> outputs, CancellationToken cancellationToken)
    {
        var produced = new List<TOut>(64);
        Edge<TOut>[] targets = [.. outputs];
        Exception? error = null;
        try
        {
            while (await input.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (input.Reader.TryRead(out TIn? item))
                {
                    produced.Clear();
                    step(in item, produced);
                    for (int n = 0; n < produced.Count; n++)
                    {
                        for (int i = 0; i < targets.Length; i++)
                        {
                            await targets[i].WriteAsync(produced[n], cancellationToken).ConfigureAwait(false);
                        }
                    }
                }
            }
        }
        catch (Exception ex)
        {
            error = ex;
            throw;
        }
        finally
        {
            foreach (Edge<TOut> target in targets)
            {
                target.Complete(error);
            }
        }
    }

    /// <summary>Runs a sink: consumes every item of <paramref name="input"/> with <paramref name="consume"/>.</summary>
    public static async Task DrainAsync<T>(Edge<T> input, Action<T> consume, CancellationToken cancellationToken)
    {
        while (await input.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (input.Reader.TryRead(out T? item))
            {
                consume(item);
            }
        }
    }
}

/// <summary>One synchronous step of a stage: consume <paramref name="item"/>, append outputs.</summary>
public delegate void StageStep<TIn, TOut>(in TIn item, List<TOut> outputs);
