using System.Xml;
using System.Xml.Linq;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Lsl;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AcqService.Sources.Lsl;

/// <summary>
/// Publishes any <see cref="ISource"/>s as real LSL outlets: the sources run into an in-memory edge exactly as they
/// would into a session, and their items are pushed to one outlet per stream — signal chunks as numeric chunks in
/// the stream's own format, markers as string samples (the label). Clock offsets are not pushed (LSL receivers
/// measure the real offset themselves) and gaps have nothing to push (the receiver sees the timestamp jump).
/// </summary>
/// <remarks>
/// Outlets are created by the constructor (discoverable from then on) and closed by <see cref="Dispose"/>, so a
/// receiver stays connected across several <see cref="RunAsync"/> passes (a looping replay). Each outlet carries the
/// descriptor's name, type, channel count, nominal rate, format and source_id, and <c>desc/channels/channel</c> with
/// label, unit and type (plus any other <c>desc</c> content the stream already had, e.g. from a recording).
/// </remarks>
public sealed partial class SourceLslPublisher : IDisposable
{
    private readonly ILslBackend _backend;
    private readonly IReadOnlyList<ISource> _sources;
    private readonly SourceLslPublisherOptions _options;
    private readonly ILogger _logger;
    private readonly Published[] _published;
    private readonly Published?[] _byIndex;
    /// <summary>Smallest step between passes (one period of the fastest stream), so restamped passes never touch.</summary>
    private readonly double _step;
    private double _offset;
    private double _previousSpanEnd = double.NegativeInfinity;
    private int _passes;
    private int _running;
    private int _disposed;

    /// <summary>Creates one outlet per stream of <paramref name="sources"/> (discoverable from now on).</summary>
    /// <param name="backend">LSL backend.</param>
    /// <param name="sources">
    /// The sources. Their streams are registered here when none of them is registered yet (otherwise all must be,
    /// with distinct indices). A source must support being run again for a second <see cref="RunAsync"/> pass.
    /// </param>
    /// <param name="options">Timestamps, buffers, consumer wait, extra description.</param>
    /// <param name="logger">Logger.</param>
    /// <exception cref="ArgumentException">No streams, mixed registration, or a signal stream with string values.</exception>
    public SourceLslPublisher(ILslBackend backend, IReadOnlyList<ISource> sources, SourceLslPublisherOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(sources);
        _backend = backend;
        _sources = sources;
        _options = options ?? new SourceLslPublisherOptions();
        _logger = logger ?? NullLogger.Instance;
        if (_options.MaxBufferedSeconds < 1)
        {
            throw new ArgumentException($"MaxBufferedSeconds must be ≥ 1 (was {_options.MaxBufferedSeconds})", nameof(options));
        }
        StreamDescriptor[] streams = [.. sources.SelectMany(s => s.Streams)];
        if (streams.Length == 0)
        {
            throw new ArgumentException("the sources declare no streams", nameof(sources));
        }
        if (streams.All(s => s.Index < 0))
        {
            var registry = new StreamRegistry();
            foreach (StreamDescriptor stream in streams)
            {
                registry.Add(stream);
            }
        }
        else if (streams.Any(s => s.Index < 0) || streams.Select(s => s.Index).Distinct().Count() != streams.Length)
        {
            throw new ArgumentException("either none or all of the sources' streams must be registered, with distinct indices", nameof(sources));
        }
        foreach (StreamDescriptor stream in streams.Where(s => s.Kind == StreamKind.Signal && s.Format == ChannelFormat.String))
        {
            throw new ArgumentException($"signal stream '{stream.Key}' has string values; LSL signal outlets are numeric", nameof(sources));
        }
        double fastest = streams.Where(s => s.Kind == StreamKind.Signal).Select(s => s.NominalRateHz).DefaultIfEmpty(0).Max();
        _step = fastest > 0 ? 1 / fastest : 0.001;
        _byIndex = new Published?[streams.Max(s => s.Index) + 1];
        var published = new List<Published>(streams.Length);
        try
        {
            foreach (StreamDescriptor stream in streams)
            {
                LslStreamInfo info = BuildInfo(stream);
                _options.Describe?.Invoke(stream, info);
                var p = new Published(stream, info) { Outlet = backend.CreateOutlet(info, 0, _options.MaxBufferedSeconds) };
                published.Add(p);
                _byIndex[stream.Index] = p;
                LogOutlet(_logger, LslDiscoveryHelp.Describe(p.Outlet.Info));
            }
        }
        catch
        {
            foreach (Published p in published)
            {
                p.Outlet?.Dispose();
            }
            throw;
        }
        _published = [.. published];
    }

    /// <summary>The published streams (registered descriptors), in source order.</summary>
    public IReadOnlyList<StreamDescriptor> Streams => [.. _published.Select(p => p.Descriptor)];

    /// <summary>Signal samples pushed so far, all streams (any thread).</summary>
    public long SamplesPushed => _published.Sum(p => Interlocked.Read(ref p.Samples));

    /// <summary>Markers pushed so far, all streams (any thread).</summary>
    public long MarkersPushed => _published.Sum(p => Interlocked.Read(ref p.Markers));

    /// <summary>Samples not sent because their outlet was down (<see cref="SimulateOutage"/>).</summary>
    public long SamplesDropped => _published.Sum(p => Interlocked.Read(ref p.Dropped));

    /// <summary>Passes started so far (<see cref="RunAsync"/> calls that began pushing).</summary>
    public int Passes => Volatile.Read(ref _passes);

    /// <summary>
    /// Offset added to the sources' timestamps in the current (or last) pass: 0 for original timestamps, otherwise
    /// the common restamp shift. NaN while a pass has not pushed its first item yet.
    /// </summary>
    public double TimestampOffset => Volatile.Read(ref _offset);

    /// <summary>The outlet info of a stream as published (uid, ports, hostname filled in).</summary>
    /// <exception cref="ArgumentException">The stream is not one of this publisher's.</exception>
    public LslStreamInfo OutletInfo(StreamDescriptor stream)
    {
        Published p = Find(stream);
        return (Volatile.Read(ref p.Outlet)?.Info ?? p.Info).Clone();
    }

    /// <summary>Samples (signal) or markers pushed so far for one stream.</summary>
    public long Pushed(StreamDescriptor stream)
    {
        Published p = Find(stream);
        return Interlocked.Read(ref p.Samples) + Interlocked.Read(ref p.Markers);
    }

    /// <summary>
    /// Simulates a device dropping off the network: the stream's outlet is closed at its next item and re-created
    /// with the same source_id (a new uid) once <paramref name="duration"/> of data time has passed; items meanwhile
    /// are dropped. Inlets with recovery reconnect to the new instance.
    /// </summary>
    public void SimulateOutage(StreamDescriptor stream, TimeSpan duration) =>
        Interlocked.Exchange(ref Find(stream).OutageTicks, Math.Max(1, duration.Ticks));

    /// <summary>
    /// Runs every source once and pushes what they produce, until they all finish or
    /// <paramref name="cancellationToken"/> is cancelled (not an error). May be called again for another pass (one at
    /// a time): a later pass is always restamped, to now or — if that would not be later — to just after the previous
    /// pass, so every stream's timestamps keep increasing across passes.
    /// </summary>
    /// <param name="cancellationToken">Stops the pass (not an error).</param>
    /// <param name="consumerTimeout">Overrides <see cref="SourceLslPublisherOptions.ConsumerTimeout"/> for this pass.</param>
    /// <exception cref="TimeoutException">A consumer wait was asked for and an outlet had no consumer in time.</exception>
    /// <exception cref="InvalidOperationException">A pass is already running.</exception>
    public async Task RunAsync(CancellationToken cancellationToken, TimeSpan? consumerTimeout = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            throw new InvalidOperationException("a publisher runs one pass at a time");
        }
        try
        {
            await RunPassAsync(consumerTimeout ?? _options.ConsumerTimeout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private async Task RunPassAsync(TimeSpan? consumerTimeout, CancellationToken cancellationToken)
    {
        if (consumerTimeout is TimeSpan timeout)
        {
            bool ready = await Task.Run(() => _published.All(p => p.Outlet!.WaitForConsumers(timeout)), cancellationToken).ConfigureAwait(false);
            if (!ready)
            {
                throw new TimeoutException($"no consumer connected to every outlet within {timeout.TotalSeconds} s; without one the data would be lost");
            }
        }
        int pass = Interlocked.Increment(ref _passes);
        Volatile.Write(ref _offset, double.NaN);
        foreach (Published p in _published)
        {
            p.First = double.NaN;
            p.Last = double.NaN;
        }
        var edges = new EdgeFactory(new PipelineOptions());
        Edge<SourceItem> edge = edges.Data<SourceItem>("sources→lsl", singleWriter: false, onDropped: item => item.Chunk?.Release());
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task producers = Task.WhenAll(_sources.Select(s => s.RunAsync(edge, stop.Token)));
        // The edge is completed whatever the sources do, carrying their error, so the loop below always ends.
        Task completion = producers.ContinueWith(t => edge.Complete(t.IsFaulted ? t.Exception!.InnerException : null),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var buffer = new PushBuffer();
        try
        {
            while (await edge.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (edge.Reader.TryRead(out SourceItem item))
                {
                    Published? p = (uint)item.Stream < (uint)_byIndex.Length ? _byIndex[item.Stream] : null;
                    switch (item.Kind)
                    {
                        case SourceItemKind.Samples:
                            SampleChunk chunk = item.Chunk!;
                            try
                            {
                                if (p is not null && chunk.Count > 0)
                                {
                                    PushSamples(p, chunk, pass, buffer);
                                }
                            }
                            finally
                            {
                                chunk.Release();
                            }
                            break;
                        case SourceItemKind.Marker when p is not null:
                            PushMarker(p, item.Marker, pass, buffer);
                            break;
                        default:
                            // Clock offsets stay local (LSL receivers measure the real offset); a gap has no data.
                            break;
                    }
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await completion.ConfigureAwait(false);
            // Drain what the producers wrote after the stop so every chunk goes back to its pool.
            while (edge.Reader.TryRead(out SourceItem rest))
            {
                rest.Chunk?.Release();
            }
            EndPass();
        }
        try
        {
            await producers.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped by the caller.
        }
    }

    private void PushSamples(Published p, SampleChunk chunk, int pass, PushBuffer buffer)
    {
        if (!OutletUp(p, chunk.FirstTimestamp))
        {
            Interlocked.Add(ref p.Dropped, chunk.Count);
            return;
        }
        double offset = OffsetFor(chunk.FirstTimestamp, pass);
        ReadOnlySpan<double> times = buffer.Stamp(chunk.Times, offset);
        p.Outlet!.PushChunk(chunk.Values, times);
        p.Track(chunk.FirstTimestamp, chunk.LastTimestamp);
        Interlocked.Add(ref p.Samples, chunk.Count);
    }

    private void PushMarker(Published p, Marker marker, int pass, PushBuffer buffer)
    {
        if (!OutletUp(p, marker.Timestamp))
        {
            Interlocked.Increment(ref p.Dropped);
            return;
        }
        double offset = OffsetFor(marker.Timestamp, pass);
        buffer.Label[0] = marker.Label;
        buffer.One[0] = marker.Timestamp + offset;
        p.Outlet!.PushChunk(buffer.Label, buffer.One);
        p.Track(marker.Timestamp, marker.Timestamp);
        Interlocked.Increment(ref p.Markers);
    }

    /// <summary>The pass's common offset, fixed by its first pushed item.</summary>
    private double OffsetFor(double firstTimestamp, int pass)
    {
        double offset = _offset;
        if (!double.IsNaN(offset))
        {
            return offset;
        }
        double now = _backend.LocalClock();
        if (pass == 1)
        {
            offset = _options.Restamp ? now - firstTimestamp : 0;
        }
        else
        {
            // Restamped to now; but at a speed above 1 (or with original timestamps ahead of this clock) "now" can be
            // earlier than where the previous pass ended, so never start before it.
            offset = Math.Max(now - firstTimestamp, _previousSpanEnd + _step);
        }
        Volatile.Write(ref _offset, offset);
        LogPass(_logger, pass, offset);
        return offset;
    }

    /// <summary>Remembers how far the pass went, as the offset the next pass needs to stay after it.</summary>
    private void EndPass()
    {
        double offset = _offset;
        if (double.IsNaN(offset))
        {
            return;
        }
        // Next pass offset must exceed (last stamped time of any stream) − (earliest raw first time of any stream).
        double lastStamped = double.NegativeInfinity, firstRaw = double.PositiveInfinity;
        foreach (Published p in _published.Where(p => !double.IsNaN(p.First)))
        {
            lastStamped = Math.Max(lastStamped, p.Last + offset);
            firstRaw = Math.Min(firstRaw, p.First);
        }
        if (double.IsFinite(lastStamped))
        {
            _previousSpanEnd = lastStamped - firstRaw;
        }
    }

    /// <summary>Handles a requested outage; false while the outlet is down (the item is dropped).</summary>
    private bool OutletUp(Published p, double dataTime)
    {
        long outage = Interlocked.Exchange(ref p.OutageTicks, 0);
        if (outage > 0)
        {
            Interlocked.Exchange(ref p.Outlet, null)?.Dispose();
            // Measured in data time, so an outage lasts as long in the stream whatever the pace.
            p.OutageEnd = dataTime + TimeSpan.FromTicks(outage).TotalSeconds;
            LogOutage(_logger, p.Info.Name, TimeSpan.FromTicks(outage).TotalSeconds);
        }
        if (p.Outlet is not null)
        {
            return true;
        }
        // Disposed meanwhile: the outlet is gone for good, not re-created.
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (dataTime < p.OutageEnd)
        {
            return false;
        }
        ILslOutlet outlet = _backend.CreateOutlet(p.Info, 0, _options.MaxBufferedSeconds);
        Volatile.Write(ref p.Outlet, outlet);
        LogRestored(_logger, p.Info.Name, outlet.Info.Uid);
        return true;
    }

    private Published Find(StreamDescriptor stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return _published.FirstOrDefault(p => ReferenceEquals(p.Descriptor, stream))
            ?? throw new ArgumentException($"stream '{stream.Key}' is not published here", nameof(stream));
    }

    private static LslStreamInfo BuildInfo(StreamDescriptor stream)
    {
        bool signal = stream.Kind == StreamKind.Signal;
        var info = new LslStreamInfo
        {
            Name = stream.Name,
            Type = stream.Type,
            // A marker is one label: multi-channel marker streams arrive here as their first channel.
            ChannelCount = signal ? stream.ChannelCount : 1,
            NominalSrate = signal ? stream.NominalRateHz : 0,
            ChannelFormat = signal ? stream.Format : ChannelFormat.String,
            SourceId = stream.SourceId,
        };
        // A device's richer per-channel metadata (fNIRS source/detector/wavelength, EEG locations) is passed on when it
        // lists exactly these channels; otherwise channels are rebuilt from the descriptor, as before.
        XElement? own = OriginalDescription(stream).FirstOrDefault(e => e.Name.LocalName == "channels");
        bool keepChannels = signal && own is not null
            && own.Elements("channel").Select(c => c.Element("label")?.Value).SequenceEqual(stream.Channels.Select(c => c.Label))
            && own.Elements("channel").Any(c => c.Elements().Any(e => e.Name.LocalName is not ("label" or "unit" or "type")));
        foreach (XElement element in OriginalDescription(stream).Where(e => keepChannels || e.Name.LocalName != "channels"))
        {
            info.Desc.Add(new XElement(element));
        }
        if (!keepChannels && (signal || stream.ChannelCount == 1))
        {
            info.WithChannels(stream.Channels.Take(info.ChannelCount).Select(c => (c.Label, c.Unit, c.Type)));
        }
        return info;
    }

    /// <summary>The stream's own <c>desc</c> children (a recording's manufacturer, reference…); none when absent or unreadable.</summary>
    private static IEnumerable<XElement> OriginalDescription(StreamDescriptor stream)
    {
        if (string.IsNullOrWhiteSpace(stream.DescriptionXml))
        {
            return [];
        }
        try
        {
            return XElement.Parse(stream.DescriptionXml).Elements();
        }
        catch (XmlException)
        {
            return [];
        }
    }

    /// <summary>Closes every outlet (inlets see the end at once).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        foreach (Published p in _published)
        {
            Interlocked.Exchange(ref p.Outlet, null)?.Dispose();
        }
    }

    /// <summary>One stream's outlet and counters.</summary>
    private sealed class Published(StreamDescriptor descriptor, LslStreamInfo info)
    {
        public StreamDescriptor Descriptor { get; } = descriptor;
        public LslStreamInfo Info { get; } = info;
        public ILslOutlet? Outlet;
        public long Samples;
        public long Markers;
        public long Dropped;
        public long OutageTicks;
        public double OutageEnd = double.NegativeInfinity;
        /// <summary>Raw timestamps of the first and last item pushed in the current pass.</summary>
        public double First = double.NaN;
        public double Last = double.NaN;

        public void Track(double first, double last)
        {
            if (double.IsNaN(First))
            {
                First = first;
            }
            Last = last;
        }
    }

    /// <summary>Scratch arrays of one pass (the push loop is single-threaded).</summary>
    private sealed class PushBuffer
    {
        private double[] _times = new double[64];

        public string[] Label { get; } = new string[1];

        public double[] One { get; } = new double[1];

        public ReadOnlySpan<double> Stamp(ReadOnlySpan<double> raw, double offset)
        {
            if (offset == 0)
            {
                return raw;
            }
            if (_times.Length < raw.Length)
            {
                _times = new double[raw.Length];
            }
            for (int i = 0; i < raw.Length; i++)
            {
                _times[i] = raw[i] + offset;
            }
            return _times.AsSpan(0, raw.Length);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "LSL outlet {Outlet}")]
    private static partial void LogOutlet(ILogger logger, string outlet);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pass {Pass}: timestamps shifted by {Offset} s")]
    private static partial void LogPass(ILogger logger, int pass, double offset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Simulated outage: outlet '{Name}' closed for {Seconds} s")]
    private static partial void LogOutage(ILogger logger, string name, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Simulated outage over: outlet '{Name}' re-created (uid {Uid})")]
    private static partial void LogRestored(ILogger logger, string name, string uid);
}
