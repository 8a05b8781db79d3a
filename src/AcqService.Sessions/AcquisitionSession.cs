using System.Globalization;
using AcqService.Core.Analysis;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sinks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AcqService.Sessions;

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
    private readonly List<IRawSink> _displayTaps = [];
    private readonly Dictionary<string, int> _drops = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopSources = new();
    private int _started;
    private int _sourceFailures;
    private double _startClock;
    private SessionEnd? _end;
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
        Lag = new LagMonitor(_registry, plan.Aligner);
        Nirs = new NirsAnalyzer(_registry, plan.Haemoglobin, plan.Haemodynamic, plan.Regions);
    }

    /// <summary>The fNIRS stage (haemoglobin and needle-locked haemodynamic averages); inactive without fNIRS streams.</summary>
    public NirsAnalyzer Nirs { get; }

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

    /// <summary>
    /// Attaches a consumer of the raw items for display (live traces), before <see cref="RunAsync"/>. Unlike the
    /// recorder's tap, its edge drops the oldest items when it falls behind (counted; their chunks released), so a slow
    /// page can never stop or slow the session; its failure is recorded as an error, not a session stop.
    /// </summary>
    /// <exception cref="InvalidOperationException">The session has already started.</exception>
    public void AddDisplayTap(IRawSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (Volatile.Read(ref _started) != 0)
        {
            throw new InvalidOperationException("display taps must be added before the session starts");
        }
        _displayTaps.Add(sink);
    }

    /// <summary>
    /// Called on the drop-log writer's task right after an epoch outcome's row was written to <c>drop_log.csv</c> and
    /// flushed (set before <see cref="RunAsync"/>). For latency measurement (<c>bench latency</c>): it must return at
    /// once and not throw; it changes nothing that is written.
    /// </summary>
    public Action<EpochOutcome>? OutcomeWritten { get; set; }

    /// <summary>
    /// Called on the alpha CSV writer's task right after an update's row was written to its <c>alpha_power_*.csv</c> and
    /// flushed (set before <see cref="RunAsync"/>); same rules as <see cref="OutcomeWritten"/>.
    /// </summary>
    public Action<AlphaUpdate>? AlphaWritten { get; set; }

    /// <summary>Seconds after a stop request (or the end of the sources) that the pipeline gets to drain before its stages are aborted.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the summary files are rewritten while the session runs (so a crash leaves a recent one).</summary>
    public TimeSpan SummaryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Damage found in the input so far (a replayed recording's diagnostics), read for the summary.</summary>
    public Func<IReadOnlyList<string>>? InputDamage { get; set; }

    /// <summary>How the session ended, once it has (null while running).</summary>
    public SessionEnd? End => _end;

    /// <summary>
    /// Stops the sources; the pipeline then drains and the results are written. The first reason given is the one the
    /// summary reports (a later Ctrl+C does not overwrite "disk full").
    /// </summary>
    public void RequestStop(SessionEndKind kind, string reason)
    {
        SetEnd(kind, reason);
        try
        {
            _stopSources.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already over.
        }
    }

    /// <summary>Runs the session until every source is done or it is stopped, then drains and writes results.</summary>
    /// <param name="stop">Operator stop (Ctrl+C, SIGTERM, service stop): cancels the sources only, then the pipeline drains.</param>
    /// <param name="abort">Hard abort of every stage.</param>
    public async Task<SessionSummary> RunAsync(CancellationToken stop, CancellationToken abort = default)
    {
        Interlocked.Exchange(ref _started, 1);
        // A preset start clock (analysis of a recording) keeps session_time_s equal to the live run's.
        double startClock = _metadata.ClockAtStart > 0 ? _metadata.ClockAtStart : _clock();
        _metadata.StartedUtc = DateTimeOffset.UtcNow;
        _metadata.ClockAtStart = startClock;
        _startClock = startClock;
        _metadata.Streams = [.. _registry.Streams.Select(s => new StreamSummary(s.Key, s.Kind == StreamKind.Signal ? "signal" : "markers", s.Name, s.Type,
            s.NominalRateHz, s.Format.ToString().ToLowerInvariant(), [.. s.Channels.Select(c => c.Label)], [.. s.Channels.Select(c => c.Unit)], s.SourceId, s.Hostname))];
        foreach (StreamDescriptor s in _registry.Streams.Where(s => s.Kind == StreamKind.Signal))
        {
            string[] unknown = [.. s.Channels.Where(c => !Units.IsKnownVoltage(c.Unit) && c.Type.Equals("EEG", StringComparison.OrdinalIgnoreCase)).Select(c => c.Label)];
            if (unknown.Length > 0)
            {
                _metadata.Notes.Add($"stream '{s.Key}': {unknown.Length} EEG channel(s) have no recognised voltage unit; values were taken as µV");
            }
        }
        using var folder = new SessionFolder(_folder);
        folder.WriteMetadata(_metadata);
        LogStarting(_logger, _registry.Count, _folder);

        using CancellationTokenRegistration operatorStop = stop.Register(() => RequestStop(SessionEndKind.OperatorStop, "stopped by the operator"));
        // Overload stops the sources gracefully: everything received is still analysed and written. Analysing a
        // recording sets Aligner:MaxLagSeconds = 0 (it may run slower than real time), so it never stops there.
        using CancellationTokenRegistration onOverload = Lag.OverloadToken.Register(() => RequestStop(SessionEndKind.Overload, Lag.Verdict?.Message ?? "the analysis fell too far behind"));
        using var monitorStop = new CancellationTokenSource();
        Task monitoring = Lag.RunAsync(TimeSpan.FromMilliseconds(500), monitorStop.Token);
        using var abortAll = CancellationTokenSource.CreateLinkedTokenSource(abort);
        using var sourceStop = CancellationTokenSource.CreateLinkedTokenSource(_stopSources.Token, abortAll.Token);
        Edge<SourceItem> ingest = Edges.Data<SourceItem>("sources→aligner", singleWriter: false);
        Edge<AlignedItem> erpIn = Edges.Data<AlignedItem>("aligner→erp");
        Edge<AlignedItem> alphaIn = Edges.Data<AlignedItem>("aligner→alpha");
        Edge<AlignedItem>? nirsIn = Nirs.IsActive ? Edges.Data<AlignedItem>("aligner→nirs") : null;
        Edge<EpochOutcome> erpOut = Edges.Data<EpochOutcome>("erp→droplog");
        Edge<AlphaUpdate> alphaOut = Edges.Data<AlphaUpdate>("alpha→csv");
        Edge<AlphaUpdate> alphaDisplay = Edges.Display<AlphaUpdate>("alpha→status");
        Edge<AlphaUpdate>[] sinkAlpha = [.. _resultSinks.Select(s => Edges.Display<AlphaUpdate>("alpha→" + s.Name))];
        Edge<EpochOutcome>[] sinkEpochs = [.. _resultSinks.Select(s => Edges.Display<EpochOutcome>("erp→" + s.Name))];
        Edge<SourceItem>[] recorderTaps = [.. _rawSinks.Select(s => Edges.Recorder<SourceItem>("aligner→" + s.Name, item => item.Chunk?.Release()))];
        Edge<SourceItem>[] displayTaps = [.. _displayTaps.Select(s => Edges.Display<SourceItem>("aligner→" + s.Name, item => item.Chunk?.Release()))];
        Edge<SourceItem>[] taps = [.. recorderTaps, .. displayTaps];

        using DropLogWriter dropLog = folder.OpenDropLog(startClock);
        using AlphaCsvWriter alphaCsv = folder.OpenAlphaCsv(startClock, Alpha.ChannelLabels, Alpha.RegionNames);
        Action<EpochOutcome>? outcomeWritten = OutcomeWritten;
        void LogOutcome(EpochOutcome outcome)
        {
            if (outcome.Reason is DropReason reason)
            {
                // Counted from the typed reason as it passes: the summary never re-reads the drop log.
                lock (_drops)
                {
                    _drops[reason.Category] = _drops.GetValueOrDefault(reason.Category) + 1;
                }
            }
            dropLog.Write(outcome);
            outcomeWritten?.Invoke(outcome);
        }
        Action<AlphaUpdate>? alphaWritten = AlphaWritten;
        Action<AlphaUpdate> writeAlpha = alphaWritten is null ? alphaCsv.Write : update =>
        {
            alphaCsv.Write(update);
            alphaWritten(update);
        };

        var stages = new List<(string Name, Task Task, SessionEndKind OnFailure)>
        {
            ("aligner", new AlignerStage(Aligner, ingest, nirsIn is null ? [erpIn, alphaIn] : [erpIn, alphaIn, nirsIn], taps, Lag).RunAsync(abortAll.Token), SessionEndKind.StageFailed),
            ("erp", StageRunner.RunAsync(erpIn, Lag.Observe<EpochOutcome>(Erp.Process), [erpOut, .. sinkEpochs], abortAll.Token), SessionEndKind.StageFailed),
            ("alpha", StageRunner.RunAsync(alphaIn, Lag.Observe<AlphaUpdate>(Alpha.Process), [alphaOut, alphaDisplay, .. sinkAlpha], abortAll.Token), SessionEndKind.StageFailed),
            (DropLogWriter.FileName, StageRunner.DrainAsync<EpochOutcome>(erpOut, LogOutcome, abortAll.Token), SessionEndKind.StageFailed),
            ("alpha csv", StageRunner.DrainAsync(alphaOut, writeAlpha, abortAll.Token), SessionEndKind.StageFailed),
            ("status", StageRunner.DrainAsync(alphaDisplay, u => _latestAlpha = AlphaSnapshot.From(u, Alpha.RegionNames), abortAll.Token), SessionEndKind.StageFailed),
        };
        if (nirsIn is not null)
        {
            stages.Add(("nirs", StageRunner.DrainAsync(nirsIn, Nirs.Process, abortAll.Token), SessionEndKind.StageFailed));
        }
        for (int i = 0; i < _rawSinks.Count; i++)
        {
            // The recorder failing means data would go unrecorded; any other raw consumer (trigger output) is a stage.
            stages.Add((_rawSinks[i].Name, _rawSinks[i].RunAsync(taps[i], abortAll.Token),
                _rawSinks[i] is AcqService.Sinks.Xdf.XdfRecorderSink ? SessionEndKind.RecordingFailed : SessionEndKind.StageFailed));
        }
        for (int i = 0; i < _displayTaps.Count; i++)
        {
            stages.Add((_displayTaps[i].Name, RunDisplayTapAsync(_displayTaps[i], displayTaps[i], abortAll.Token), SessionEndKind.StageFailed));
        }
        for (int i = 0; i < _resultSinks.Count; i++)
        {
            stages.Add((_resultSinks[i].Name, RunResultSinkAsync(_resultSinks[i], sinkAlpha[i], sinkEpochs[i], abortAll.Token), SessionEndKind.StageFailed));
        }
        // A faulted stage stops the sources, so nothing waits forever on an edge nobody reads; a failed recorder stops
        // acquisition because data that cannot be recorded must not be taken as if it were.
        foreach ((string name, Task task, SessionEndKind onFailure) in stages)
        {
            _ = task.ContinueWith(t =>
            {
                if (t.IsFaulted)
                {
                    Exception error = t.Exception!.InnerException ?? t.Exception;
                    // A full disk stops acquisition whichever file hit it first (recording, drop log, alpha CSV): nothing
                    // more can be kept, and the summary must say so in those words.
                    SessionEndKind kind = IsDiskFull(error) ? SessionEndKind.RecordingFailed : onFailure;
                    RequestStop(kind, kind == SessionEndKind.RecordingFailed
                        ? $"the recording could not be written ({error.Message}{(onFailure == SessionEndKind.RecordingFailed ? "" : $", in {name}")}); acquisition stopped so that no data goes unrecorded"
                        : $"stage '{name}' failed: {error.Message}");
                }
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        using var snapshots = new CancellationTokenSource();
        Task snapshotting = WriteSnapshotsAsync(folder, snapshots.Token);
        Task[] sourceTasks = [.. _sources.Select(source => RunSourceAsync(source, ingest, sourceStop.Token, abortAll.Token))];
        Task sourcesDone = Task.WhenAll(sourceTasks);
        // Followers (markers entered by hand) have no end of their own: they end when the other sources have.
        Task[] leaders = [.. sourceTasks.Where((_, i) => _sources[i] is not IFollowerSource)];
        if (leaders.Length > 0 && leaders.Length < sourceTasks.Length)
        {
            _ = Task.WhenAll(leaders).ContinueWith(_ =>
            {
                foreach (IFollowerSource follower in _sources.OfType<IFollowerSource>())
                {
                    follower.EndWithSession();
                }
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        // Sources get the drain timeout to return once stopped; one that hangs must not hold the session forever.
        await Task.WhenAny(sourcesDone, WaitForStopThenDelayAsync(sourceStop.Token, abortAll.Token)).ConfigureAwait(false);
        if (!sourcesDone.IsCompleted)
        {
            string[] hung = [.. _sources.Where((s, i) => !sourceTasks[i].IsCompleted).Select(s => s.Name)];
            AddError($"source(s) {string.Join(", ", hung)} did not stop within {DrainTimeout.TotalSeconds:F0} s; the session ended without them");
        }
        ingest.Complete();

        // Drain: bounded by the shutdown timeout, after which the stages are aborted and the results are what they are.
        Task drained = Task.WhenAll(stages.Select(s => s.Task));
        if (await Task.WhenAny(drained, Task.Delay(DrainTimeout, CancellationToken.None)).ConfigureAwait(false) != drained)
        {
            string[] running = [.. stages.Where(s => !s.Task.IsCompleted).Select(s => s.Name)];
            SetEnd(SessionEndKind.ShutdownTimeout, $"the pipeline did not drain within the shutdown timeout ({DrainTimeout.TotalSeconds:F0} s); " +
                $"still running: {string.Join(", ", running)}; those stages were aborted and their results are incomplete");
            await abortAll.CancelAsync().ConfigureAwait(false);
            await Task.WhenAny(drained, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None)).ConfigureAwait(false);
        }
        foreach ((string name, Task task, _) in stages)
        {
            if (!task.IsCompleted)
            {
                AddError($"stage '{name}' did not end after the abort");
                continue;
            }
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (abortAll.IsCancellationRequested)
            {
                AddError($"stage '{name}' aborted");
            }
            catch (Exception ex)
            {
                LogStageFailed(_logger, ex, name);
                AddError($"stage '{name}' failed: {ex.Message}");
            }
        }
        if (Nirs.IsActive && stages.Single(s => s.Name == DropLogWriter.FileName).Task.IsCompletedSuccessfully)
        {
            // Haemodynamic outcomes go to the drop log after the ERP rows, stream by stream in decision order: the same
            // rows in the same order live and in analyze, whatever the two stages' relative timing was.
            foreach (EpochOutcome outcome in Nirs.Outcomes)
            {
                LogOutcome(outcome);
            }
        }
        await snapshots.CancelAsync().ConfigureAwait(false);
        await snapshotting.ConfigureAwait(false);
        await monitorStop.CancelAsync().ConfigureAwait(false);
        await monitoring.ConfigureAwait(false);
        if (Lag.Verdict is { } overload)
        {
            LogOverloaded(_logger, overload.Message);
        }

        lock (_errors)
        {
            if (_end is null && _sourceFailures > 0)
            {
                SetEnd(SessionEndKind.SourceFailed, _sourceFailures == _sources.Count ? "every source failed (see Errors)" : "a source failed (see Errors); the others ran to their end");
            }
        }
        SetEnd(SessionEndKind.Completed, "every source finished");
        SessionSummary summary = BuildSummary(final: true);
        _metadata.EndedUtc = DateTimeOffset.UtcNow;
        IEnumerable<OutputFileStatus> incremental =
        [
            new(DropLogWriter.FileName, stages.Single(s => s.Name == DropLogWriter.FileName).Task.IsCompletedSuccessfully, ErrorOf(stages, DropLogWriter.FileName)),
            .. Alpha.StreamKeys.Select(k => new OutputFileStatus(AlphaCsvWriter.FileNameFor(k), stages.Single(s => s.Name == "alpha csv").Task.IsCompletedSuccessfully, ErrorOf(stages, "alpha csv"))),
            .. _rawSinks.OfType<AcqService.Sinks.Xdf.XdfRecorderSink>().Select(r => new OutputFileStatus(Path.GetFileName(r.Path), stages.Single(s => s.Name == r.Name).Task.IsCompletedSuccessfully, ErrorOf(stages, r.Name))),
        ];
        folder.Finish(summary, summary.Alpha, Erp.Averages, _metadata, incremental, Nirs.IsActive
            ? (Nirs.Averages, Nirs.Unit, Nirs.Summaries, summary.DropsByReason.Where(d => d.Key.StartsWith("haemodynamic", StringComparison.Ordinal)).ToDictionary(d => d.Key, d => d.Value))
            : null);
        LogFinished(_logger, summary.DurationSeconds, Erp.Accepted, Erp.Dropped, _folder);
        return summary;
    }

    /// <summary>ENOSPC (28) or EDQUOT (122) from the file system, however it surfaced.</summary>
    private static bool IsDiskFull(Exception error) =>
        error is IOException io && ((io.HResult & 0xFFFF) is 28 or 122 || io.Message.Contains("No space left on device", StringComparison.Ordinal)
            || io.Message.Contains("quota", StringComparison.OrdinalIgnoreCase));

    private static string? ErrorOf(List<(string Name, Task Task, SessionEndKind OnFailure)> stages, string name)
    {
        Task task = stages.Single(s => s.Name == name).Task;
        return task.IsCompletedSuccessfully ? null
            : task.IsFaulted ? task.Exception!.InnerException?.Message ?? task.Exception.Message
            : task.IsCanceled ? "aborted" : "still running at the end";
    }

    /// <summary>Completes <see cref="DrainTimeout"/> after the sources were told to stop (never, if they are not).</summary>
    private async Task WaitForStopThenDelayAsync(CancellationToken sourcesStopped, CancellationToken abort)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, sourcesStopped).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stop requested: the sources now have the drain timeout to return.
        }
        try
        {
            await Task.Delay(DrainTimeout, abort).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Aborted: stop waiting at once.
        }
    }

    /// <summary>Rewrites the summaries every <see cref="SummaryInterval"/> until cancelled.</summary>
    private async Task WriteSnapshotsAsync(SessionFolder folder, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(SummaryInterval);
        using CancellationTokenRegistration stop = timer.StopOn(cancellationToken);
        while (await timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            if (folder.UpdateSummary(BuildSummary(final: false)) is string error)
            {
                LogSnapshotFailed(_logger, error);
            }
        }
    }

    private void SetEnd(SessionEndKind kind, string reason)
    {
        double seconds = _startClock > 0 ? _clock() - _startClock : 0;
        Interlocked.CompareExchange(ref _end, new SessionEnd(kind, reason, DateTimeOffset.UtcNow, Math.Max(0, seconds)), null);
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

    /// <summary>A display tap that fails is an error, not a session stop: its edge is drained (chunks released) to the end.</summary>
    private async Task RunDisplayTapAsync(IRawSink sink, Edge<SourceItem> edge, CancellationToken abort)
    {
        try
        {
            await sink.RunAsync(edge, abort).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !abort.IsCancellationRequested)
        {
            LogResultSinkFailed(_logger, ex, sink.Name);
            AddError($"display tap '{sink.Name}' failed: {ex.Message}");
            await StageRunner.DrainAsync(edge, item => item.Chunk?.Release(), abort).ConfigureAwait(false);
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
            Interlocked.Increment(ref _sourceFailures);
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
            catch (System.Threading.Channels.ChannelClosedException)
            {
                // The session stopped waiting for this source (drain timeout); its end is already reported.
                break;
            }
        }
    }

    /// <summary>The summary from the stages' counters; the alpha table only at the end (the analyzer owns it while running).</summary>
    private SessionSummary BuildSummary(bool final)
    {
        var summary = new SessionSummary
        {
            StartedUtc = _metadata.StartedUtc,
            Protocol = _metadata.ProtocolHash is string hash ? "sha256 " + hash : null,
            Ended = final ? _end : new SessionEnd(SessionEndKind.Running, "running", DateTimeOffset.UtcNow, _clock() - _startClock),
        };
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
        bool severalStreams = Erp.StreamKeys.Skip(1).Any();
        if (final)
        {
            foreach (ConditionAverage average in Erp.Averages)
            {
                summary.EpochsPerCondition[severalStreams ? $"{average.StreamKey}:{average.Condition}" : average.Condition] = average.Count;
            }
            summary.Alpha = [.. Alpha.Summaries()];
            foreach (ConditionAverage average in Nirs.Averages)
            {
                summary.HaemodynamicEpochsPerCondition[$"{average.StreamKey}:{average.Condition}"] = average.Count;
            }
            foreach ((string stream, long events) in Nirs.ArtifactEvents)
            {
                summary.MotionArtifactEvents[stream] = events;
            }
            summary.HaemodynamicPrePost = [.. Nirs.Summaries];
        }
        else
        {
            foreach ((string condition, int count) in Erp.CountsByCondition)
            {
                summary.EpochsPerCondition[condition] = count;
            }
        }
        lock (_drops)
        {
            foreach ((string category, int count) in _drops)
            {
                summary.DropsByReason[category] = count;
            }
        }
        summary.Edges = [.. Edges.Edges.Select(e => new EdgeStatistics(e.Name, e.Mode.ToString(), e.Written, e.Dropped))];
        summary.Errors = [.. Errors];
        summary.InputDamage = [.. InputDamage?.Invoke() ?? []];
        return summary;
    }

    private void AddError(string message)
    {
        lock (_errors)
        {
            _errors.Add(message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session starting: {StreamCount} streams, output {Folder}")]
    private static partial void LogStarting(ILogger logger, int streamCount, string folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session finished: {Seconds:F1} s of signal, {Accepted} epochs accepted, {Dropped} markers dropped; results in {Folder}")]
    private static partial void LogFinished(ILogger logger, double seconds, int accepted, int dropped, string folder);

    [LoggerMessage(Level = LogLevel.Error, Message = "Source {Source} failed; its streams end here, the session continues")]
    private static partial void LogSourceFailed(ILogger logger, Exception exception, string source);

    [LoggerMessage(Level = LogLevel.Error, Message = "Result sink {Sink} failed; acquisition and analysis continue without it")]
    private static partial void LogResultSinkFailed(ILogger logger, Exception exception, string sink);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The summary snapshot could not be written: {Error}")]
    private static partial void LogSnapshotFailed(ILogger logger, string error);

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
