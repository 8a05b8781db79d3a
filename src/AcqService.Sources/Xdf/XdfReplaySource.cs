using System.Diagnostics;
using System.Globalization;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Xdf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AcqService.Sources.Xdf;

/// <summary>
/// Plays an XDF recording into a session: the chosen signal and marker streams' items in FILE order (samples
/// chunks as pooled <see cref="SampleChunk"/>s with their raw timestamps, string samples as
/// <see cref="Marker"/>s, ClockOffset chunks as <see cref="ClockOffset"/>s, and the gaps and marker codes an
/// the XDF recorder (<c>AcqService.Sinks.Xdf.XdfRecorderSink</c>) kept in its events stream), so a session recorded live and replayed gives the
/// aligner the same sequence. Created by <see cref="XdfReplayFactory.Open"/>; one instance per session.
/// </summary>
/// <remarks>
/// A damaged file is read as far as it can be: the reader's diagnostics (truncated last chunk, corrupt chunks
/// skipped) and the content checks' (<see cref="XdfPlausibility"/>: impossible values and timestamps, whose chunk
/// is skipped so they never reach the pipeline) are logged as warnings and kept in <see cref="Diagnostics"/>, with
/// the counts <see cref="DamagedChunks"/>, <see cref="SkippedSamples"/> and <see cref="SkippedBytes"/>. The only
/// difference from the live sequence is that offsets the recorder repeated are delivered again (same value,
/// so the aligner's state does not change).
/// </remarks>
public sealed partial class XdfReplaySource : ISource
{
    /// <summary>How far (seconds) a marker may lie from the replayed signal's timeline before it is taken as damaged.</summary>
    public const double MarkerWindowSeconds = 60;

    private readonly XdfReplayOptions _options;
    private readonly ILogger _logger;
    private readonly IReadOnlyList<ReplayStream> _streams;
    private readonly uint? _eventsId;
    private readonly List<XdfDiagnostic> _diagnostics = [];
    private readonly List<XdfDiagnostic> _contentDiagnostics = [];
    private long _items;
    /// <summary>The stream whose chunk is being filled at fast pace (replay thread only).</summary>
    private Playing? _filling;
    private int _contentChunks;
    private long _contentSamples;
    private int _structuralChunks;
    private long _structuralSamples;
    private long _skippedBytes;

    internal XdfReplaySource(string path, XdfReplayOptions options, string? fileHeaderXml, IReadOnlyList<ReplayStream> streams, uint? eventsId, ILogger? logger)
    {
        Path = path;
        _options = options;
        FileHeaderXml = fileHeaderXml;
        _streams = streams;
        _eventsId = eventsId;
        _logger = logger ?? NullLogger.Instance;
        Streams = [.. streams.Select(s => s.Descriptor)];
        Metadata = RecordingMetadata.FromFileHeader(fileHeaderXml);
    }

    /// <inheritdoc />
    public string Name => "xdf replay";

    /// <summary>The recording.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public IReadOnlyList<StreamDescriptor> Streams { get; }

    /// <summary>The recording's FileHeader XML, if it has one.</summary>
    public string? FileHeaderXml { get; }

    /// <summary>Session metadata from the FileHeader, when AcqService recorded the file.</summary>
    public RecordingMetadata? Metadata { get; }

    /// <summary>Items written to the session so far.</summary>
    public long ItemsEmitted => Interlocked.Read(ref _items);

    /// <summary>
    /// Problems found in the file, in file order, with byte offsets: the reader's structural ones (bad lengths, tags,
    /// stream ids, truncated chunks) and the content checks' (impossible values and timestamps, see
    /// <see cref="XdfPlausibility"/>). Complete once <see cref="RunAsync"/> has returned.
    /// </summary>
    public IReadOnlyList<XdfDiagnostic> Diagnostics => _diagnostics;

    /// <summary>True when anything in the file was damaged (complete once <see cref="RunAsync"/> has returned).</summary>
    public bool IsDamaged => _diagnostics.Count > 0;

    /// <summary>
    /// Chunks not used because they were damaged: skipped by the reader (a region skipped while resynchronising counts
    /// one) plus chunks of the replayed streams refused by the content checks.
    /// </summary>
    public int DamagedChunks => _structuralChunks + Volatile.Read(ref _contentChunks);

    /// <summary>
    /// Samples (signal frames and markers) known to be dropped because of damage. Samples inside regions skipped while
    /// resynchronising cannot be counted; <see cref="SkippedBytes"/> says how much of the file that was.
    /// </summary>
    public long SkippedSamples => _structuralSamples + Interlocked.Read(ref _contentSamples);

    /// <summary>Bytes of the file the reader could not use.</summary>
    public long SkippedBytes => _skippedBytes;

    /// <inheritdoc />
    public Task RunAsync(Edge<SourceItem> output, CancellationToken cancellationToken) =>
        // The reader is synchronous; run it on the pool so the session can start its other sources meanwhile.
        Task.Run(() => ReplayAsync(output, cancellationToken), cancellationToken);

    private async Task ReplayAsync(Edge<SourceItem> output, CancellationToken cancellationToken)
    {
        var byId = new Dictionary<uint, Playing>();
        var byKey = new Dictionary<string, Playing>(StringComparer.Ordinal);
        foreach (ReplayStream stream in _streams)
        {
            StreamDescriptor d = stream.Descriptor;
            if (d.Index < 0)
            {
                throw new InvalidOperationException($"stream '{d.Key}' is not registered in a session");
            }
            int capacity = _options.MaxChunkFrames > 0 ? _options.MaxChunkFrames : Math.Max(32, (int)Math.Ceiling(d.NominalRateHz * 0.1));
            var playing = new Playing(d, d.Kind == StreamKind.Signal ? new SizedChunkPools(d.Index, d.ChannelCount, capacity) : null);
            byId[stream.StreamId] = playing;
            string recordedKey = RecordedKey(d);
            byKey.TryAdd(recordedKey, playing);
        }
        uint? eventsId = _eventsId;
        // Latest accepted signal time (local clock), the timeline marker timestamps are checked against.
        double signalTime = double.NaN;
        var pace = _options.Pace == ReplayPace.Live ? new Pacer(_options.SpeedFactor) : null;
        long samples = 0, markers = 0, offsets = 0, gaps = 0;

        // The replay copies every numeric chunk into pooled chunks before it reads the next one (the one it holds back is
        // copied), so the reader can decode into the same arrays each time.
        using XdfReader reader = XdfReplayFactory.OpenReader(Path, new XdfReaderOptions { ReuseSampleArrays = true });
        try
        {
            while (reader.TryReadChunk(out XdfChunk? chunk))
            {
                cancellationToken.ThrowIfCancellationRequested();
                switch (chunk)
                {
                    case XdfSamplesChunk s when byId.TryGetValue(s.StreamId, out Playing? p):
                        if (p.Pool is not null && s.NumericValues is not null)
                        {
                            foreach (XdfSamplesChunk accepted in Screen(p, s))
                            {
                                if (pace is not null)
                                {
                                    await pace.WaitAsync(accepted.Timestamps[^1] + p.Offset, cancellationToken).ConfigureAwait(false);
                                }
                                await WriteSamplesAsync(output, p, accepted, cancellationToken).ConfigureAwait(false);
                                samples += accepted.SampleCount;
                                signalTime = Math.Max(double.IsNaN(signalTime) ? double.MinValue : signalTime, accepted.Timestamps[^1] + p.Offset);
                            }
                        }
                        else if (p.Pool is null)
                        {
                            for (int i = 0; i < s.SampleCount; i++)
                            {
                                if (!PlausibleMarker(p, s, i, signalTime))
                                {
                                    continue;
                                }
                                if (pace is not null)
                                {
                                    await pace.WaitAsync(s.Timestamps[i] + p.Offset, cancellationToken).ConfigureAwait(false);
                                }
                                await Emit(output, SourceItem.ForMarker(ToMarker(p, s, i)), cancellationToken).ConfigureAwait(false);
                                markers++;
                            }
                        }
                        break;
                    case XdfClockOffsetChunk o when byId.TryGetValue(o.StreamId, out Playing? p):
                        p.Offset = o.OffsetValue;
                        await Emit(output, SourceItem.ForOffset(new ClockOffset(p.Descriptor.Index, o.CollectionTime, o.OffsetValue)), cancellationToken).ConfigureAwait(false);
                        offsets++;
                        break;
                    case XdfSamplesChunk e when e.StreamId == eventsId && e.StringValues is not null:
                        foreach (string text in e.StringValues)
                        {
                            if (!XdfEvents.TryParse(text, out XdfEvents.Entry entry) || !byKey.TryGetValue(entry.Stream, out Playing? target))
                            {
                                continue;
                            }
                            if (entry.Event == "gap" && target.Pool is not null)
                            {
                                await Emit(output, SourceItem.ForGap(entry.Gap with { Stream = target.Descriptor.Index }), cancellationToken).ConfigureAwait(false);
                                gaps++;
                            }
                            else if (entry.Event == "code")
                            {
                                target.Codes[entry.Label] = entry.Code;
                            }
                        }
                        break;
                    case XdfStreamHeaderChunk h when XdfEvents.IsEventsStream(h.Header.Name, h.Header.Type):
                        eventsId = h.StreamId;
                        break;
                }
            }
            foreach (Playing p in byId.Values)
            {
                // A jump nothing contradicted by the end of the file is taken as a real gap.
                if (p.Pending is XdfSamplesChunk last)
                {
                    p.Pending = null;
                    await WriteSamplesAsync(output, p, last, cancellationToken).ConfigureAwait(false);
                    samples += last.SampleCount;
                }
            }
            await FlushFillingAsync(output, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Cancelled or failed with a chunk half filled: it was never handed over.
            if (_filling?.Filling is SampleChunk unsent)
            {
                _filling.Filling = null;
                unsent.Release();
            }
            _filling = null;
            lock (_diagnostics)
            {
                // File order: the reader's structural findings and the content checks, each sorted by offset.
                _diagnostics.AddRange(reader.Diagnostics.Concat(_contentDiagnostics).OrderBy(d => d.Offset));
                _structuralChunks = reader.SkippedChunkCount;
                _structuralSamples = reader.SkippedSampleCount;
                _skippedBytes = reader.SkippedByteCount;
            }
            foreach (XdfDiagnostic diagnostic in _diagnostics.Take(20))
            {
                LogDiagnostic(_logger, Path, diagnostic.ToString());
            }
            if (_diagnostics.Count > 20 || reader.SuppressedDiagnosticCount > 0)
            {
                LogMoreDiagnostics(_logger, Path, _diagnostics.Count - 20 + reader.SuppressedDiagnosticCount);
            }
        }
        LogReplayed(_logger, Path, samples, markers, offsets, gaps);
    }

    /// <summary>
    /// The chunks to emit now for signal chunk <paramref name="s"/>: none when it is damaged or held, otherwise it,
    /// preceded by a held chunk that it confirms.
    /// </summary>
    private List<XdfSamplesChunk> Screen(Playing p, XdfSamplesChunk s)
    {
        var ready = new List<XdfSamplesChunk>(2);
        bool continues = !double.IsNaN(p.Last) && p.Pending is null && s.Timestamps[0] - p.Last <= XdfPlausibility.ForwardJumpSeconds;
        if (XdfPlausibility.CheckValues(s, p.Descriptor, p.Limits, p.SpikeFloors, continues ? p.LastFrame : null) is string valueProblem)
        {
            Damaged(s, p, valueProblem, s.SampleCount);
            return ready;
        }
        if (p.Pending is XdfSamplesChunk held)
        {
            if (s.Timestamps[0] >= held.Timestamps[^1] - XdfPlausibility.BackwardToleranceSeconds)
            {
                // The data continues after the jump: it was a real gap.
                ready.Add(held);
                Accept(p, held);
            }
            else
            {
                Damaged(held, p, string.Create(CultureInfo.InvariantCulture,
                    $"timestamps jump {held.Timestamps[0] - p.Last:G4} s ahead and the next chunk returns to the earlier timeline"), held.SampleCount);
            }
            p.Pending = null;
        }
        if (XdfPlausibility.CheckTimestamps(s.Timestamps, p.Last, checkForwardSteps: true) is string timeProblem)
        {
            Damaged(s, p, timeProblem, s.SampleCount);
            return ready;
        }
        if (!double.IsNaN(p.Last) && s.Timestamps[0] - p.Last > XdfPlausibility.ForwardJumpSeconds)
        {
            // Held past the next read, which reuses the reader's arrays: keep a copy.
            p.Pending = s with { Timestamps = (double[])s.Timestamps.Clone(), NumericValues = (double[]?)s.NumericValues?.Clone() };
            return ready;
        }
        ready.Add(s);
        Accept(p, s);
        return ready;
    }

    private static void Accept(Playing p, XdfSamplesChunk s)
    {
        p.Last = s.Timestamps[^1];
        s.NumericValues.AsSpan((s.SampleCount - 1) * s.ChannelCount, s.ChannelCount).CopyTo(p.LastFrame);
    }

    /// <summary>
    /// A marker's timestamp must be finite and, once signal data has been replayed, within
    /// <see cref="MarkerWindowSeconds"/> of the signal's timeline (both corrected with their clock offsets).
    /// </summary>
    private bool PlausibleMarker(Playing p, XdfSamplesChunk s, int i, double signalTime)
    {
        double t = s.Timestamps[i];
        string? problem = !double.IsFinite(t) ? "timestamp is not a finite number"
            : !double.IsNaN(signalTime) && Math.Abs(t + p.Offset - signalTime) > MarkerWindowSeconds
                ? string.Create(CultureInfo.InvariantCulture, $"timestamp {t:0.######} is {t + p.Offset - signalTime:G4} s away from the signal's timeline (limit ±{MarkerWindowSeconds:0} s)")
                : null;
        if (problem is null)
        {
            return true;
        }
        Damaged(s, p, $"marker {i}: {problem}", 1, wholeChunk: false);
        return false;
    }

    private void Damaged(XdfSamplesChunk s, Playing p, string problem, int samples, bool wholeChunk = true)
    {
        lock (_diagnostics)
        {
            _contentDiagnostics.Add(new XdfDiagnostic(s.Offset, $"stream '{p.Descriptor.Key}': {problem}; {(wholeChunk ? $"chunk skipped ({samples} samples)" : "marker skipped")}"));
        }
        if (wholeChunk)
        {
            Interlocked.Increment(ref _contentChunks);
        }
        Interlocked.Add(ref _contentSamples, samples);
    }

    private async ValueTask WriteSamplesAsync(Edge<SourceItem> output, Playing p, XdfSamplesChunk s, CancellationToken cancellationToken)
    {
        int channels = p.Descriptor.ChannelCount;
        if (_options.MergeAdjacentChunks && _options.Pace == ReplayPace.Fast)
        {
            // File chunks of one stream that follow each other with nothing in between are merged into chunks of up to
            // MaxFrames. Recorders write whatever each pull returned (often a few frames), and every chunk costs a hop
            // through every stage; the samples, their order relative to every other item and each sample's clock offset
            // stay as they were, and the analyzers work sample by sample, so the results do not change.
            for (int start = 0; start < s.SampleCount;)
            {
                if (!ReferenceEquals(_filling, p))
                {
                    await FlushFillingAsync(output, cancellationToken).ConfigureAwait(false);
                    SampleChunk opened = p.Pool!.Rent(p.Pool.MaxFrames);
                    opened.Count = 0;
                    p.Filling = opened;
                    _filling = p;
                }
                SampleChunk chunk = p.Filling!;
                int n = Math.Min(chunk.Capacity - chunk.Count, s.SampleCount - start);
                s.Timestamps.AsSpan(start, n).CopyTo(chunk.Timestamps.AsSpan(chunk.Count));
                s.NumericValues.AsSpan(start * channels, n * channels).CopyTo(chunk.Data.AsSpan(chunk.Count * channels));
                chunk.Count += n;
                start += n;
                if (chunk.Count == chunk.Capacity)
                {
                    await FlushFillingAsync(output, cancellationToken).ConfigureAwait(false);
                }
            }
            return;
        }
        int capacity = p.Pool!.MaxFrames;
        for (int start = 0; start < s.SampleCount; start += capacity)
        {
            int count = Math.Min(capacity, s.SampleCount - start);
            SampleChunk chunk = p.Pool.Rent(count);
            s.Timestamps.AsSpan(start, count).CopyTo(chunk.Timestamps);
            s.NumericValues.AsSpan(start * channels, count * channels).CopyTo(chunk.Data);
            chunk.Count = count;
            try
            {
                await Emit(output, SourceItem.ForSamples(chunk), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Not handed over: the reference is still ours.
                chunk.Release();
                throw;
            }
        }
    }

    private static Marker ToMarker(Playing p, XdfSamplesChunk s, int sample)
    {
        if (s.StringValues is not null)
        {
            // Multi-channel string streams: the first channel is the label (LSL marker convention).
            string label = s.StringValues[sample * s.ChannelCount] ?? "";
            return new Marker(p.Descriptor.Index, s.Timestamps[sample], label, p.Codes.TryGetValue(label, out int? code) ? code : null);
        }
        // Numeric marker streams (trigger boxes): the value is the code, and its text the label.
        double value = s.NumericValues![sample * s.ChannelCount];
        int? numeric = double.IsFinite(value) && value >= int.MinValue && value <= int.MaxValue ? (int)value : null;
        return new Marker(p.Descriptor.Index, s.Timestamps[sample], value.ToString(CultureInfo.InvariantCulture), numeric);
    }

    private ValueTask Emit(Edge<SourceItem> output, SourceItem item, CancellationToken cancellationToken)
    {
        if (_filling is not null)
        {
            return FlushThenEmitAsync(output, item, cancellationToken);
        }
        Interlocked.Increment(ref _items);
        return output.WriteAsync(item, cancellationToken);
    }

    /// <summary>Any other item ends the chunk being filled first, so items leave in file order.</summary>
    private async ValueTask FlushThenEmitAsync(Edge<SourceItem> output, SourceItem item, CancellationToken cancellationToken)
    {
        await FlushFillingAsync(output, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _items);
        await output.WriteAsync(item, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends the chunk being filled at fast pace, if any.</summary>
    private async ValueTask FlushFillingAsync(Edge<SourceItem> output, CancellationToken cancellationToken)
    {
        if (_filling?.Filling is not SampleChunk chunk)
        {
            _filling = null;
            return;
        }
        _filling.Filling = null;
        _filling = null;
        Interlocked.Increment(ref _items);
        try
        {
            await output.WriteAsync(SourceItem.ForSamples(chunk), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Not handed over: the reference is still ours.
            chunk.Release();
            throw;
        }
    }

    private static string RecordedKey(StreamDescriptor d)
    {
        // The events stream names streams by the key they had when recorded (desc/acqservice/key).
        try
        {
            string? key = d.DescriptionXml is null ? null : System.Xml.Linq.XElement.Parse(d.DescriptionXml).Element("acqservice")?.Element("key")?.Value.Trim();
            return string.IsNullOrEmpty(key) ? d.Key : key;
        }
        catch (System.Xml.XmlException)
        {
            return d.Key;
        }
    }

    /// <summary>A stream of the file chosen for replay.</summary>
    /// <param name="StreamId">XDF stream id.</param>
    /// <param name="Descriptor">Its descriptor in the session.</param>
    internal sealed record ReplayStream(uint StreamId, StreamDescriptor Descriptor);

    /// <summary>
    /// Chunk pools of a signal stream by size class (8, 16, 32, … frames up to the split size), so each file chunk goes
    /// out in the smallest chunk that holds it.
    /// </summary>
    /// <remarks>
    /// At fast pace the reader runs ahead of the analyzers until the edges are full, so a couple of thousand chunks are
    /// in flight. A recording made from 10-frame pulls put into one 0.1 s chunk size used a tenth of every chunk, and a
    /// pool that kept fewer chunks than were in flight dropped the surplus on return and allocated it again when the
    /// edges refilled: 16,000 chunks of 51 KB for a 30-minute file, most of `analyze`'s time in page faults and zeroing.
    /// Sized classes and a pool that keeps what was in flight make the steady state allocation-free.
    /// </remarks>
    private sealed class SizedChunkPools
    {
        private const int SmallestFrames = 8;
        private const int MaxPooledPerClass = 4096;
        private readonly ChunkPool[] _pools;

        public SizedChunkPools(int stream, int channelCount, int maxFrames)
        {
            MaxFrames = maxFrames;
            var pools = new List<ChunkPool>();
            for (int frames = SmallestFrames; frames < maxFrames; frames *= 2)
            {
                pools.Add(new ChunkPool(stream, channelCount, frames, MaxPooledPerClass));
            }
            pools.Add(new ChunkPool(stream, channelCount, maxFrames, MaxPooledPerClass));
            _pools = [.. pools];
        }

        /// <summary>The largest chunk (frames); longer file chunks are split.</summary>
        public int MaxFrames { get; }

        /// <summary>A chunk from the smallest class with room for <paramref name="frames"/> (≤ <see cref="MaxFrames"/>).</summary>
        public SampleChunk Rent(int frames)
        {
            foreach (ChunkPool pool in _pools)
            {
                if (pool.CapacityFrames >= frames)
                {
                    return pool.Rent();
                }
            }
            throw new ArgumentOutOfRangeException(nameof(frames), frames, $"more than {MaxFrames} frames");
        }
    }

    private sealed class Playing(StreamDescriptor descriptor, SizedChunkPools? pool)
    {
        public StreamDescriptor Descriptor { get; } = descriptor;
        public SizedChunkPools? Pool { get; } = pool;
        public double[] Limits { get; } = XdfPlausibility.Limits(descriptor);
        public double[] SpikeFloors { get; } = XdfPlausibility.SpikeFloors(descriptor);

        /// <summary>Values of the last accepted frame (the spike rule's left neighbour of the next chunk's first frame).</summary>
        public double[] LastFrame { get; } = new double[descriptor.ChannelCount];

        /// <summary>Last accepted timestamp of the stream (NaN before the first).</summary>
        public double Last { get; set; } = double.NaN;

        /// <summary>The chunk being filled at fast pace (see <c>WriteSamplesAsync</c>); null when none is open.</summary>
        public SampleChunk? Filling { get; set; }

        /// <summary>A chunk after a forward jump, held until the next chunk shows whether the jump is real.</summary>
        public XdfSamplesChunk? Pending { get; set; }
        public double Offset { get; set; }
        public Dictionary<string, int?> Codes { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>Live pace: item due at (local time − first local time) / speed after the first item.</summary>
    private sealed class Pacer(double speed)
    {
        private readonly Stopwatch _clock = new();
        private double _first = double.NaN;

        public async ValueTask WaitAsync(double localTime, CancellationToken cancellationToken)
        {
            if (double.IsNaN(_first))
            {
                _first = localTime;
                _clock.Start();
                return;
            }
            double due = (localTime - _first) / speed;
            double wait = due - _clock.Elapsed.TotalSeconds;
            // Sleeps shorter than a millisecond are left to accumulate: the timer cannot do them anyway.
            if (wait >= 0.001)
            {
                await Task.Delay(TimeSpan.FromSeconds(wait), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path}: {Diagnostic}")]
    private static partial void LogDiagnostic(ILogger logger, string path, string diagnostic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path}: {Count} more problems not listed")]
    private static partial void LogMoreDiagnostics(ILogger logger, string path, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replayed {Path}: {Samples} samples, {Markers} markers, {Offsets} clock offsets, {Gaps} gaps")]
    private static partial void LogReplayed(ILogger logger, string path, long samples, long markers, long offsets, long gaps);
}
