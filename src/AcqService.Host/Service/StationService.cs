using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using AcqService.Core.Analysis;
using AcqService.Host.Hosting;
using AcqService.Sessions;
using AcqService.Sinks;
using AcqService.Sources.Manual;
using AcqService.Sources.Profiles;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace AcqService.Host.Service;

/// <summary>
/// The heart of <c>acq serve</c>: runs sessions one after another on request (control API, remote-control port, CLI),
/// each built by the <see cref="SessionFactory"/> from the station profile, with a manual-marker stream so markers
/// entered by hand are recorded and epoched like any other. It owns the one running session; a session that fails
/// is reported and the station carries on. Start/stop transitions are serialised by one semaphore; everything the
/// API reads is an immutable snapshot.
/// </summary>
public sealed partial class StationService : IAsyncDisposable
{
    private readonly IConfiguration _configuration;
    private readonly StationOptions _options;
    private readonly SessionFactory _factory;
    private readonly LiveFeed _feed;
    private readonly Func<double> _clock;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _transition = new(1, 1);
    private readonly List<SessionInfo> _history = [];
    private readonly Lock _historyGate = new();
    private RunningSession? _running;

    /// <summary>Creates the station.</summary>
    /// <param name="configuration">The service configuration (bound afresh for every session).</param>
    /// <param name="options">Section <c>Station</c>.</param>
    /// <param name="profile">The station profile as sessions receive it (simulated devices already replaced by their LSL outlets).</param>
    /// <param name="factory">Session factory.</param>
    /// <param name="watcher">Stream watcher.</param>
    /// <param name="feed">Live feed.</param>
    /// <param name="clock">Session clock.</param>
    /// <param name="logger">Logging.</param>
    public StationService(IConfiguration configuration, StationOptions options, StationProfile profile, SessionFactory factory, StreamWatcher watcher,
        LiveFeed feed, Func<double> clock, ILogger logger)
    {
        _configuration = configuration;
        _options = options;
        Profile = profile;
        _factory = factory;
        Watcher = watcher;
        _feed = feed;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>The station profile.</summary>
    public StationProfile Profile { get; }

    /// <summary>The stream watcher.</summary>
    public StreamWatcher Watcher { get; }

    /// <summary>The live feed.</summary>
    public LiveFeed Feed => _feed;

    /// <summary>The station's settings.</summary>
    public StationOptions Options => _options;

    /// <summary>Where sessions go unless a request says otherwise.</summary>
    public string OutputRoot => Path.GetFullPath(_configuration["Session:OutputRoot"] is { Length: > 0 } root ? root : "sessions");

    /// <summary>The running session, or null.</summary>
    public RunningSession? Current => Volatile.Read(ref _running);

    /// <summary>Sessions run by this service since it started, newest last.</summary>
    public IReadOnlyList<SessionInfo> History
    {
        get
        {
            lock (_historyGate)
            {
                return [.. _history];
            }
        }
    }

    /// <summary>The study catalogue publisher (section <c>Study</c>), or null when the station publishes nowhere; set by the host.</summary>
    public Catalog.CatalogPublisher? Catalog { get; init; }

    /// <summary>Signal checks (<c>acq check</c> through the API); set by the host.</summary>
    public Sessions.Check.SignalChecker? Checker { get; init; }

    /// <summary>The last signal check, or null.</summary>
    public Sessions.Check.CheckReport? LastCheck => Volatile.Read(ref _lastCheck);

    private Sessions.Check.CheckReport? _lastCheck;

    /// <summary>Checks the signals of the station's streams for a few seconds (the same check as <c>acq check</c>); runs beside a session without touching it.</summary>
    /// <exception cref="StationException">Invalid seconds or settings (400), streams not reachable (503).</exception>
    public async Task<Sessions.Check.CheckReport> CheckAsync(double seconds, CancellationToken cancellationToken)
    {
        Sessions.Check.SignalChecker checker = Checker ?? throw new StationException(503, "signal checks are not available in this host");
        if (!(seconds >= Sessions.Check.CheckRequest.MinSeconds && seconds <= Sessions.Check.CheckRequest.MaxSeconds))
        {
            throw new StationException(400, $"seconds must be between {Sessions.Check.CheckRequest.MinSeconds} and {Sessions.Check.CheckRequest.MaxSeconds}");
        }
        (AppSettings settings, List<string> problems) = SettingsLoader.Bind(_configuration, Profile.Profile, Profile.Source);
        if (problems.Count > 0)
        {
            throw new StationException(400, "invalid settings: " + string.Join("; ", problems));
        }
        try
        {
            Sessions.Check.CheckReport report = await checker.RunAsync(new Sessions.Check.CheckRequest
            {
                Profile = Profile.Profile,
                ProfileSource = Profile.Source,
                Settings = settings,
                Seconds = seconds,
                Clock = _clock,
            }, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _lastCheck, report);
            _feed.Publish("check", report);
            return report;
        }
        catch (SessionSetupException ex)
        {
            throw new StationException(ex.IsUsageError ? 400 : 503, ex.Message);
        }
    }

    /// <summary>Station state for the API.</summary>
    public StationState State() => new(
        _options.Name,
        Current is { } r ? r.Phase : "idle",
        Profile.Name,
        Profile.Source,
        Current?.Info(),
        Watcher.Snapshot(),
        History.Count,
        OutputRoot,
        Catalog?.Backlog,
        Catalog is null ? "catalogue: not configured (section Study)" : Catalog.Backlog.ToString());

    /// <summary>Starts a session.</summary>
    /// <exception cref="StationException">A session is running (409), the request is invalid (400), or the session could not be built.</exception>
    public async Task<SessionInfo> StartAsync(StartRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!await _transition.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false))
        {
            throw new StationException(409, "another start or stop is still in progress");
        }
        try
        {
            if (Current is { } running)
            {
                throw new StationException(409, $"session '{running.Id}' is running (started {running.StartedUtc:HH:mm:ss} UTC); stop it first");
            }
            string subject = Label(request.Subject, _options.DefaultSubject, "subject");
            string session = Label(request.Session, _options.DefaultSession, "session");
            string task = Label(request.Task, _options.DefaultTask, "task");
            string run = request.Run is null ? "" : Label(request.Run, "", "run");
            string protocol = request.Protocol ?? _options.DefaultProtocol;
            if (protocol.Length > 200 || protocol.Any(char.IsControl))
            {
                throw new StationException(400, "protocol: at most 200 characters, no control characters");
            }

            (DeviceProfile profile, string profileSource, string profileJson) = (Profile.Profile, Profile.Source, Profile.Json);
            if (!string.IsNullOrEmpty(request.Profile) && request.Profile != Profile.Name && request.Profile != Profile.Source)
            {
                try
                {
                    (profile, profileSource, profileJson) = DefaultProfile.Load(request.Profile);
                }
                catch (ProfileException ex)
                {
                    throw new StationException(400, $"profile '{request.Profile}': {ex.Message}");
                }
            }
            (AppSettings settings, List<string> problems) = SettingsLoader.Bind(_configuration, profile, profileSource);
            if (problems.Count > 0)
            {
                throw new StationException(400, "invalid settings: " + string.Join("; ", problems));
            }
            settings.Session.SubjectId = subject;
            settings.Session.SessionLabel = session;
            settings.Session.Protocol = protocol;
            settings.Session.Task = task;
            settings.Session.Run = run;
            string stamp = DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
            string folder = request.Folder ?? Path.Combine(OutputRoot, $"{stamp}_sub-{subject}_ses-{session}_task-{task}{(run.Length > 0 ? "_run-" + run : "")}");
            folder = Path.GetFullPath(folder);
            if (request.Folder is null && Directory.Exists(folder))
            {
                folder += "-" + Guid.NewGuid().ToString("N")[..4];
            }
            var manual = new ManualMarkerSource(_clock, $"acqservice-manual-{_options.Name}");
            Session built;
            try
            {
                built = await _factory.CreateAsync(new SessionRequest
                {
                    Input = new SessionInput.Devices(profile, profileSource, profileJson),
                    Settings = settings,
                    OutputFolder = folder,
                    DurationSeconds = request.DurationSeconds,
                    Clock = _clock,
                    ManualMarkers = manual,
                    RecordingPath = request.RecordingPath,
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (SessionSetupException ex)
            {
                throw new StationException(ex.IsUsageError ? 400 : 503, ex.Message);
            }
            built.Metadata.Notes.Add($"station: {_options.Name}; started through {request.Origin}");
            if (!string.IsNullOrWhiteSpace(request.Notes))
            {
                built.Metadata.Notes.Add("operator notes: " + request.Notes);
            }
            built.Pipeline.Erp.PublishAverages = true;
            built.Pipeline.Nirs.PublishAverages = true;
            var live = new LiveResults(_feed, Path.GetFileName(folder), built.Pipeline.Alpha.RegionNames, built.Metadata.ClockAtStart);
            built.Pipeline.AddResultSink(live);
            var traces = new TraceBuffer(built.Pipeline.Streams, built.Metadata.ClockAtStart);
            built.Pipeline.AddDisplayTap(traces);
            string? recording = settings.Session.Record ? Path.GetFullPath(request.RecordingPath ?? Path.Combine(folder, settings.Session.RecordingFileName)) : null;
            var current = new RunningSession(built, live, manual, new SessionLabels(subject, session, task, run, protocol, request.Notes ?? ""), recording, request.Origin) { Traces = traces };
            current.Phase = "recording";
            Volatile.Write(ref _running, current);
            current.Completion = Task.Run(() => RunAsync(current));
            LogStarted(_logger, current.Id, request.Origin);
            SessionInfo info = current.Info();
            _feed.Publish("session", info);
            return info;
        }
        finally
        {
            _transition.Release();
        }
    }

    /// <summary>Stops the running session and waits for its results.</summary>
    /// <exception cref="StationException">No session is running (404).</exception>
    public async Task<SessionInfo> StopAsync(string reason, CancellationToken cancellationToken)
    {
        RunningSession running = Current ?? throw new StationException(404, "no session is running");
        running.Phase = "stopping";
        running.Session.Stop(SessionEndKind.OperatorStop, reason);
        _feed.Publish("session", running.Info());
        TimeSpan wait = TimeSpan.FromSeconds(running.Session.Pipeline.DrainTimeout.TotalSeconds + 30);
        try
        {
            return await running.Completion!.WaitAsync(wait, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new StationException(504, $"session '{running.Id}' did not finish within {wait.TotalSeconds:0} s; see its summary.json");
        }
    }

    /// <summary>Puts a marker entered by hand into the running session.</summary>
    /// <exception cref="StationException">No session (404) or an invalid marker (400).</exception>
    public MarkResult Mark(MarkRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        RunningSession running = Current ?? throw new StationException(404, "no session is running; start one before marking events");
        string label = request.ToLabel();
        if (!running.Manual.TryMark(label, request.Code, out double timestamp))
        {
            throw new StationException(503, "the session is not taking markers (it is ending, or 256 markers are still waiting)");
        }
        double sessionTime = timestamp - running.Session.Metadata.ClockAtStart;
        var result = new MarkResult(running.Id, label, request.Code, timestamp, sessionTime, running.Session.Pipeline.Classifier.Classify(label));
        LogMarked(_logger, label, sessionTime);
        _feed.Publish("marker", result);
        return result;
    }

    /// <summary>Stops the running session because the service is stopping (SIGTERM) and waits for its results.</summary>
    public async Task ShutdownAsync(string reason)
    {
        if (Current is { } running)
        {
            running.Session.Stop(SessionEndKind.OperatorStop, reason);
            try
            {
                await running.Completion!.WaitAsync(TimeSpan.FromSeconds(running.Session.Pipeline.DrainTimeout.TotalSeconds + 30)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                LogShutdownTimeout(_logger, running.Id);
            }
        }
    }

    /// <summary>Runs one session to its end; never throws (a failed session must not stop the station).</summary>
    private async Task<SessionInfo> RunAsync(RunningSession running)
    {
        using var watch = new CancellationTokenSource();
        Task guard = StopWhenSourceLostAsync(running, watch.Token);
        SessionInfo info;
        try
        {
            SessionSummary summary = await running.Session.RunAsync(CancellationToken.None).ConfigureAwait(false);
            running.Summary = summary;
        }
        catch (Exception ex)
        {
            running.Failure = ex.Message;
            LogSessionCrashed(_logger, ex, running.Id);
        }
        finally
        {
            await watch.CancelAsync().ConfigureAwait(false);
            await guard.ConfigureAwait(false);
            running.Phase = "ended";
            running.EndedUtc = DateTimeOffset.UtcNow;
            await running.Session.DisposeAsync().ConfigureAwait(false);
            info = running.Info();
            lock (_historyGate)
            {
                _history.Add(info);
            }
            Interlocked.CompareExchange(ref _running, null, running);
        }
        LogEnded(_logger, running.Id, info.End?.Kind.ToString() ?? "failed", info.End?.Reason ?? running.Failure ?? "");
        _feed.Publish("session", info);
        if (Catalog is { } catalog && File.Exists(Path.Combine(running.Session.Folder, SessionOutput.MetadataFile)))
        {
            try
            {
                // Offline first: the entry goes to the local outbox now; the publisher uploads it when the database is reachable.
                await catalog.EnqueueAsync(running.Session.Folder, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                LogCatalogueFailed(_logger, running.Id, ex.Message);
            }
        }
        return info;
    }

    /// <summary>A device that vanishes mid-session ends it as "source failed" instead of recording silence forever.</summary>
    private async Task StopWhenSourceLostAsync(RunningSession running, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(0.5), cancellationToken).ConfigureAwait(false);
                if (running.Session.Pipeline.Lag.Latest is not { } lag)
                {
                    continue;
                }
                foreach (Core.Pipeline.StreamLag stream in lag.Streams)
                {
                    if (stream.SilentSeconds >= _options.SourceLostSeconds && stream.Arrived > 0 && running.Session.Pipeline.Streams.Find(stream.StreamKey)?.Kind == Core.Model.StreamKind.Signal)
                    {
                        running.Session.Stop(SessionEndKind.SourceFailed, string.Create(CultureInfo.InvariantCulture,
                            $"stream '{stream.StreamKey}' delivered no data for {stream.SilentSeconds:0.#} s (Station:SourceLostSeconds = {_options.SourceLostSeconds:0.#}): its device or LSL outlet vanished"));
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The session ended.
        }
    }

    /// <summary>Sessions found under the output root (and the folders this service wrote elsewhere), newest first.</summary>
    public IReadOnlyList<PastSession> PastSessions()
    {
        var folders = new HashSet<string>(StringComparer.Ordinal);
        foreach (SessionInfo info in History)
        {
            folders.Add(info.Folder);
        }
        if (Directory.Exists(OutputRoot))
        {
            foreach (string file in EnumerateSessionFiles(OutputRoot, depth: 6))
            {
                folders.Add(Path.GetDirectoryName(file)!);
            }
        }
        return [.. folders.Where(f => File.Exists(Path.Combine(f, SessionOutput.MetadataFile))).Select(PastSession.Read).OrderByDescending(p => p.StartedUtc)];
    }

    /// <summary>A past session by id.</summary>
    public PastSession? FindPast(string id) => PastSessions().FirstOrDefault(p => p.Id == id);

    private static IEnumerable<string> EnumerateSessionFiles(string root, int depth)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = depth, IgnoreInaccessible = true };
        return Directory.EnumerateFiles(root, SessionOutput.MetadataFile, options);
    }

    private static string Label(string? value, string fallback, string what)
    {
        string v = string.IsNullOrEmpty(value) ? fallback : value;
        if (v.Length == 0 && what == "run")
        {
            return v;
        }
        // BIDS entity labels: letters and digits only — a label that would not survive export is refused now, not later.
        if (v.Length == 0 || v.Length > 64 || !EntityLabel().IsMatch(v))
        {
            throw new StationException(400, $"{what} '{v}' must be 1–64 letters or digits (it becomes a BIDS label and a folder name)");
        }
        return v;
    }

    [GeneratedRegex("^[A-Za-z0-9]+$")]
    private static partial Regex EntityLabel();

    /// <summary>Stops the running session (service shutdown).</summary>
    public async ValueTask DisposeAsync()
    {
        await ShutdownAsync("the service stopped").ConfigureAwait(false);
        _transition.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {Id} started ({Origin})")]
    private static partial void LogStarted(ILogger logger, string id, string origin);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {Id} ended: {Kind} — {Reason}")]
    private static partial void LogEnded(ILogger logger, string id, string kind, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Marker entered by hand: {Label} at {SessionTime:0.000} s")]
    private static partial void LogMarked(ILogger logger, string label, double sessionTime);

    [LoggerMessage(Level = LogLevel.Error, Message = "Session {Id} failed; the station carries on")]
    private static partial void LogSessionCrashed(ILogger logger, Exception exception, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {Id} could not be queued for the study catalogue (it stays in its folder): {Reason}")]
    private static partial void LogCatalogueFailed(ILogger logger, string id, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Session {Id} did not finish during shutdown")]
    private static partial void LogShutdownTimeout(ILogger logger, string id);
}

/// <summary>The station profile: as loaded, and as sessions receive it.</summary>
/// <param name="Profile">The profile sessions use.</param>
/// <param name="Source">Where it came from (path or <c>embedded:…</c>).</param>
/// <param name="Json">Its text (embedded into session.json).</param>
public sealed record StationProfile(DeviceProfile Profile, string Source, string Json)
{
    /// <summary>Profile name.</summary>
    public string Name => Profile.Name;
}

/// <summary>An error the API maps to an HTTP status with a JSON reason.</summary>
/// <param name="status">HTTP status (400, 404, 409, 503…).</param>
/// <param name="message">Reason, for the person or script that asked.</param>
public sealed class StationException(int status, string message) : Exception(message)
{
    /// <summary>HTTP status.</summary>
    public int Status { get; } = status;
}

/// <summary>What a start request may say; everything optional.</summary>
public sealed class StartRequest
{
    /// <summary>Profile file to use instead of the station's.</summary>
    public string? Profile { get; set; }

    /// <summary>Subject (BIDS label: letters and digits).</summary>
    public string? Subject { get; set; }

    /// <summary>Session label.</summary>
    public string? Session { get; set; }

    /// <summary>Task label.</summary>
    public string? Task { get; set; }

    /// <summary>Run label.</summary>
    public string? Run { get; set; }

    /// <summary>Protocol name.</summary>
    public string? Protocol { get; set; }

    /// <summary>Free text kept in session.json.</summary>
    public string? Notes { get; set; }

    /// <summary>Stop after this many seconds (null: until stopped).</summary>
    public double? DurationSeconds { get; set; }

    /// <summary>Session folder (remote control); null for the station's naming.</summary>
    internal string? Folder { get; set; }

    /// <summary>XDF path (remote control's LabRecorder file name); null for the session folder.</summary>
    internal string? RecordingPath { get; set; }

    /// <summary>Who asked (for the log and session.json).</summary>
    internal string Origin { get; set; } = "the control API";
}

/// <summary>A marker entered by hand: either a needle event (<c>event</c>, <c>kind</c>, <c>site</c>) or a free label.</summary>
public sealed partial class MarkRequest
{
    /// <summary>Needle event: <c>insert</c>, <c>manipulate</c>, <c>remove</c> (or another word).</summary>
    public string? Event { get; set; }

    /// <summary><c>real</c> or <c>sham</c> (or another word).</summary>
    public string? Kind { get; set; }

    /// <summary>Acupoint, e.g. <c>ST36</c>.</summary>
    public string? Site { get; set; }

    /// <summary>A complete marker label instead of event/kind/site.</summary>
    public string? Label { get; set; }

    /// <summary>Optional numeric code.</summary>
    public int? Code { get; set; }

    /// <summary>
    /// The marker label: <c>needle/&lt;event&gt;;site=&lt;site&gt;;kind=&lt;kind&gt;;source=manual</c> — the grammar of the
    /// simulated and trigger-box needle markers, so the profile's condition rules classify it the same way.
    /// </summary>
    /// <exception cref="StationException">Invalid fields (400).</exception>
    public string ToLabel()
    {
        if (!string.IsNullOrEmpty(Label))
        {
            if (Label.Length > 256 || Label.Any(char.IsControl))
            {
                throw new StationException(400, "label: at most 256 characters, no control characters");
            }
            if (Event is not null || Kind is not null || Site is not null)
            {
                throw new StationException(400, "give either label, or event/kind/site — not both");
            }
            return Label;
        }
        if (string.IsNullOrEmpty(Event))
        {
            throw new StationException(400, "event is required (insert, manipulate or remove), or give a complete label");
        }
        Check(Event, "event");
        var label = new System.Text.StringBuilder("needle/").Append(Event.ToLowerInvariant());
        if (!string.IsNullOrEmpty(Site))
        {
            Check(Site, "site");
            label.Append(";site=").Append(Site);
        }
        if (!string.IsNullOrEmpty(Kind))
        {
            Check(Kind, "kind");
            label.Append(";kind=").Append(Kind.ToLowerInvariant());
        }
        return label.Append(";source=manual").ToString();
    }

    private static void Check(string value, string field)
    {
        if (value.Length > 32 || !Word().IsMatch(value))
        {
            throw new StationException(400, $"{field} '{value}' must be 1–32 letters, digits, '-' or '_'");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex Word();
}

/// <summary>A marker as entered.</summary>
/// <param name="Session">Session id.</param>
/// <param name="Label">Marker label.</param>
/// <param name="Code">Numeric code.</param>
/// <param name="Timestamp">Session clock (seconds).</param>
/// <param name="SessionTime">Seconds since the session started.</param>
/// <param name="Condition">Condition its label falls under, or null.</param>
public sealed record MarkResult(string Session, string Label, int? Code, double Timestamp, double SessionTime, string? Condition);

/// <summary>Subject, session… of one session.</summary>
/// <param name="Subject">Subject.</param>
/// <param name="Session">Session label.</param>
/// <param name="Task">Task.</param>
/// <param name="Run">Run.</param>
/// <param name="Protocol">Protocol.</param>
/// <param name="Notes">Notes.</param>
public sealed record SessionLabels(string Subject, string Session, string Task, string Run, string Protocol, string Notes);

/// <summary>The station, as the API shows it.</summary>
/// <param name="Station">Station name.</param>
/// <param name="State"><c>idle</c>, <c>starting</c>, <c>recording</c>, <c>stopping</c>.</param>
/// <param name="Profile">Profile name.</param>
/// <param name="ProfileSource">Profile path.</param>
/// <param name="Session">The running session.</param>
/// <param name="Streams">Stream health.</param>
/// <param name="SessionsRun">Sessions since the service started.</param>
/// <param name="OutputRoot">Where sessions go.</param>
/// <param name="Catalogue">The study catalogue's outbox: sessions waiting for upload, last error (null when not configured).</param>
/// <param name="CatalogueStatus">The same in one line for people.</param>
public sealed record StationState(string Station, string State, string Profile, string ProfileSource, SessionInfo? Session, IReadOnlyList<StreamHealth> Streams, int SessionsRun, string OutputRoot,
    Catalog.CatalogBacklog? Catalogue, string CatalogueStatus);

/// <summary>One session, running or ended.</summary>
/// <param name="Id">Id (folder name).</param>
/// <param name="Folder">Session folder.</param>
/// <param name="Recording">XDF file, if recorded.</param>
/// <param name="Phase"><c>starting</c>, <c>recording</c>, <c>stopping</c>, <c>ended</c>.</param>
/// <param name="Labels">Subject, session, task, run, protocol, notes.</param>
/// <param name="StartedUtc">Start.</param>
/// <param name="EndedUtc">End, once ended.</param>
/// <param name="ElapsedSeconds">Seconds since start.</param>
/// <param name="End">How it ended (once ended).</param>
/// <param name="EpochsPerCondition">Accepted epochs per condition.</param>
/// <param name="Dropped">Dropped markers.</param>
/// <param name="DropsByReason">Drops by category.</param>
/// <param name="MarkersByHand">Markers entered by hand.</param>
/// <param name="Errors">Errors (from the summary once ended).</param>
/// <param name="Files">Output files with their state (once ended).</param>
/// <param name="Origin">Who started it.</param>
public sealed record SessionInfo(string Id, string Folder, string? Recording, string Phase, SessionLabels Labels, DateTimeOffset StartedUtc, DateTimeOffset? EndedUtc,
    double ElapsedSeconds, SessionEnd? End, IReadOnlyDictionary<string, int> EpochsPerCondition, int Dropped, IReadOnlyDictionary<string, int> DropsByReason,
    int MarkersByHand, IReadOnlyList<string> Errors, IReadOnlyList<OutputFileStatus> Files, string Origin);

/// <summary>The running session and what the service keeps about it.</summary>
public sealed class RunningSession
{
    internal RunningSession(Session session, LiveResults live, ManualMarkerSource manual, SessionLabels labels, string? recording, string origin)
    {
        Session = session;
        Live = live;
        Manual = manual;
        Labels = labels;
        Origin = origin;
        Recording = recording;
    }

    /// <summary>The session.</summary>
    public Session Session { get; }

    /// <summary>Its live results.</summary>
    public LiveResults Live { get; }

    /// <summary>Its live traces.</summary>
    public TraceBuffer? Traces { get; internal set; }

    /// <summary>Its manual-marker stream.</summary>
    public ManualMarkerSource Manual { get; }

    /// <summary>Subject, session….</summary>
    public SessionLabels Labels { get; }

    /// <summary>Who started it.</summary>
    public string Origin { get; }

    /// <summary>XDF path.</summary>
    public string? Recording { get; internal set; }

    /// <summary>Id (folder name).</summary>
    public string Id => Path.GetFileName(Session.Folder);

    /// <summary>Start time.</summary>
    public DateTimeOffset StartedUtc => Session.Metadata.StartedUtc;

    /// <summary>Phase.</summary>
    public string Phase { get; internal set; } = "starting";

    /// <summary>End time.</summary>
    public DateTimeOffset? EndedUtc { get; internal set; }

    /// <summary>The summary, once ended.</summary>
    public SessionSummary? Summary { get; internal set; }

    /// <summary>Why the session crashed, if it did.</summary>
    public string? Failure { get; internal set; }

    /// <summary>Completes with the final info.</summary>
    public Task<SessionInfo>? Completion { get; internal set; }

    /// <summary>A snapshot for the API.</summary>
    public SessionInfo Info()
    {
        SessionSummary? summary = Summary;
        DateTimeOffset started = StartedUtc == default ? DateTimeOffset.UtcNow : StartedUtc;
        SessionEnd? end = summary?.Ended ?? (Failure is null ? null : new SessionEnd(SessionEndKind.StageFailed, "the session crashed: " + Failure, EndedUtc ?? DateTimeOffset.UtcNow, 0));
        return new SessionInfo(Id, Session.Folder, Recording, Phase, Labels, started, EndedUtc, ((EndedUtc ?? DateTimeOffset.UtcNow) - started).TotalSeconds, end,
            summary?.EpochsPerCondition ?? new Dictionary<string, int>(Session.Pipeline.Erp.CountsByCondition),
            summary?.DropsByReason.Values.Sum() ?? Live.Dropped,
            summary?.DropsByReason ?? Live.DropsByReason(),
            Manual.Entered,
            summary?.Errors ?? [.. Session.Pipeline.Errors],
            summary?.Files ?? [],
            Origin);
    }

    /// <summary>The current ERP averages (immutable snapshots).</summary>
    public IReadOnlyList<ErpAverageSnapshot> ErpAverages => Session.Pipeline.Erp.LatestAverages;
}

/// <summary>A session folder found on disk.</summary>
/// <param name="Id">Id (folder name).</param>
/// <param name="Folder">Folder.</param>
/// <param name="StartedUtc">Start, from session.json.</param>
/// <param name="Subject">Subject.</param>
/// <param name="Ended">How it ended, from summary.json (null if it has none).</param>
/// <param name="Reason">Why.</param>
/// <param name="Files">Files in the folder (name and bytes).</param>
public sealed record PastSession(string Id, string Folder, DateTimeOffset StartedUtc, string? Subject, string? Ended, string? Reason, IReadOnlyList<SessionFile> Files)
{
    /// <summary>Reads a session folder.</summary>
    public static PastSession Read(string folder)
    {
        DateTimeOffset started = Directory.GetCreationTimeUtc(folder);
        string? subject = null, ended = null, reason = null;
        try
        {
            using JsonDocument meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, SessionOutput.MetadataFile)));
            if (meta.RootElement.TryGetProperty("startedUtc", out JsonElement s) && s.TryGetDateTimeOffset(out DateTimeOffset t))
            {
                started = t;
            }
            if (meta.RootElement.TryGetProperty("settings", out JsonElement settings) && settings.ValueKind == JsonValueKind.Object &&
                settings.TryGetProperty("subjectId", out JsonElement subj))
            {
                subject = subj.GetString();
            }
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            reason = "session.json unreadable: " + ex.Message;
        }
        string summaryFile = Path.Combine(folder, "summary.json");
        if (File.Exists(summaryFile))
        {
            try
            {
                using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(summaryFile).TrimEnd('\0', ' ', '\n', '\r'));
                if (summary.RootElement.TryGetProperty("ended", out JsonElement e) && e.ValueKind == JsonValueKind.Object)
                {
                    ended = e.TryGetProperty("kind", out JsonElement k) ? k.ToString() : null;
                    reason = e.TryGetProperty("reason", out JsonElement r) ? r.GetString() : null;
                }
            }
            catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
            {
                reason = "summary.json unreadable: " + ex.Message;
            }
        }
        SessionFile[] files = [.. new DirectoryInfo(folder).EnumerateFiles().OrderBy(f => f.Name, StringComparer.Ordinal).Select(f => new SessionFile(f.Name, f.Length))];
        return new PastSession(Path.GetFileName(folder), folder, started, subject, ended, reason, files);
    }
}

/// <summary>A file of a session folder.</summary>
/// <param name="Name">File name.</param>
/// <param name="Bytes">Size.</param>
public sealed record SessionFile(string Name, long Bytes);
