using AcqService.Core.Model;
using AcqService.Core.Pipeline;

namespace AcqService.Sources.Tests.Contract;

/// <summary>One source under test, with what the test knows about the device behind it.</summary>
public sealed class ContractSubject : IDisposable
{
    /// <summary>The source; its streams are registered by the test.</summary>
    public required ISource Source { get; init; }

    /// <summary>The device's raw timestamps per stream key (in order), or null when the test cannot know them.</summary>
    public IReadOnlyDictionary<string, double[]>? RawTimestamps { get; init; }

    /// <summary>Started once <see cref="ISource.RunAsync"/> is running (e.g. an outlet begins pushing).</summary>
    public Func<Task>? Start { get; init; }

    /// <summary>Disposed with the subject (outlets, backends).</summary>
    public List<IDisposable> Owned { get; } = [];

    /// <inheritdoc />
    public void Dispose()
    {
        (Source as IDisposable)?.Dispose();
        foreach (IDisposable owned in Enumerable.Reverse(Owned))
        {
            owned.Dispose();
        }
    }
}

/// <summary>
/// What every <see cref="ISource"/> must do, as one set of facts run against each source (the pattern of
/// dotnet/runtime's channel test bases: abstract factories, shared facts). A source: returns from
/// <see cref="ISource.RunAsync"/> when it is done (finite sources) without ending its streams itself (the session
/// writes <see cref="SourceItemKind.StreamEnded"/>); returns within <see cref="CancelBound"/> of a stop, throwing at
/// most <see cref="OperationCanceledException"/>; lets a failure escape from RunAsync; writes only its declared
/// streams with their declared channel counts; writes the device's raw timestamps (no correction); and reports a
/// gap as a <see cref="StreamGap"/> item where it can have one.
/// </summary>
public abstract class SourceContractTests
{
    /// <summary>How soon a cancelled source must return.</summary>
    protected static readonly TimeSpan CancelBound = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan s_finishBound = TimeSpan.FromSeconds(30);

    /// <summary>A source that ends by itself (finite data), or one that runs until stopped when the source never ends.</summary>
    protected abstract Task<ContractSubject> CreateAsync();

    /// <summary>A source that keeps producing until it is cancelled.</summary>
    protected abstract Task<ContractSubject> CreateEndlessAsync();

    /// <summary>A source whose device has a gap the source can see, or null (then <see cref="NoGapReason"/> says why).</summary>
    protected virtual Task<ContractSubject?> CreateWithGapAsync() => Task.FromResult<ContractSubject?>(null);

    /// <summary>Why this source cannot be given a gap in a unit test.</summary>
    protected virtual string NoGapReason => "this source has no way to produce a gap";

    /// <summary>Null when the source ends by itself; otherwise why it does not (it is then stopped once its data arrived).</summary>
    protected virtual string? EndlessReason => null;

    [SkippableFact]
    public async Task RunAsync_FiniteSource_ReturnsWhenDoneWithoutEndingItsStreams()
    {
        Skip.If(EndlessReason is not null, EndlessReason);
        using ContractSubject subject = await CreateAsync();
        Run run = Run.Start(subject);

        Task finished = await Task.WhenAny(run.Source, Task.Delay(s_finishBound));

        Assert.Same(run.Source, finished);
        await run.Source;
        List<SourceItem> items = await run.StopReadingAsync();
        Assert.NotEmpty(items);
        Assert.DoesNotContain(items, i => i.Kind == SourceItemKind.StreamEnded);
        AssertDeclared(subject, items);
    }

    [Fact]
    public async Task RunAsync_Cancelled_ReturnsWithinBoundThrowingNothingButCancellation()
    {
        using ContractSubject subject = await CreateEndlessAsync();
        using var stop = new CancellationTokenSource();
        Run run = Run.Start(subject, stop.Token);
        await run.WaitForItemsAsync(1, TimeSpan.FromSeconds(5));
        await Task.Delay(100);

        long start = Environment.TickCount64;
        stop.Cancel();
        Task finished = await Task.WhenAny(run.Source, Task.Delay(CancelBound));
        long elapsed = Environment.TickCount64 - start;

        Assert.True(ReferenceEquals(run.Source, finished), $"RunAsync still running {elapsed} ms after the stop");
        Exception? error = run.Source.Exception?.InnerException;
        Assert.True(error is null or OperationCanceledException, $"cancellation surfaced as {error}");
        await run.StopReadingAsync();
    }

    [Fact]
    public async Task RunAsync_OutputFails_TheFailureEscapesFromRunAsync()
    {
        using ContractSubject subject = await CreateEndlessAsync();
        var registry = new StreamRegistry();
        foreach (StreamDescriptor s in subject.Source.Streams)
        {
            registry.Add(s);
        }
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Data<SourceItem>("contract", singleWriter: false);
        // The downstream stage died: every write now fails, and the source must not swallow that.
        edge.Complete(new IOException("downstream failed"));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        Task running = subject.Source.RunAsync(edge, stop.Token);
        if (subject.Start is not null)
        {
            await subject.Start();
        }
        Exception error = await Assert.ThrowsAnyAsync<Exception>(() => running.WaitAsync(TimeSpan.FromSeconds(15)));

        Assert.IsNotType<TimeoutException>(error);
        Assert.False(error is OperationCanceledException, $"the failure became a cancellation: {error}");
        Assert.False(stop.IsCancellationRequested, "RunAsync only returned because the test stopped it");
    }

    [SkippableFact]
    public async Task RunAsync_Timestamps_AreTheDevicesRawTimestamps()
    {
        using ContractSubject subject = await CreateAsync();
        Skip.If(subject.RawTimestamps is null, "the test cannot know this device's raw timestamps");
        int expected = subject.RawTimestamps!.Values.Sum(t => t.Length);
        using var stop = new CancellationTokenSource();
        Run run = Run.Start(subject, stop.Token);

        await run.WaitForItemsAsync(expected, s_finishBound, countTimestamps: true);
        if (EndlessReason is not null)
        {
            stop.Cancel();
        }
        await Task.WhenAny(run.Source, Task.Delay(s_finishBound));
        List<SourceItem> items = await run.StopReadingAsync();

        AssertDeclared(subject, items);
        foreach (StreamDescriptor stream in subject.Source.Streams)
        {
            double[] written = [.. Timestamps(items, stream.Index)];
            Assert.Equal(subject.RawTimestamps[stream.Key], written);
        }
    }

    [SkippableFact]
    public async Task RunAsync_DeviceGap_IsReportedAsStreamGapItem()
    {
        ContractSubject? created = await CreateWithGapAsync();
        Skip.If(created is null, NoGapReason);
        using ContractSubject subject = created!;
        using var stop = new CancellationTokenSource();
        Run run = Run.Start(subject, stop.Token);

        bool seen = await run.WaitUntilAsync(items => items.Any(i => i.Kind == SourceItemKind.Gap), s_finishBound);
        stop.Cancel();
        await Task.WhenAny(run.Source, Task.Delay(s_finishBound));
        List<SourceItem> items = await run.StopReadingAsync();

        Assert.True(seen, "no StreamGap item");
        StreamGap gap = items.First(i => i.Kind == SourceItemKind.Gap).Gap;
        Assert.Contains(subject.Source.Streams, s => s.Index == gap.Stream);
        Assert.False(string.IsNullOrWhiteSpace(gap.Reason));
    }

    private static IEnumerable<double> Timestamps(List<SourceItem> items, int stream)
    {
        foreach (SourceItem item in items)
        {
            if (item.Kind == SourceItemKind.Samples && item.Stream == stream)
            {
                foreach (double t in item.Chunk!.Timestamps.AsSpan(0, item.Chunk.Count).ToArray())
                {
                    yield return t;
                }
            }
            else if (item.Kind == SourceItemKind.Marker && item.Marker.Stream == stream)
            {
                yield return item.Marker.Timestamp;
            }
        }
    }

    private static void AssertDeclared(ContractSubject subject, List<SourceItem> items)
    {
        Dictionary<int, StreamDescriptor> declared = subject.Source.Streams.ToDictionary(s => s.Index);
        foreach (SourceItem item in items)
        {
            Assert.True(declared.ContainsKey(item.Stream), $"{item.Kind} for undeclared stream {item.Stream} (declared: {string.Join(", ", declared.Select(d => $"{d.Key}={d.Value.Key}"))}; offset stream {item.Offset.Stream}, time {item.Offset.CollectionTime})");
            if (item.Kind == SourceItemKind.Samples)
            {
                Assert.Equal(StreamKind.Signal, declared[item.Stream].Kind);
                Assert.Equal(declared[item.Stream].ChannelCount, item.Chunk!.ChannelCount);
            }
            else if (item.Kind == SourceItemKind.Marker)
            {
                Assert.Equal(StreamKind.Markers, declared[item.Stream].Kind);
            }
        }
    }

    /// <summary>A running source and a reader that copies what it writes (chunks are copied, then released).</summary>
    private sealed class Run
    {
        private readonly List<SourceItem> _items = [];
        private readonly Edge<SourceItem> _edge;
        private readonly Task _reader;
        private int _timestamps;

        private Run(Edge<SourceItem> edge, Task source)
        {
            _edge = edge;
            Source = source;
            _reader = Task.Run(ReadAsync);
        }

        public Task Source { get; }

        public static Run Start(ContractSubject subject, CancellationToken cancellationToken = default)
        {
            var registry = new StreamRegistry();
            foreach (StreamDescriptor s in subject.Source.Streams)
            {
                registry.Add(s);
            }
            Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Data<SourceItem>("contract", singleWriter: false);
            var run = new Run(edge, subject.Source.RunAsync(edge, cancellationToken));
            if (subject.Start is not null)
            {
                _ = subject.Start();
            }
            return run;
        }

        public Task WaitForItemsAsync(int count, TimeSpan timeout, bool countTimestamps = false) =>
            WaitUntilAsync(_ => (countTimestamps ? Volatile.Read(ref _timestamps) : _items.Count) >= count, timeout);

        public async Task<bool> WaitUntilAsync(Func<List<SourceItem>, bool> condition, TimeSpan timeout)
        {
            long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            while (true)
            {
                lock (_items)
                {
                    if (condition(_items))
                    {
                        return true;
                    }
                }
                if (Environment.TickCount64 > deadline || (Source.IsCompleted && _edge.Reader.Count == 0))
                {
                    lock (_items)
                    {
                        return condition(_items);
                    }
                }
                await Task.Delay(20);
            }
        }

        public async Task<List<SourceItem>> StopReadingAsync()
        {
            try
            {
                await Source.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception)
            {
                // The fact under test has judged the source's outcome already.
            }
            _edge.Complete();
            await _reader;
            lock (_items)
            {
                return [.. _items];
            }
        }

        private async Task ReadAsync()
        {
            await foreach (SourceItem item in _edge.Reader.ReadAllAsync())
            {
                SourceItem kept = item;
                if (item.Kind == SourceItemKind.Samples)
                {
                    SampleChunk chunk = item.Chunk!;
                    var copy = new SampleChunk(chunk.Stream, chunk.ChannelCount, Math.Max(1, chunk.Count)) { Count = chunk.Count };
                    chunk.Timestamps.AsSpan(0, chunk.Count).CopyTo(copy.Timestamps);
                    chunk.Data.AsSpan(0, chunk.Count * chunk.ChannelCount).CopyTo(copy.Data);
                    Interlocked.Add(ref _timestamps, chunk.Count);
                    chunk.Release();
                    kept = SourceItem.ForSamples(copy);
                }
                else if (item.Kind == SourceItemKind.Marker)
                {
                    Interlocked.Increment(ref _timestamps);
                }
                lock (_items)
                {
                    _items.Add(kept);
                }
            }
        }
    }
}
