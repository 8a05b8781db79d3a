using AcqService.Core.Model;
using AcqService.Core.Pipeline;

namespace AcqService.Sources.Tests.Serial;

/// <summary>Drains a source edge into lists (copying chunk contents and releasing them).</summary>
internal sealed class ItemCollector
{
    private readonly object _gate = new();

    public ItemCollector()
    {
        Edge = new EdgeFactory(new PipelineOptions()).Data<SourceItem>("test", singleWriter: false);
        Drain = Task.Run(DrainAsync);
    }

    public Edge<SourceItem> Edge { get; }

    public Task Drain { get; }

    public List<double[]> Frames { get; } = [];

    public List<double> Times { get; } = [];

    public List<Marker> Markers { get; } = [];

    public List<StreamGap> Gaps { get; } = [];

    public int FrameCount
    {
        get
        {
            lock (_gate)
            {
                return Frames.Count;
            }
        }
    }

    public int MarkerCount
    {
        get
        {
            lock (_gate)
            {
                return Markers.Count;
            }
        }
    }

    public int GapCount
    {
        get
        {
            lock (_gate)
            {
                return Gaps.Count;
            }
        }
    }

    private async Task DrainAsync()
    {
        await foreach (SourceItem item in Edge.Reader.ReadAllAsync())
        {
            lock (_gate)
            {
                switch (item.Kind)
                {
                    case SourceItemKind.Samples:
                        SampleChunk chunk = item.Chunk!;
                        for (int f = 0; f < chunk.Count; f++)
                        {
                            Frames.Add(chunk.Frame(f).ToArray());
                            Times.Add(chunk.Timestamps[f]);
                        }
                        chunk.Release();
                        break;
                    case SourceItemKind.Marker:
                        Markers.Add(item.Marker);
                        break;
                    case SourceItemKind.Gap:
                        Gaps.Add(item.Gap);
                        break;
                }
            }
        }
    }

    /// <summary>Waits (polling, bounded) until <paramref name="condition"/> holds.</summary>
    /// <summary>
    /// Runs <paramref name="source"/> into this collector until <paramref name="condition"/> holds (or the timeout),
    /// then stops it, waits for it to return and drains the edge; returns whether the condition was met.
    /// </summary>
    public async Task<bool> RunUntilAsync(ISource source, Func<bool> condition, TimeSpan timeout)
    {
        using var stop = new CancellationTokenSource();
        Task run = source.RunAsync(Edge, stop.Token);
        bool met = await UntilAsync(condition, timeout);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Edge.Complete();
        await Drain;
        return met;
    }

    public static async Task<bool> UntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                return false;
            }
            await Task.Delay(20);
        }
        return true;
    }
}
