using AcqService.Core.Model;
using AcqService.Core.Pipeline;

namespace AcqService.Sources.Tests.Xdf;

/// <summary>A raw sink that keeps a copy of every item it sees (what the recorder was given), for exact comparisons.</summary>
internal sealed class RawCapture : IRawSink
{
    public string Name => "capture";

    public List<(int Stream, double[] Times, double[] Values)> Chunks { get; } = [];
    public List<Marker> Markers { get; } = [];
    public List<ClockOffset> Offsets { get; } = [];
    public List<StreamGap> Gaps { get; } = [];
    public List<SourceItemKind> Kinds { get; } = [];

    public async Task RunAsync(Edge<SourceItem> input, CancellationToken cancellationToken)
    {
        await foreach (SourceItem item in input.Reader.ReadAllAsync(cancellationToken))
        {
            Kinds.Add(item.Kind);
            switch (item.Kind)
            {
                case SourceItemKind.Samples:
                    Chunks.Add((item.Stream, item.Chunk!.Times.ToArray(), item.Chunk.Values.ToArray()));
                    item.Chunk.Release();
                    break;
                case SourceItemKind.Marker:
                    Markers.Add(item.Marker);
                    break;
                case SourceItemKind.ClockOffset:
                    Offsets.Add(item.Offset);
                    break;
                case SourceItemKind.Gap:
                    Gaps.Add(item.Gap);
                    break;
            }
        }
    }

    public double[] Timestamps(int stream) => [.. Chunks.Where(c => c.Stream == stream).SelectMany(c => c.Times)];

    public double[] Values(int stream) => [.. Chunks.Where(c => c.Stream == stream).SelectMany(c => c.Values)];
}
