using AcqService.Core.Model;
using AcqService.Core.Pipeline;

namespace AcqService.Core.Tests;

/// <summary>A source whose behaviour is a delegate; its streams get their indices when the session registers them.</summary>
internal sealed class ScriptedSource(string name, StreamDescriptor[] streams, Func<ScriptedSource, Edge<SourceItem>, CancellationToken, Task> run) : ISource
{
    public string Name => name;

    public IReadOnlyList<StreamDescriptor> Streams => streams;

    public int Index(int stream) => streams[stream].Index;

    public Task RunAsync(Edge<SourceItem> output, CancellationToken cancellationToken) => run(this, output, cancellationToken);

    /// <summary>Writes the items one by one.</summary>
    public static async Task WriteAllAsync(Edge<SourceItem> output, IEnumerable<SourceItem> items, CancellationToken cancellationToken)
    {
        foreach (SourceItem item in items)
        {
            await output.WriteAsync(item, cancellationToken);
        }
    }
}

/// <summary>A raw sink that fails after consuming some items, like a recorder whose disk fills up.</summary>
internal sealed class FailingSink(int itemsBeforeFailure) : IRawSink
{
    public string Name => "failing recorder";

    public async Task RunAsync(Edge<SourceItem> input, CancellationToken cancellationToken)
    {
        for (int seen = 0; seen < itemsBeforeFailure; seen++)
        {
            SourceItem item = await input.Reader.ReadAsync(cancellationToken);
            item.Chunk?.Release();
        }
        throw new IOException("disk full");
    }
}
