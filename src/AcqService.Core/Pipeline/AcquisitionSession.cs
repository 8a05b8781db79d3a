using System.Globalization;
using System.Text.RegularExpressions;
using AcqService.Core.Analysis;
using AcqService.Core.Model;
using AcqService.Core.Results;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AcqService.Core.Pipeline;

/// <summary>
/// One acquisition session: builds the edges from one policy table, starts the stages, runs the sources,
/// and on stop drains everything and writes the session folder.
/// <code>
///   sources ──► ingest ──► aligner ──┬─► erp ──► drop log (+ averages at the end)
///                                    ├─► alpha ──┬─► alpha CSV (+ summary at the end)
///                                    │           └─► display (live status, drops counted)
///                                    └─► raw taps (recorder)
/// </code>
/// Stopping is graceful: the stop token cancels only the sources; every stage then sees its input complete,
/// finishes its work and completes its output. The abort token tears everything down.
/// </summary>
public sealed partial class AcquisitionSession
{
    private readonly StreamRegistry _registry;
    private readonly IReadOnlyList<ISource> _sources;
    private readonly IReadOnlyList<IRawSink> _rawSinks;
    private readonly SessionPlan _plan;
    private readonly string _folder;
    private readonly SessionMetadata _metadata;
    private readonly ILogger _logger;
    private readonly Func<double> _clock;
    private readonly List<string> _errors = [];
    private readonly List<IResultSink> _resultSinks = [];
    private int _started;
    private volatile AlphaSnapshot? _latestAlpha;

    /// <summary>Creates a session; registers every source's streams.</summary>
    /// <param name="sources">Data sources.</param>
    /// <param name="plan">Analysis settings.</param>
    /// <param name="folder">Session output folder (created; must not already hold a session).</param>
    /// <param name="metadata">Metadata to record (start time and streams are filled in).</param>
    /// <param name="clock">Local LSL clock (seconds).</param>
    /// <param name="rawSinks">Consumers of the raw items (e.g. the XDF recorder).</param>
    /// <param name="logger">Logger.</param>
    /// <exception cref="ArgumentException">Invalid settings (all problems listed in the message).</exception>
    public AcquisitionSession(IReadOnlyList<ISource> sources, SessionPlan plan, string folder, SessionMetadata metadata, Func<double> clock,
        IReadOnlyList<IRawSink>? rawSinks = null, ILogger? logger = null)
    {
        IReadOnlyList<string> problems = plan.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid session settings:\n  " + string.Join("\n  ", problems));
        }
        _registry = new StreamRegistry();
        foreach (ISource source in sources)
        {
            foreach (StreamDescriptor stream in source.Streams)
            {
                _registry.Add(stream);
            }
        }
        _sources = sources;
        _rawSinks = rawSinks ?? [];
        _plan = plan;
        _folder = folder;
        _metadata = metadata;
        _clock = clock;
        _logger = logger ?? NullLogger.Instance;
        Classifier = new EventClassifier(plan.Conditions, plan.LabelsAsConditions);
        Aligner = new Aligner(_registry, plan.Aligner, Classifier);
        Erp = new ErpAnalyzer(_registry, plan.Epochs);
        Edges = new EdgeFactory(plan.Pipeline);
        int maxOutstanding = Math.Max(plan.Pipeline.DataEdge.Capacity, plan.Pipeline.DisplayEdge.Capacity);
        Alpha = new AlphaAnalyzer(_registry, plan.Alpha, plan.Regions, maxOutstanding);
        Lag = new LagMonitor(_registry, plan.Aligner); // [wt-timing hook]
    }

    /// <summary>Analysis lag, processed rate and silence per signal stream; the overload verdict (any thread).</summary>
    public LagMonitor Lag { get; }

    /// <summary>The session's streams.</summary>
    public StreamRegistry Streams => _registry;

    /// <summary>The aligner (counters readable for status).</summary>
    public Aligner Aligner { get; }

    /// <summary>The condition classifier.</summary>
    public EventClassifier Classifier { get; }

    /// <summary>The ERP analyzer (counts readable for status; averages after completion).</summary>
    public ErpAnalyzer Erp { get; }

    /// <summary>The alpha analyzer.</summary>
    public AlphaAnalyzer Alpha { get; }

    /// <summary>The edge factory (edge counters for status).</summary>
    public EdgeFactory Edges { get; }

    /// <summary>Latest alpha values per region, from the display edge (any thread).</summary>
    public AlphaSnapshot? LatestAlpha => _latestAlpha;

    /// <summary>Errors so far (sources that failed, stages that faulted).</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    /// <summary>Session output folder.</summary>
    public string Folder => _folder;

    /// <summary>
    /// Attaches a consumer of alpha updates and epoch outcomes (before <see cref="RunAsync"/>). It gets its own
    /// display edges, so it never slows the pipeline; its failure is recorded as an error, not a session stop.
    /// </summary>
    /// <exception cref="InvalidOperationException">The session has already started.</exception>
    public void AddResultSink(IResultSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (Volatile.Read(ref _started) != 0)
        {
            throw new InvalidOperationException("result sinks must be added before the session starts");
        }
        _resultSinks.Add(sink);
    }

    /// <summary>Runs the session until every source is done or <paramref name="stop"/> is cancelled, then drains and writes results.</summary>
    /// <param name="stop">Graceful stop: cancels the sources only.</param>
    /// <param name="abort">Hard abort of every stage.</param>
    public async Task<SessionSummary> RunAsync(CancellationToken stop, CancellationToken abort = default)
    {
        Interlocked.Exchange(ref _started, 1);
        PrepareFolder(_folder);
        // A preset start clock (analysis of a recording) keeps session_time_s equal to the live run's.
        double startClock = _metadata.ClockAtStart > 0 ? _metadata.ClockAtStart : _clock();
        _metadata.StartedUtc = DateTimeOffset.UtcNow;
        _metadata.ClockAtStart = startClock;
        _metadata.Streams = [.. _registry.Streams.Select(s => new StreamSummary(s.Key, s.Kind == StreamKind.Signal ? "signal" : "markers", s.Name, s.Type,
            s.NominalRateHz, s.Format.ToString().ToLowerInvariant(), [.. s.Channels.Select(c => c.Label)], [.. s.Channels.Select(c => c.Unit)], s.SourceId))];
        foreach (StreamDescriptor s in _registry.Streams.Where(s => s.Kind == StreamKind.Signal))
        {
            string[] unknown = [.. s.Channels.Where(c => !Units.IsKnownVoltage(c.Unit) && c.Type.Equals("EEG", StringComparison.OrdinalIgnoreCase)).Select(c => c.Label)];
            if (unknown.Length > 0)
            {
                _metadata.Notes.Add($"stream '{s.Key}': {unknown.Length} EEG channel(s) have no recognised voltage unit; values were taken as µV");
            }
        }
        SessionOutput.WriteMetadata(_folder, _metadata);
        LogStarting(_logger, _registry.Count, _folder);

        using var sourceStop = CancellationTokenSource.CreateLinkedTokenSource(stop, abort);
        // [wt-timing hook] Overload stops the sources (a graceful stop: everything received is still analysed and written).
        // Analysing a recording sets Aligner:MaxLagSeconds = 0 (it may run slower than real time), so it never stops here.
        using CancellationTokenRegistration onOverload = Lag.OverloadToken.Register(sourceStop.Cancel);
        using var monitorStop = new CancellationTokenSource();
        Task monitoring = Lag.RunAsync(TimeSpan.FromMilliseconds(500), monitorStop.Token);
        Edge<SourceItem> ingest = Edges.Data<SourceItem>("sources→aligner", singleWriter: false);
        Edge<AlignedItem> erpIn = Edges.Data<AlignedItem>("aligner→erp");
        Edge<AlignedItem> alphaIn = Edges.Data<AlignedItem>("aligner→alpha");
        Edge<EpochOutcome> erpOut = Edges.Data<EpochOutcome>("erp→droplog");
        Edge<AlphaUpdate> alphaOut = Edges.Data<AlphaUpdate>("alpha→csv");
        Edge<AlphaUpdate> alphaDisplay = Edges.Display<AlphaUpdate>("alpha→status");
        Edge<AlphaUpdate>[] sinkAlpha = [.. _resultSinks.Select(s => Edges.Display<AlphaUpdate>("alpha→" + s.Name))];
        Edge<EpochOutcome>[] sinkEpochs = [.. _resultSinks.Select(s => Edges.Display<EpochOutcome>("erp→" + s.Name))];
        Edge<SourceItem>[] taps = [.. _rawSinks.Select(s => Edges.Recorder<SourceItem>("aligner→" + s.Name, item => item.Chunk?.Release()))];

        using var dropLog = new DropLogWriter(_folder, startClock);
        using var alphaCsv = new AlphaCsvWriter(_folder, startClock, Alpha.ChannelLabels, Alpha.RegionNames);

        var stages = new List<(string Name, Task Task)>
        {
            ("aligner", new AlignerStage(Aligner, ingest, [erpIn, alphaIn], taps, Lag).RunAsync(abort)),
            ("erp", StageRunner.RunAsync(erpIn, Lag.Observe<EpochOutcome>(Erp.Process), [erpOut, .. sinkEpochs], abort)),
            ("alpha", StageRunner.RunAsync(alphaIn, Lag.Observe<AlphaUpdate>(Alpha.Process), [alphaOut, alphaDisplay, .. sinkAlpha], abort)),
            ("drop log", StageRunner.DrainAsync(erpOut, dropLog.Write, abort)),
            ("alpha csv", StageRunner.DrainAsync(alphaOut, alphaCsv.Write, abort)),
            ("status", StageRunner.DrainAsync(alphaDisplay, u => _latestAlpha = AlphaSnapshot.From(u, Alpha.RegionNames), abort)),
        };
        for (int i = 0; i < _rawSinks.Count; i++)
        {
            stages.Add((_rawSinks[i].Name, _rawSinks[i].RunAsync(taps[i], abort)));
        }
        for (int i = 0; i < _resultSinks.Count; i++)
        {
            stages.Add((_resultSinks[i].Name, RunResultSinkAsync(_resultSinks[i], sinkAlpha[i], sinkEpochs[i], abort)));
        }
        // A faulted stage stops the sources, so nothing waits forever on an edge nobody reads.
        foreach ((string name, Task task) in stages)
        {
            _ = task.ContinueWith(t =>
            {
                if (t.IsFaulted)
                {
                    sourceStop.Cancel();
                }
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        Task[] sourceTasks = [.. _sources.Select(source => RunSourceAsync(source, ingest, sourceStop.Token, abort))];
        await Task.WhenAll(sourceTasks).ConfigureAwait(false);
        ingest.Complete();

        foreach ((string name, Task task) in stages)
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                AddError($"stage '{name}' aborted");
            }
            catch (Exception ex)
            {
                LogStageFailed(_logger, ex, name);
                AddError($"stage '{name}' failed: {ex.Message}");
            }
        }

        // [wt-timing hook] The verdict becomes part of the summary until the lead wires it into the end reason.
        monitorStop.Cancel();
        await monitoring.ConfigureAwait(false);
        if (Lag.Verdict is { } overload)
        {
            LogOverloaded(_logger, overload.Message);
            AddError("stopped: " + overload.Message);
        }
        SessionSummary summary = BuildSummary(dropLog);
        SessionOutput.WriteErpAverages(_folder, Erp.Averages);
        SessionOutput.WriteAlphaSummary(_folder, summary.Alpha);
        SessionOutput.WriteSummary(_folder, summary);
        _metadata.EndedUtc = DateTimeOffset.UtcNow;
        SessionOutput.WriteMetadata(_folder, _metadata);
        LogFinished(_logger, summary.DurationSeconds, Erp.Accepted, Erp.Dropped, _folder);
        return summary;
    }

    /// <summary>Runs a result sink; its failure is an error of the session, not a reason to stop acquiring.</summary>
    private async Task RunResultSinkAsync(IResultSink sink, Edge<AlphaUpdate> alpha, Edge<EpochOutcome> epochs, CancellationToken abort)
    {
        try
        {
            await sink.RunAsync(alpha, epochs, abort).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            LogResultSinkFailed(_logger, ex, sink.Name);
            AddError($"result sink '{sink.Name}' failed: {ex.Message}");
        }
    }

    private async Task RunSourceAsync(ISource source, Edge<SourceItem> ingest, CancellationToken stop, CancellationToken abort)
    {
        try
        {
            await source.RunAsync(ingest, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Graceful stop.
        }
        catch (Exception ex)
        {
            // A failed source ends its streams; the others keep running and everything received is kept.
            LogSourceFailed(_logger, ex, source.Name);
            AddError($"source '{source.Name}' failed: {ex.Message}");
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(abort);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        foreach (StreamDescriptor stream in source.Streams)
        {
            try
            {
                await ingest.WriteAsync(SourceItem.Ended(stream.Index), timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                AddError($"could not signal the end of stream '{stream.Key}' within 10 s (pipeline stalled)");
                break;
            }
        }
    }

    private SessionSummary BuildSummary(DropLogWriter dropLog)
    {
        var summary = new SessionSummary();
        foreach (StreamDescriptor stream in _registry.Streams)
        {
            (long samples, double first, double last, int gaps, int markers) = Aligner.Statistics(stream.Index);
            if (stream.Kind == StreamKind.Signal)
            {
                double rate = samples > 1 && last > first ? (samples - 1) / (last - first) : double.NaN;
                summary.Streams.Add(new StreamStatistics(stream.Key, samples, rate, gaps));
                summary.DurationSeconds = Math.Max(summary.DurationSeconds, samples / stream.NominalRateHz);
            }
            else
            {
                summary.Markers[stream.Key] = markers;
            }
        }
        foreach (ConditionAverage average in Erp.Averages)
        {
            string key = Erp.StreamKeys.Count() > 1 ? $"{average.StreamKey}:{average.Condition}" : average.Condition;
            summary.EpochsPerCondition[key] = average.Count;
        }
        foreach ((string reason, int count) in ReadDropReasons())
        {
            summary.DropsByReason[reason] = count;
        }
        summary.Alpha = [.. Alpha.Summaries()];
        summary.Edges = [.. Edges.Edges.Select(e => new EdgeStatistics(e.Name, e.Mode.ToString(), e.Written, e.Dropped))];
        summary.Errors = [.. Errors];
        _ = dropLog;
        return summary;
    }

    /// <summary>Folds the drop log's reasons into categories (numbers replaced by #) for the summary.</summary>
    private Dictionary<string, int> ReadDropReasons()
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        string path = Path.Combine(_folder, DropLogWriter.FileName);
        foreach (string line in File.ReadLines(path).Skip(1))
        {
            string[] fields = SplitCsv(line);
            if (fields.Length >= 8 && fields[6] == "dropped")
            {
                string category = NumberPattern().Replace(fields[7], "#");
                counts[category] = counts.GetValueOrDefault(category) + 1;
            }
        }
        return counts;
    }

    private static string[] SplitCsv(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        fields.Add(current.ToString());
        return [.. fields];
    }

    private void AddError(string message)
    {
        lock (_errors)
        {
            _errors.Add(message);
        }
    }

    private static void PrepareFolder(string folder)
    {
        Directory.CreateDirectory(folder);
        if (File.Exists(Path.Combine(folder, SessionOutput.MetadataFile)))
        {
            throw new IOException($"'{folder}' already holds a session (session.json exists); choose another output folder");
        }
        string probe = Path.Combine(folder, ".write-test");
        File.WriteAllText(probe, "");
        File.Delete(probe);
    }

    [GeneratedRegex(@"\d+(\.\d+)?")]
    private static partial Regex NumberPattern();

    [LoggerMessage(Level = LogLevel.Information, Message = "Session starting: {StreamCount} streams, output {Folder}")]
    private static partial void LogStarting(ILogger logger, int streamCount, string folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session finished: {Seconds:F1} s of signal, {Accepted} epochs accepted, {Dropped} markers dropped; results in {Folder}")]
    private static partial void LogFinished(ILogger logger, double seconds, int accepted, int dropped, string folder);

    [LoggerMessage(Level = LogLevel.Error, Message = "Source {Source} failed; its streams end here, the session continues")]
    private static partial void LogSourceFailed(ILogger logger, Exception exception, string source);

    [LoggerMessage(Level = LogLevel.Error, Message = "Result sink {Sink} failed; acquisition and analysis continue without it")]
    private static partial void LogResultSinkFailed(ILogger logger, Exception exception, string sink);

    [LoggerMessage(Level = LogLevel.Error, Message = "Session overloaded, sources stopped: {Message}")]
    private static partial void LogOverloaded(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "Pipeline stage {Stage} failed")]
    private static partial void LogStageFailed(ILogger logger, Exception exception, string stage);
}

/// <summary>A copy of the latest alpha values for display.</summary>
/// <param name="StreamKey">Stream.</param>
/// <param name="Time">Local clock of the window end.</param>
/// <param name="Regions">Region names.</param>
/// <param name="RegionAbsolute">Absolute alpha per region (µV²).</param>
/// <param name="RegionRelative">Relative alpha per region.</param>
public sealed record AlphaSnapshot(string StreamKey, double Time, IReadOnlyList<string> Regions, double[] RegionAbsolute, double[] RegionRelative)
{
    /// <summary>Copies an update (called synchronously by the display consumer).</summary>
    public static AlphaSnapshot From(AlphaUpdate update, IReadOnlyList<string> regions) =>
        new(update.StreamKey, update.Time, regions, [.. update.RegionAbsolute], [.. update.RegionRelative]);

    /// <summary>Short text for the status line.</summary>
    public string ToStatus() => Regions.Count == 0 ? "" :
        string.Create(CultureInfo.InvariantCulture, $"alpha {Regions[0]} {RegionAbsolute[0]:F1} µV² (rel {RegionRelative[0]:F2})");
}
