using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Simulation;

namespace AcqService.Sources.Tests.Nirs;

/// <summary>An fNIRS stream like the profile's, and a way to run a rig's sources straight into an edge.</summary>
internal static class NirsTestKit
{
    public static readonly string[] Labels16 = [.. Enumerable.Range(1, 8).SelectMany(i => new[] { $"S{i}-D{i} 760", $"S{i}-D{i} 850" })];

    public static StreamDescriptor Nirs() =>
        new("nirs", StreamKind.Signal, "SimNIRS", "NIRS", [.. Labels16.Select(l => new ChannelDescriptor(l, "V", "NIRS"))], 10, ChannelFormat.Float32, "sim-nirs");

    /// <summary>A small EEG stream keeps fast runs quick; the fNIRS device does not depend on it.</summary>
    public static StreamDescriptor SmallEeg() => TestRig.Eeg(250, ["Fz", "Cz", "Pz", "Oz"]);

    public static string RepoRoot
    {
        get
        {
            string? dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "AcqService.sln")))
            {
                dir = Path.GetDirectoryName(dir);
            }
            return dir ?? throw new InvalidOperationException("repository root (AcqService.sln) not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>One item as it left the sources: kind, stream, timestamps and (copied) values.</summary>
    public sealed record Item(SourceItemKind Kind, int Stream, double[] Times, double[] Values, string? Label);

    /// <summary>Registers the rig's streams, runs every source into one shared edge (as the session does) and returns the items in order.</summary>
    public static async Task<List<Item>> DriveAsync(SimulationRig rig)
    {
        var registry = new StreamRegistry();
        foreach (ISource source in rig.Sources)
        {
            foreach (StreamDescriptor stream in source.Streams)
            {
                registry.Add(stream);
            }
        }
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Data<SourceItem>("sources→test", singleWriter: false);
        var items = new List<Item>();
        Task reader = Task.Run(async () =>
        {
            await foreach (SourceItem item in edge.Reader.ReadAllAsync())
            {
                switch (item.Kind)
                {
                    case SourceItemKind.Samples:
                        SampleChunk chunk = item.Chunk!;
                        items.Add(new Item(item.Kind, item.Stream, chunk.Times.ToArray(), chunk.Values.ToArray(), null));
                        chunk.Release();
                        break;
                    case SourceItemKind.Marker:
                        items.Add(new Item(item.Kind, item.Stream, [item.Marker.Timestamp], [], item.Marker.Label));
                        break;
                    case SourceItemKind.ClockOffset:
                        items.Add(new Item(item.Kind, item.Stream, [item.Offset.CollectionTime], [item.Offset.Offset], null));
                        break;
                    default:
                        items.Add(new Item(item.Kind, item.Stream, [], [], null));
                        break;
                }
            }
        });
        await Task.WhenAll(rig.Sources.Select(s => s.RunAsync(edge, CancellationToken.None)));
        edge.Complete();
        await reader;
        return items;
    }
}
