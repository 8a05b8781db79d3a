using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using System.Xml;
using System.Xml.Linq;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Lsl;
using AcqService.Sources.Xdf;
using AcqService.Xdf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AcqService.Sinks.Xdf;

/// <summary>
/// Records every raw item of a session to one XDF file, in arrival order, LabRecorder-style: a FileHeader with
/// the session metadata, a StreamHeader per stream (full LSL stream-info XML with <c>desc/channels</c>), one
/// Samples chunk per <see cref="SampleChunk"/> (raw timestamps, the stream's own channel format), markers as
/// string samples, the sources' clock offsets, a Boundary chunk every ≤ 10 s, a flush to disk at least once a
/// second, and StreamFooters at the end.
/// </summary>
/// <remarks>
/// <para>Gaps and marker codes have no XDF chunk type; they go to an extra string stream named
/// <c>AcqService events</c> (type <c>AcqServiceEvents</c>, one JSON object per sample) so that
/// <see cref="XdfReplaySource"/> can give the aligner the same items again. Marker streams are always written
/// as one-channel <c>string</c> streams; their original format is kept in <c>desc/acqservice/format</c>.</para>
/// <para>Clock offsets: a stream whose source reported none for 5 s of data time gets its last known offset
/// written again (collection time = recorder time − offset, as LabRecorder does), so every stream with an
/// offset has one every ≤ 5 s. A stream that never reported one gets none (there is nothing true to write).</para>
/// <para>Its edge is fail-when-full, so it must keep up: each item costs one buffered write, and the only
/// blocking calls are the once-a-second flush to disk and file creation. A write error faults the stage, which
/// fails the session loudly; the file is still closed with footers so what was written stays readable.</para>
/// </remarks>
public sealed partial class XdfRecorderSink : IRawSink
{
    /// <summary>Longest stretch of data time without a ClockOffset chunk per stream (LabRecorder measures every 5 s).</summary>
    public const double ClockOffsetIntervalSeconds = 5;

    /// <summary>Longest stretch (data time or wall clock) without a Boundary chunk (LabRecorder: 10 s).</summary>
    public const double BoundaryIntervalSeconds = 10;

    /// <summary>Longest wall-clock time written data may sit in memory before it is flushed to disk.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    // Margin on top of the expected size: 25 % for rate estimates and headers, plus a fixed reserve so the
    // disk is never filled to the last byte (other processes and the session's CSV files need room too).
    private const double SpaceMargin = 1.25;
    private const long SpaceReserveBytes = 64L * 1024 * 1024;

    private readonly IReadOnlyList<StreamDescriptor> _streams;
    private readonly RecordingMetadata _metadata;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly double[] _oneTimestamp = new double[1];
    private readonly string[] _oneString = new string[1];
    private StreamState?[] _state = [];
    private uint _eventsId;
    private FileStream? _file;
    private XdfWriter? _writer;
    private double _now = double.NegativeInfinity;
    private double _lastBoundaryData = double.NaN;
    private long _lastBoundaryWall;
    private long _lastFlushWall;
    private bool _dirty;
    private long _chunks;
    private long _offsets;
    private long _repeatedOffsets;
    private long _boundaries;
    private long _events;

    /// <summary>Creates the recorder; the file is created when the session starts it.</summary>
    /// <param name="path">File to create. It must not exist (call <see cref="Preflight"/> first, which moves an existing file aside).</param>
    /// <param name="streams">The session's streams (e.g. every source's <see cref="ISource.Streams"/>); read when recording starts, after the session has indexed them.</param>
    /// <param name="metadata">Session metadata for the FileHeader.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="timeProvider">Wall clock (start time, flush and boundary intervals); system clock by default.</param>
    public XdfRecorderSink(string path, IReadOnlyList<StreamDescriptor> streams, RecordingMetadata? metadata = null, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(streams);
        Path = System.IO.Path.GetFullPath(path);
        _streams = streams;
        _metadata = metadata ?? new RecordingMetadata();
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Name => "xdf recorder";

    /// <summary>Full path of the recording.</summary>
    public string Path { get; }

    /// <summary>Samples chunks written (including marker samples).</summary>
    public long ChunksWritten => Interlocked.Read(ref _chunks);

    /// <summary>ClockOffset chunks written, repeats included.</summary>
    public long ClockOffsetsWritten => Interlocked.Read(ref _offsets);

    /// <summary>ClockOffset chunks that repeat a stream's last known offset (the source reported none for 5 s).</summary>
    public long RepeatedClockOffsets => Interlocked.Read(ref _repeatedOffsets);

    /// <summary>Boundary chunks written.</summary>
    public long BoundariesWritten => Interlocked.Read(ref _boundaries);

    /// <summary>Entries written to the <c>AcqService events</c> stream (gaps, marker codes).</summary>
    public long EventsWritten => Interlocked.Read(ref _events);

    /// <summary>
    /// Checks that a recording can start at <paramref name="path"/>: the folder exists or can be created and is
    /// writable, and it has room for <paramref name="expectedBytesPerSecond"/> × <paramref name="expectedSeconds"/>
    /// (+25 % and 64 MB). An existing file is never overwritten: it is renamed to <c>name_old1.xdf</c>,
    /// <c>name_old2.xdf</c>, … (the first free number, LabRecorder's rule) and the result says so.
    /// </summary>
    /// <exception cref="IOException">The folder is not writable, or the disk is too full; the message names the folder and the numbers.</exception>
    public static XdfPreflightResult Preflight(string path, double expectedBytesPerSecond, double expectedSeconds)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedBytesPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedSeconds);
        string full = System.IO.Path.GetFullPath(path);
        string folder = System.IO.Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no folder", nameof(path));
        try
        {
            Directory.CreateDirectory(folder);
            // Only a real write proves the folder is writable (permissions, read-only mounts, quotas).
            string probe = System.IO.Path.Combine(folder, ".acq-write-test-" + Guid.NewGuid().ToString("N"));
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot record to '{full}': the folder '{folder}' is not writable ({ex.Message})", ex);
        }

        long required = (long)Math.Ceiling(expectedBytesPerSecond * expectedSeconds * SpaceMargin) + SpaceReserveBytes;
        long free = new DriveInfo(folder).AvailableFreeSpace;
        if (free < required)
        {
            throw new IOException(string.Create(CultureInfo.InvariantCulture,
                $"not enough disk space in '{folder}': the recording needs {required / 1048576.0:F0} MB ({expectedSeconds:F0} s at {expectedBytesPerSecond / 1024:F1} kB/s, +25 % and 64 MB reserve) but only {free / 1048576.0:F0} MB are free"));
        }

        string? renamed = null;
        if (File.Exists(full))
        {
            string stem = System.IO.Path.GetFileNameWithoutExtension(full);
            string extension = System.IO.Path.GetExtension(full);
            for (int n = 1; renamed is null; n++)
            {
                string candidate = System.IO.Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"{stem}_old{n}{extension}"));
                if (!File.Exists(candidate))
                {
                    File.Move(full, candidate);
                    renamed = candidate;
                }
            }
        }
        return new XdfPreflightResult(full, renamed, free, required);
    }

    /// <summary>Expected file growth in bytes per second for these streams (samples with timestamps; markers are negligible).</summary>
    public static double EstimateBytesPerSecond(IEnumerable<StreamDescriptor> streams)
    {
        double total = 0;
        foreach (StreamDescriptor s in streams.Where(s => s.Kind == StreamKind.Signal))
        {
            int size = s.Format switch
            {
                ChannelFormat.Int8 => 1,
                ChannelFormat.Int16 => 2,
                ChannelFormat.Float32 or ChannelFormat.Int32 => 4,
                _ => 8,
            };
            // 9 bytes of timestamp per sample (most are not deducible under jitter), plus chunk overhead.
            total += s.NominalRateHz * ((s.ChannelCount * size) + 9 + 1);
        }
        return total + 1024;
    }

    /// <inheritdoc />
    public async Task RunAsync(Edge<SourceItem> input, CancellationToken cancellationToken)
    {
        ChannelReader<SourceItem> reader = input.Reader;
        bool failed = false;
        try
        {
            Open();
            while (true)
            {
                while (reader.TryRead(out SourceItem item))
                {
                    Write(item);
                }
                if (_dirty && Elapsed(_lastFlushWall) >= FlushInterval)
                {
                    FlushToDisk();
                }
                ValueTask<bool> more = reader.WaitToReadAsync(cancellationToken);
                if (!more.IsCompleted && _dirty)
                {
                    // Nothing queued: make sure what was written reaches the disk within the flush interval anyway.
                    Task<bool> next = more.AsTask();
                    TimeSpan remaining = FlushInterval - Elapsed(_lastFlushWall);
                    if (remaining > TimeSpan.Zero)
                    {
                        await Task.WhenAny(next, Task.Delay(remaining, _time, cancellationToken)).ConfigureAwait(false);
                    }
                    if (!next.IsCompleted)
                    {
                        FlushToDisk();
                    }
                    if (!await next.ConfigureAwait(false))
                    {
                        break;
                    }
                }
                else if (!await more.ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            failed = true;
            LogFailed(_logger, ex, Path);
            throw;
        }
        finally
        {
            // Whatever is still queued (the session failed or was aborted) gives back its references.
            while (reader.TryRead(out SourceItem rest))
            {
                rest.Chunk?.Release();
            }
            Close(failed);
        }
    }

    private void Open()
    {
        var byIndex = new StreamState?[_streams.Count == 0 ? 0 : _streams.Max(s => s.Index) + 1];
        foreach (StreamDescriptor stream in _streams)
        {
            if (stream.Index < 0)
            {
                throw new InvalidOperationException($"stream '{stream.Key}' is not registered in a session; the recorder starts only inside one");
            }
            byIndex[stream.Index] = new StreamState(stream, (uint)stream.Index + 1);
        }
        _state = byIndex;

        DateTimeOffset started = _metadata.StartedUtc ?? _time.GetUtcNow();
        // CreateNew: a recording never overwrites a file; Preflight moves an existing one aside first.
        _file = new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
        _writer = new XdfWriter(_file, new XdfWriterOptions { TimeProvider = _time, HeaderElements = [_metadata.ToXml(started)] }, leaveOpen: true);
        foreach (StreamState state in _state.OfType<StreamState>())
        {
            AddStream(state.Id, state.Descriptor);
        }
        _eventsId = (uint)_state.Length + 1;
        var events = new LslStreamInfo
        {
            Name = XdfEvents.StreamName, Type = XdfEvents.StreamType, ChannelCount = 1, NominalSrate = 0, ChannelFormat = ChannelFormat.String,
            SourceId = "acqservice-events", Hostname = Environment.MachineName, Uid = Guid.NewGuid().ToString(),
        }.WithChannels([("event", "", "Event")]);
        events.Desc.Add(new XElement("acqservice", new XElement("encoding", "one JSON object per sample: gap {stream,start,end,missing,reason}; code {stream,label,code}")));
        AddHeader(_eventsId, events.ToXml());
        _lastFlushWall = _lastBoundaryWall = _time.GetTimestamp();
        FlushToDisk();
        LogOpened(_logger, Path, _state.Count(s => s is not null));
    }

    private void AddStream(uint id, StreamDescriptor stream)
    {
        bool markers = stream.Kind == StreamKind.Markers;
        var info = new LslStreamInfo
        {
            Name = stream.Name,
            Type = stream.Type,
            // Marker streams are stored as one string channel (the label); see the class remarks.
            ChannelCount = markers ? 1 : stream.ChannelCount,
            NominalSrate = stream.NominalRateHz,
            ChannelFormat = markers ? ChannelFormat.String : stream.Format,
            SourceId = stream.SourceId,
            Hostname = Environment.MachineName,
            Uid = Guid.NewGuid().ToString(),
            Desc = ParseDesc(stream.DescriptionXml),
        };
        if (info.Desc.Element("channels") is null)
        {
            IEnumerable<ChannelDescriptor> channels = markers ? stream.Channels.Take(1) : stream.Channels;
            info.WithChannels(channels.Select(c => (c.Label, c.Unit, c.Type)));
        }
        info.Desc.Element("acqservice")?.Remove();
        info.Desc.Add(new XElement("acqservice",
            new XElement("key", stream.Key),
            new XElement("kind", markers ? "markers" : "signal"),
            new XElement("format", stream.Format.ToString().ToLowerInvariant())));
        AddHeader(id, info.ToXml());
    }

    private void AddHeader(uint id, string xml)
    {
        // The header's own numbers (as printed, 16 digits) are what readers decode with, so they go to the writer.
        if (!XdfStreamHeader.TryParse(id, xml, out XdfStreamHeader? header, out string? error))
        {
            throw new InvalidOperationException($"stream info of stream {id} is not valid XDF: {error}");
        }
        _writer!.AddStream(id, xml, header!.ChannelFormat, header.ChannelCount, header.NominalSrate);
    }

    private static XElement ParseDesc(string? xml)
    {
        if (string.IsNullOrWhiteSpace(xml))
        {
            return new XElement("desc");
        }
        try
        {
            XElement root = XElement.Parse(xml);
            return root.Name.LocalName == "desc" ? root : new XElement("desc", root);
        }
        catch (XmlException)
        {
            // A source's free-form metadata must not stop a recording; keep it as text.
            return new XElement("desc", new XElement("source_description", xml));
        }
    }

    private void Write(in SourceItem item)
    {
        try
        {
            StreamState? state = (uint)item.Stream < (uint)_state.Length ? _state[item.Stream] : null;
            if (state is null)
            {
                return;
            }
            switch (item.Kind)
            {
                case SourceItemKind.Samples:
                    SampleChunk chunk = item.Chunk!;
                    if (chunk.Count == 0)
                    {
                        return;
                    }
                    _writer!.WriteSamples(state.Id, chunk.Times, chunk.Values);
                    _chunks++;
                    Advance(state, chunk.LastTimestamp);
                    break;
                case SourceItemKind.Marker:
                    WriteMarker(state, item.Marker);
                    break;
                case SourceItemKind.ClockOffset:
                    ClockOffset offset = item.Offset;
                    _writer!.WriteClockOffset(state.Id, offset.CollectionTime, offset.Offset);
                    _offsets++;
                    state.Offset = offset.Offset;
                    state.HasOffset = true;
                    state.LastOffsetLocal = offset.CollectionTime + offset.Offset;
                    break;
                case SourceItemKind.Gap:
                    StreamGap gap = item.Gap;
                    WriteEvent(double.IsFinite(gap.Start) ? gap.Start : double.IsFinite(gap.End) ? gap.End : 0, XdfEvents.Gap(state.Descriptor.Key, gap));
                    break;
                default:
                    return;
            }
            _dirty = true;
            Maintain();
        }
        finally
        {
            item.Chunk?.Release();
        }
    }

    private void WriteMarker(StreamState state, in Marker marker)
    {
        string label = marker.Label ?? "";
        state.Codes ??= new Dictionary<string, int?>(StringComparer.Ordinal);
        if ((state.Codes.TryGetValue(label, out int? known) ? known : null) != marker.Code)
        {
            // Written before the marker, so a replay knows the code when it reaches the marker.
            WriteEvent(marker.Timestamp, XdfEvents.Code(state.Descriptor.Key, label, marker.Code));
            state.Codes[label] = marker.Code;
        }
        _oneTimestamp[0] = marker.Timestamp;
        _oneString[0] = label;
        _writer!.WriteSamples(state.Id, _oneTimestamp, _oneString);
        _chunks++;
        Advance(state, marker.Timestamp);
    }

    private void WriteEvent(double timestamp, string json)
    {
        _oneTimestamp[0] = timestamp;
        _oneString[0] = json;
        _writer!.WriteSamples(_eventsId, _oneTimestamp, _oneString);
        _events++;
    }

    private void Advance(StreamState state, double rawTimestamp)
    {
        double local = rawTimestamp + state.Offset;
        if (local > _now)
        {
            _now = local;
        }
    }

    /// <summary>Repeats stale clock offsets and writes boundaries; driven by data time so fast replays get them too.</summary>
    private void Maintain()
    {
        if (!double.IsFinite(_now))
        {
            return;
        }
        foreach (StreamState? state in _state)
        {
            if (state is { HasOffset: true } && _now - state.LastOffsetLocal >= ClockOffsetIntervalSeconds)
            {
                // Stamped exactly one interval after the previous one (or now, after a long silence) so the spacing
                // stays ≤ 5 s. It is never later than the newest data, and a real measurement arriving later was
                // taken after that data, so collection times stay increasing (pyxdf reads a decrease as a clock reset).
                double local = _now - state.LastOffsetLocal < 2 * ClockOffsetIntervalSeconds ? state.LastOffsetLocal + ClockOffsetIntervalSeconds : _now;
                _writer!.WriteClockOffset(state.Id, local - state.Offset, state.Offset);
                state.LastOffsetLocal = local;
                _offsets++;
                _repeatedOffsets++;
            }
        }
        if (double.IsNaN(_lastBoundaryData))
        {
            _lastBoundaryData = _now;
        }
        if (_now - _lastBoundaryData >= BoundaryIntervalSeconds || Elapsed(_lastBoundaryWall).TotalSeconds >= BoundaryIntervalSeconds)
        {
            _writer!.WriteBoundary();
            _boundaries++;
            _lastBoundaryData = _now;
            _lastBoundaryWall = _time.GetTimestamp();
        }
    }

    private void FlushToDisk()
    {
        _writer!.Flush(toDisk: true);
        _dirty = false;
        _lastFlushWall = _time.GetTimestamp();
    }

    private TimeSpan Elapsed(long since) => _time.GetElapsedTime(since);

    private void Close(bool failed)
    {
        if (_writer is null)
        {
            _file?.Dispose();
            return;
        }
        try
        {
            _writer.Complete();
            _writer.Flush(toDisk: true);
            LogClosed(_logger, Path, _file!.Length, _chunks, _offsets, _boundaries);
        }
        catch (Exception ex) when (failed)
        {
            // The original failure is what matters; the file keeps everything up to its last whole chunk.
            LogCloseFailed(_logger, ex, Path);
        }
        finally
        {
            _writer.Dispose();
            _file!.Dispose();
            _writer = null;
        }
    }

    private sealed class StreamState(StreamDescriptor descriptor, uint id)
    {
        public StreamDescriptor Descriptor { get; } = descriptor;
        public uint Id { get; } = id;
        public double Offset { get; set; }
        public bool HasOffset { get; set; }
        /// <summary>Recorder-clock time of the last ClockOffset chunk written for this stream.</summary>
        public double LastOffsetLocal { get; set; }
        /// <summary>Marker label → code last written to the events stream.</summary>
        public Dictionary<string, int?>? Codes { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Recording {StreamCount} streams to {Path}")]
    private static partial void LogOpened(ILogger logger, string path, int streamCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recording {Path} closed: {Bytes} bytes, {Chunks} samples chunks, {Offsets} clock offsets, {Boundaries} boundaries")]
    private static partial void LogClosed(ILogger logger, string path, long bytes, long chunks, long offsets, long boundaries);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording to {Path} failed; the file holds everything up to the failure")]
    private static partial void LogFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not write the footers of {Path}; XdfRepair can regenerate them")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception, string path);
}
