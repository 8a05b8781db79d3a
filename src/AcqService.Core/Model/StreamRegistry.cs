namespace AcqService.Core.Model;

/// <summary>
/// The streams of one session, each with a dense index. Streams are registered before the pipeline
/// starts (sources declare them up front), so readers on the hot path never see the list change.
/// </summary>
public sealed class StreamRegistry
{
    private readonly List<StreamDescriptor> _streams = [];

    /// <summary>Registered streams in index order.</summary>
    public IReadOnlyList<StreamDescriptor> Streams => _streams;

    /// <summary>Number of registered streams.</summary>
    public int Count => _streams.Count;

    /// <summary>The stream with the given dense index.</summary>
    public StreamDescriptor this[int index] => _streams[index];

    /// <summary>Registers a stream and assigns its <see cref="StreamDescriptor.Index"/>.</summary>
    /// <exception cref="ArgumentException">A stream with the same key is already registered.</exception>
    public StreamDescriptor Add(StreamDescriptor stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (_streams.Any(s => string.Equals(s.Key, stream.Key, StringComparison.Ordinal)))
        {
            throw new ArgumentException($"a stream with key '{stream.Key}' is already registered", nameof(stream));
        }
        if (stream.Index >= 0)
        {
            throw new ArgumentException($"stream '{stream.Key}' is already registered in another session", nameof(stream));
        }
        stream.Index = _streams.Count;
        _streams.Add(stream);
        return stream;
    }

    /// <summary>Finds a stream by key, or null.</summary>
    public StreamDescriptor? Find(string key) => _streams.FirstOrDefault(s => string.Equals(s.Key, key, StringComparison.Ordinal));
}
