using AcqService.Core.Model;

namespace AcqService.Core.Pipeline;

/// <summary>
/// The task that owns the <see cref="Aligner"/>: reads the source edge, forwards raw items to the raw taps
/// (the recorder sees exactly what arrived, in arrival order), and fans aligned items out to every analyzer
/// edge. It completes all its output edges when its input completes, carrying the error if there was one.
/// </summary>
public sealed class AlignerStage
{
    private readonly Aligner _aligner;
    private readonly Edge<SourceItem> _input;
    private readonly Edge<AlignedItem>[] _outputs;
    private readonly Edge<SourceItem>[] _rawTaps;
    private readonly LagMonitor? _monitor;

    /// <summary>Creates the stage.</summary>
    /// <param name="aligner">The aligner this stage drives.</param>
    /// <param name="input">Source items.</param>
    /// <param name="outputs">Analyzer edges; every aligned item goes to each.</param>
    /// <param name="rawTaps">Raw item consumers (recorder).</param>
    /// <param name="monitor">Told each stream's received sample count (for "no data" and lag), if given.</param>
    public AlignerStage(Aligner aligner, Edge<SourceItem> input, IEnumerable<Edge<AlignedItem>> outputs, IEnumerable<Edge<SourceItem>>? rawTaps = null,
        LagMonitor? monitor = null)
    {
        _aligner = aligner;
        _input = input;
        _outputs = [.. outputs];
        _rawTaps = rawTaps is null ? [] : [.. rawTaps];
        _monitor = monitor;
    }

    /// <summary>Runs until the input edge completes; <paramref name="cancellationToken"/> aborts (graceful stop cancels the sources instead).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var buffer = new List<AlignedItem>(256);
        Exception? error = null;
        try
        {
            while (await _input.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (_input.Reader.TryRead(out SourceItem item))
                {
                    for (int i = 0; i < _rawTaps.Length; i++)
                    {
                        item.Chunk?.Retain();
                        await _rawTaps[i].WriteAsync(item, cancellationToken).ConfigureAwait(false);
                    }
                    buffer.Clear();
                    _aligner.Process(item, buffer);
                    if (item.Kind == SourceItemKind.Samples)
                    {
                        _monitor?.OnArrived(item.Stream, _aligner.SampleCount(item.Stream));
                    }
                    await ForwardAsync(buffer, cancellationToken).ConfigureAwait(false);
                }
            }
            buffer.Clear();
            _aligner.EndAll(buffer);
            await ForwardAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ex;
            throw;
        }
        finally
        {
            foreach (Edge<AlignedItem> output in _outputs)
            {
                output.Complete(error);
            }
            foreach (Edge<SourceItem> tap in _rawTaps)
            {
                tap.Complete(error);
            }
        }
    }

    private async ValueTask ForwardAsync(List<AlignedItem> items, CancellationToken cancellationToken)
    {
        for (int n = 0; n < items.Count; n++)
        {
            AlignedItem item = items[n];
            SampleChunk? chunk = item.Chunk;
            if (chunk is not null)
            {
                // The aligner hands over the one reference it received; each extra consumer needs its own.
                if (_outputs.Length == 0)
                {
                    chunk.Release();
                    continue;
                }
                if (_outputs.Length > 1)
                {
                    chunk.Retain(_outputs.Length - 1);
                }
            }
            for (int i = 0; i < _outputs.Length; i++)
            {
                await _outputs[i].WriteAsync(item, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
