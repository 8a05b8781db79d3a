using AcqService.Core.Model;
using AcqService.Core.Pipeline;

namespace AcqService.Core.Tests;

public sealed class EdgeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static EdgeFactory Factory(int capacity) => new(new PipelineOptions
    {
        DataEdge = new EdgePolicy(capacity, EdgeMode.Wait),
        DisplayEdge = new EdgePolicy(capacity, EdgeMode.DropOldest),
        RecorderEdge = new EdgePolicy(capacity, EdgeMode.FailWhenFull),
    });

    [Fact]
    public async Task WriteAsync_DropOldestEdgeFull_CountsEveryDropAndReleasesDroppedChunks()
    {
        var pool = new ChunkPool(0, 1, 4);
        EdgeFactory factory = Factory(2);
        Edge<SampleChunk> edge = factory.Display<SampleChunk>("alpha→status", chunk => chunk.Release());
        SampleChunk[] chunks = [.. Enumerable.Range(0, 5).Select(_ => pool.Rent())];

        foreach (SampleChunk chunk in chunks)
        {
            await edge.WriteAsync(chunk, CancellationToken.None);
        }

        Assert.Equal(3, edge.Dropped);
        Assert.Equal(5, edge.Written);
        Assert.Equal(2, edge.Queued);
        Assert.Equal(3, factory.Edges.Single().Dropped);
        // The three oldest went back to the pool: renting three more allocates nothing and reuses exactly them.
        SampleChunk[] reused = [pool.Rent(), pool.Rent(), pool.Rent()];
        Assert.Equal(5, pool.Allocated);
        Assert.All(reused, r => Assert.Contains(chunks.Take(3), c => ReferenceEquals(c, r)));
        Assert.True(edge.Reader.TryRead(out SampleChunk? first) && ReferenceEquals(first, chunks[3]));
        Assert.True(edge.Reader.TryRead(out SampleChunk? second) && ReferenceEquals(second, chunks[4]));
    }

    [Fact]
    public async Task WriteAsync_WaitEdgeFull_ProducerWaitsUntilConsumerReads()
    {
        Edge<int> edge = Factory(2).Data<int>("aligner→erp");
        await edge.WriteAsync(1, CancellationToken.None);
        await edge.WriteAsync(2, CancellationToken.None);

        Task third = edge.WriteAsync(3, CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(third.IsCompleted);
        Assert.Equal(2, edge.Written);

        Assert.True(edge.Reader.TryRead(out int item));
        Assert.Equal(1, item);
        await third.WaitAsync(Timeout);
        Assert.Equal(3, edge.Written);
        Assert.Equal(0, edge.Dropped);
        Assert.Equal(2, edge.Queued);
    }

    [Fact]
    public async Task WriteAsync_FailWhenFullEdgeFull_ThrowsOverflowNamingTheEdge()
    {
        Edge<int> edge = Factory(2).Recorder<int>("aligner→recorder");
        await edge.WriteAsync(1, CancellationToken.None);
        await edge.WriteAsync(2, CancellationToken.None);

        var ex = Assert.Throws<EdgeOverflowException>(() => edge.WriteAsync(3, CancellationToken.None));

        Assert.Equal("aligner→recorder", ex.Edge);
        Assert.Contains("'aligner→recorder' is full (2 items)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, edge.Written);
        Assert.Equal(2, edge.Queued);
    }

    [Fact]
    public async Task RunAsync_InputFaulted_OutputsCompleteWithTheInputError()
    {
        EdgeFactory factory = Factory(16);
        Edge<int> input = factory.Data<int>("in");
        Edge<int> a = factory.Data<int>("out-a"), b = factory.Data<int>("out-b");
        Task stage = StageRunner.RunAsync(input, (in int x, List<int> output) => output.Add(x * 10), [a, b], CancellationToken.None);
        await input.WriteAsync(1, CancellationToken.None);
        await input.WriteAsync(2, CancellationToken.None);
        var error = new InvalidOperationException("device lost");

        input.Complete(error);

        Assert.Same(error, await Assert.ThrowsAsync<InvalidOperationException>(() => stage.WaitAsync(Timeout)));
        foreach (Edge<int> output in new[] { a, b })
        {
            Assert.True(output.Reader.TryRead(out int first) && first == 10);
            Assert.True(output.Reader.TryRead(out int second) && second == 20);
            Assert.Same(error, await Assert.ThrowsAsync<InvalidOperationException>(() => output.Completion.WaitAsync(Timeout)));
        }
    }

    [Fact]
    public async Task RunAsync_StepThrows_OutputsCompleteWithTheStepError()
    {
        EdgeFactory factory = Factory(16);
        Edge<int> input = factory.Data<int>("in");
        Edge<int> output = factory.Data<int>("out");
        Task stage = StageRunner.RunAsync(input, (in int x, List<int> o) =>
        {
            if (x == 3)
            {
                throw new ArgumentException("bad item 3");
            }
            o.Add(x);
        }, [output], CancellationToken.None);

        for (int i = 1; i <= 5; i++)
        {
            await input.WriteAsync(i, CancellationToken.None);
        }

        ArgumentException thrown = await Assert.ThrowsAsync<ArgumentException>(() => stage.WaitAsync(Timeout));
        Assert.Equal("bad item 3", thrown.Message);
        Assert.Equal([1, 2], [.. output.Reader.ReadAllAsync().ToBlockingEnumerable().Take(2)]);
        Assert.Same(thrown, await Assert.ThrowsAsync<ArgumentException>(() => output.Completion.WaitAsync(Timeout)));
    }
}
