using AcqService.Core.Model;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AcqService.Lsl.Config;

namespace AcqService.Lsl.Managed;

/// <summary>
/// A managed LSL outlet: timestamps and encodes pushed samples and hands them to every connected consumer's
/// drop-oldest queue, or with pushthrough writes them to an idle consumer's socket directly (one non-blocking send).
/// Pushes never block on the network and take no lock. The network sides are their own classes:
/// <see cref="StreamFeedServer"/> (TCP data port), <see cref="OutletDiscoveryResponder"/> (UDP discovery and time
/// probes) and <see cref="ConsumerRegistry"/> (who is connected).
/// </summary>
internal sealed class ManagedOutlet : ILslOutlet
{
    private readonly ManagedLslBackend _backend;
    private readonly LslConfig _config;
    private readonly int _channels;
    private readonly ChannelFormat _format;
    private readonly double _srate;
    private readonly double _srateRecip;
    private readonly int _chunkSize;
    private readonly int _maxBufferedSamples;
    private readonly StreamFeedServer _server;
    private readonly OutletDiscoveryResponder _discovery;
    private readonly CancellationTokenSource _cts = new();
    private readonly ConcurrentDictionary<Task, byte> _tasks = new();
    private readonly ConsumerRegistry _consumers = new();
    private double _lastTimestamp;
    private int _disposed;

    public ManagedOutlet(ManagedLslBackend backend, LslStreamInfo info, int chunkSize, int maxBufferedSeconds)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (info.Name.Length == 0)
        {
            throw new ArgumentException("stream name must not be empty", nameof(info));
        }
        if (info.ChannelCount < 1 || info.ChannelCount > LslLimits.MaxChannelCount)
        {
            throw new ArgumentException($"channel count {info.ChannelCount} is outside 1..{LslLimits.MaxChannelCount}", nameof(info));
        }
        if (info.ChannelFormat == ChannelFormat.Undefined || !Enum.IsDefined(info.ChannelFormat))
        {
            throw new ArgumentException("channel format is undefined", nameof(info));
        }
        if (info.NominalSrate < 0 || !double.IsFinite(info.NominalSrate))
        {
            throw new ArgumentException("nominal rate must be finite and >= 0", nameof(info));
        }
        _backend = backend;
        _config = backend.Config;
        _channels = info.ChannelCount;
        _format = info.ChannelFormat;
        _srate = info.NominalSrate;
        _srateRecip = _srate > 0 ? 1.0 / _srate : 0;
        _chunkSize = Math.Max(0, chunkSize);
        double seconds = Math.Max(1, maxBufferedSeconds);
        _maxBufferedSamples = (int)Math.Clamp(_srate > 0 ? seconds * _srate : seconds * 100, 1, 1 << 24);

        Socket listener = PortBinder.BindTcpListener(_config);
        Socket service;
        try
        {
            service = PortBinder.BindUdp(_config);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        StreamFeedServer.ConfigureDataSocketBuffers(listener, _config);

        LslStreamInfo published = info.Clone();
        published.Uid = Guid.NewGuid().ToString("D");
        published.CreatedAt = backend.LocalClock();
        published.SessionId = _config.SessionId;
        published.Hostname = backend.Hostname;
        published.ProtocolVersion = 110;
        published.V4Address = "";
        published.V4DataPort = ((IPEndPoint)listener.LocalEndPoint!).Port;
        published.V4ServicePort = ((IPEndPoint)service.LocalEndPoint!).Port;
        published.V6Address = "";
        published.V6DataPort = 0;
        published.V6ServicePort = 0;
        Info = published;
        string fullXml = published.ToXml(includeDesc: true);
        string shortInfo = published.ToXml(includeDesc: false);
        var matcher = new QueryMatcher(fullXml, _config.MaxCachedQueries);

        _discovery = new OutletDiscoveryResponder(backend, published.Name, matcher, shortInfo, service);
        _server = new StreamFeedServer(backend, published, _chunkSize, _maxBufferedSamples, listener, Encoding.UTF8.GetBytes(fullXml), shortInfo, matcher, _consumers, Track);
        _server.Start(_cts.Token);
        _discovery.Start(Track, _cts.Token);
    }

    /// <inheritdoc />
    public LslStreamInfo Info { get; }

    /// <inheritdoc />
    public bool HaveConsumers => _consumers.Count > 0;

    /// <inheritdoc />
    public bool WaitForConsumers(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!HaveConsumers)
        {
            if (Environment.TickCount64 >= deadline || _disposed != 0)
            {
                return HaveConsumers;
            }
            Thread.Sleep(5);
        }
        return true;
    }

    /// <summary>Checks the chunk's shape; with no consumer only the timestamp state advances (nothing is encoded).</summary>
    private bool NothingToSend(int values, ReadOnlySpan<double> timestamps)
    {
        CheckShape(values, timestamps.Length);
        if (_consumers.Count == 0)
        {
            AdvanceWithoutConsumers(timestamps);
            return true;
        }
        return false;
    }

    /// <inheritdoc />
    public void PushChunk(ReadOnlySpan<double> data, ReadOnlySpan<double> timestamps, bool pushthrough = true)
    {
        if (!NothingToSend(data.Length, timestamps))
        {
            Enqueue(ValueEncoder.Encode(_format, _channels, data, out int[] offsets), offsets, timestamps, pushthrough);
        }
    }

    /// <inheritdoc />
    public void PushChunk(ReadOnlySpan<float> data, ReadOnlySpan<double> timestamps, bool pushthrough = true)
    {
        if (!NothingToSend(data.Length, timestamps))
        {
            Enqueue(ValueEncoder.Encode(_format, _channels, data, out int[] offsets), offsets, timestamps, pushthrough);
        }
    }

    /// <inheritdoc />
    public void PushChunk(ReadOnlySpan<long> data, ReadOnlySpan<double> timestamps, bool pushthrough = true)
    {
        if (!NothingToSend(data.Length, timestamps))
        {
            Enqueue(ValueEncoder.Encode(_format, _channels, data, out int[] offsets), offsets, timestamps, pushthrough);
        }
    }

    /// <inheritdoc />
    public void PushChunk(ReadOnlySpan<string> data, ReadOnlySpan<double> timestamps, bool pushthrough = true)
    {
        if (_format != ChannelFormat.String)
        {
            throw new InvalidOperationException($"string samples cannot be pushed into a {_format.ToName()} stream");
        }
        CheckShape(data.Length, timestamps.Length);
        if (_consumers.Count == 0)
        {
            AdvanceWithoutConsumers(timestamps);
            return;
        }
        byte[] bytes = ValueEncoder.EncodeStrings(_channels, data, out int[] offsets);
        Enqueue(bytes, offsets, timestamps, pushthrough);
    }

    private void CheckShape(int values, int frames)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (values != frames * _channels)
        {
            throw new ArgumentException($"data holds {values} values but {frames} timestamps × {_channels} channels need {frames * _channels}");
        }
    }

    /// <summary>
    /// Resolves a pushed timestamp: 0 (or ForceDefaultTimestamps) means now, back-dated by 1/srate per sample that
    /// follows it in the chunk so a chunk pushed "now" keeps its spacing; -1 (LSL_DEDUCED_TIMESTAMP) means previous + 1/srate.
    /// </summary>
    private double Resolve(double timestamp, int index, int count, ref double now)
    {
        if (_config.ForceDefaultTimestamps || timestamp == 0)
        {
            if (now == 0)
            {
                now = _backend.LocalClock();
            }
            timestamp = now - (count - 1 - index) * _srateRecip;
        }
        else if (timestamp == -1.0)
        {
            timestamp = _lastTimestamp == 0 ? _backend.LocalClock() : _lastTimestamp + _srateRecip;
        }
        _lastTimestamp = timestamp;
        return timestamp;
    }

    private void AdvanceWithoutConsumers(ReadOnlySpan<double> timestamps)
    {
        // No history is kept (like liblsl), but -1 timestamps must keep counting from the last real one.
        double now = 0;
        for (int i = 0; i < timestamps.Length; i++)
        {
            Resolve(timestamps[i], i, timestamps.Length, ref now);
        }
    }

    private void Enqueue(byte[] bytes, int[] offsets, ReadOnlySpan<double> timestamps, bool pushthrough)
    {
        int count = timestamps.Length;
        var samples = new OutSample[count];
        double now = 0;
        for (int i = 0; i < count; i++)
        {
            double timestamp = Resolve(timestamps[i], i, count, ref now);
            samples[i] = new OutSample(timestamp, pushthrough && i == count - 1, bytes.AsMemory(offsets[i], offsets[i + 1] - offsets[i]));
        }
        foreach (OutletConsumer consumer in _consumers.Current)
        {
            // Pushthrough: an idle consumer gets the samples written by this thread right away (one non-blocking send)
            // instead of waking its send loop; a busy one, or a push that asks for buffering, goes through the queue.
            if (pushthrough && consumer.TrySendNow(samples))
            {
                continue;
            }
            var writer = consumer.Queue.Writer;
            foreach (OutSample sample in samples)
            {
                writer.TryWrite(sample);
            }
        }
    }

    private void Track(Task task)
    {
        _tasks[task] = 0;
        task.ContinueWith(t => _tasks.TryRemove(t, out _), TaskScheduler.Default);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _cts.Cancel();
        _server.Dispose();
        _discovery.Dispose();
        bool finished;
        try
        {
            finished = Task.WaitAll(_tasks.Keys.ToArray(), LslLimits.DisposeTimeout);
        }
        catch (AggregateException)
        {
            // Loops end through cancellation; their exceptions are not interesting at teardown.
            finished = true;
        }
        _consumers.Clear();
        if (finished)
        {
            _cts.Dispose();
        }
        else
        {
            _backend.Report($"outlet '{Info.Name}': background loops did not finish within {LslLimits.DisposeTimeout.TotalSeconds} s");
        }
    }
}
