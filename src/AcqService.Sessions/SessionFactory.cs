using System.Globalization;
using System.Text.Json;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Lsl;
using AcqService.Sessions.Protocols;
using AcqService.Sinks;
using AcqService.Sinks.Lsl;
using AcqService.Sinks.Xdf;
using AcqService.Sources.Drivers;
using AcqService.Sources.Lsl;
using AcqService.Sources.Profiles;
using AcqService.Sources.Serial;
using AcqService.Sources.Simulation;
using AcqService.Sources.Xdf;
using AcqService.Xdf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AcqService.Sessions;

/// <summary>
/// The one place that builds sessions: from a <see cref="SessionRequest"/> (devices of a profile, or a recording, plus
/// settings) it checks everything that can be checked before anything starts, creates the sources through the driver
/// registry, the recorder and the result outlets, and returns a <see cref="Session"/> ready to run. It holds no
/// per-session state, so a long-running host builds session after session with one factory.
/// </summary>
public sealed class SessionFactory
{
    private readonly SourceDriverRegistry _drivers;
    private readonly Func<ILslBackend> _createLsl;
    private readonly ILoggerFactory _loggers;
    private readonly string _version;

    /// <summary>Creates a factory.</summary>
    /// <param name="drivers">Source drivers (default: the built-in ones).</param>
    /// <param name="createLsl">Creates the LSL backend when a session needs one (from the host's <c>Lsl</c> settings); may throw <see cref="SessionSetupException"/>.</param>
    /// <param name="loggers">Logging.</param>
    /// <param name="softwareVersion">Written into the metadata and recordings.</param>
    public SessionFactory(SourceDriverRegistry? drivers, Func<ILslBackend> createLsl, ILoggerFactory? loggers = null, string softwareVersion = "0.0.0")
    {
        _drivers = drivers ?? SourceDriverRegistry.Default;
        _createLsl = createLsl;
        _loggers = loggers ?? NullLoggerFactory.Instance;
        _version = softwareVersion;
    }

    /// <summary>The drivers profiles are checked against.</summary>
    public SourceDriverRegistry Drivers => _drivers;

    /// <summary>Builds a session; nothing runs until <see cref="Session.RunAsync"/>.</summary>
    /// <exception cref="SessionSetupException">Wrong settings or profile, a missing device, a folder or disk that cannot be used.</exception>
    public async Task<Session> CreateAsync(SessionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Input switch
        {
            SessionInput.Devices devices => await CreateLiveAsync(request, devices, cancellationToken).ConfigureAwait(false),
            SessionInput.Recording recording => CreateAnalysis(request, recording),
            _ => throw new ArgumentException("unknown session input", nameof(request)),
        };
    }

    private async Task<Session> CreateLiveAsync(SessionRequest request, SessionInput.Devices input, CancellationToken cancellationToken)
    {
        AppSettings settings = request.Settings;
        DeviceProfile profile = input.Profile;
        // A locked protocol brings its own (possibly blinded) conditions and regions; see Protocols/ProtocolLock.cs.
        ProtocolLock? locked = settings.Protocol;
        SessionPlan plan = locked is null ? PlanOf(settings, ProfileLoader.Conditions(profile), labelsAsConditions: false, profile.Regions)
            : PlanOf(settings, [.. locked.Conditions], labelsAsConditions: false, locked.Regions.ToDictionary(kv => kv.Key, kv => kv.Value));
        string folder = ResolveFolder(request, profile.Name);
        bool overLsl = request.Transport == SimulatedTransport.Lsl;
        if (overLsl)
        {
            if (request.Pace == SimulationPace.Fast)
            {
                // LSL keeps no history and the EEG and marker inlets are independent TCP streams: as fast as possible, one
                // could run far ahead of the other, and results would depend on scheduling instead of on timestamps.
                throw new SessionSetupException("fast pace runs the simulated devices in-process only; use the direct transport (--transport direct), or live pace (--pace live) for LSL", isUsageError: true);
            }
            if (!profile.Streams.Any(_drivers.IsSimulated))
            {
                throw new SessionSetupException($"the LSL transport applies to simulated devices, and {input.Source} has none (its LSL streams are received over LSL anyway)", isUsageError: true);
            }
        }
        if (request.ManualMarkers is { } hand && profile.Streams.Any(s => string.Equals(s.Key, hand.Stream.Key, StringComparison.OrdinalIgnoreCase)))
        {
            throw new SessionSetupException($"{input.Source}: stream key '{hand.Stream.Key}' is reserved for markers entered by hand; rename that stream", isUsageError: true);
        }
        Func<double> clock = request.Clock ?? LocalClock.Now;
        ILogger sourceLogger = _loggers.CreateLogger("AcqService.Sources");
        ILslBackend? lsl = overLsl || _drivers.UsesLsl(profile) ? _createLsl() : null;
        SimulatedLslTransport? transport = null;
        IReadOnlyList<ISource> sources;
        var notes = new List<string>();
        var banner = new List<string>();
        try
        {
            DeviceProfile sourceProfile = profile;
            if (overLsl)
            {
                transport = SimulatedLslTransport.Create(profile, settings.Simulation, request.DurationSeconds, lsl!);
                sourceProfile = transport.ReceiverProfile;
                banner.Add("Simulator outlets (LSL, this process):");
                banner.Add("  EEG:     " + LslDiscoveryHelp.Describe(transport.Publisher.EegStream));
                banner.Add("  markers: " + LslDiscoveryHelp.Describe(transport.Publisher.MarkerStream));
                if (transport.Publisher.NirsStream is LslStreamInfo nirsOutlet)
                {
                    banner.Add("  fNIRS:   " + LslDiscoveryHelp.Describe(nirsOutlet));
                }
                notes.Add($"transport: lsl — the simulated devices were published as LSL outlets in this process (source_ids acqservice-<key>-{transport.RunId}) and received through LSL inlets");
            }
            var context = new SourceContext
            {
                Clock = clock,
                Simulation = settings.Simulation,
                Pace = request.Pace,
                DurationSeconds = request.DurationSeconds,
                Lsl = lsl,
                Logger = sourceLogger,
            };
            sources = await _drivers.CreateAsync(sourceProfile, context, cancellationToken).ConfigureAwait(false);
            if (request.ManualMarkers is { } manual)
            {
                sources = [.. sources, manual];
                notes.Add("manual markers: markers entered by hand are the marker stream 'manual', stamped with the session clock");
            }
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or LslSourceException or OperationCanceledException)
        {
            transport?.Dispose();
            lsl?.Dispose();
            if (ex is OperationCanceledException)
            {
                throw;
            }
            throw new SessionSetupException($"{input.Source}: {ex.Message}", isUsageError: ex is not LslSourceException, ex);
        }

        try
        {
            var metadata = new SessionMetadata
            {
                Mode = request.Pace == SimulationPace.Fast ? "fast" : "live",
                ProfileName = profile.Name,
                ProfileSource = input.Source,
                Profile = ParseJson(locked?.Blinding is Blinding b ? b.BlindText(input.Json) : input.Json),
                SoftwareVersion = _version,
                ProtocolHash = locked?.Sha256,
                Settings = new DeviceSessionSettings
                {
                    Epochs = settings.Epochs, Alpha = settings.Alpha, Aligner = settings.Aligner, Simulation = settings.Simulation, DurationSeconds = request.DurationSeconds,
                    Transport = overLsl ? "lsl" : "direct", SubjectId = settings.Session.SubjectId, SessionLabel = settings.Session.SessionLabel, Protocol = settings.Session.Protocol,
                    Task = settings.Session.Task, Run = settings.Session.Run,
                },
            };
            metadata.Notes.AddRange(notes);
            if (locked is not null)
            {
                metadata.Notes.Add($"protocol: '{locked.Name}' locked, sha256 {locked.Sha256}; analysis settings, conditions and regions from the lock"
                    + (locked.IsBlinded ? $"; blinded (conditions shown as {string.Join("/", locked.BlindingCodes)})" : ""));
            }
            IRawSink[] triggers = profile.TriggerOutput is JsonElement trigger && trigger.ValueKind != JsonValueKind.Null
                ? [new SerialTriggerOutput(TriggerOutputOptions.Parse(trigger, "$.triggerOutput"), logger: _loggers.CreateLogger("AcqService.TriggerOutput"))]
                : [];
            return Assemble(request, sources, plan, folder, metadata, lsl, transport, clock, banner,
                $"{profile.Name} ({input.Source}), {(request.DurationSeconds is double d ? d.ToString(CultureInfo.InvariantCulture) + " s" : "until stopped")}, {metadata.Mode} pace{(transport is null ? "" : ", simulated devices over LSL")}",
                damage: null, triggers);
        }
        catch
        {
            foreach (IDisposable d in sources.OfType<IDisposable>())
            {
                d.Dispose();
            }
            transport?.Dispose();
            lsl?.Dispose();
            throw;
        }
    }

    private Session CreateAnalysis(SessionRequest request, SessionInput.Recording input)
    {
        AppSettings settings = request.Settings;
        XdfReplaySource source;
        try
        {
            source = XdfReplayFactory.Open(input.Path, input.Replay, _loggers.CreateLogger("AcqService.Replay"));
        }
        catch (Exception ex) when (ex is InvalidDataException or XdfFormatException or IOException or ArgumentException or UnauthorizedAccessException)
        {
            throw new SessionSetupException(ex.Message, isUsageError: false, ex);
        }
        // Conditions: a profile given now > the rules stored in the recording (ours: same as live) > one per label.
        List<ConditionRule> rules = input.LabelsAsConditions ? []
            : input.Profile is not null ? ProfileLoader.Conditions(input.Profile)
            : source.Metadata?.ConditionRules ?? [];
        var labels = new HashSet<string>(source.Streams.SelectMany(s => s.Channels.Select(c => c.Label)), StringComparer.OrdinalIgnoreCase);
        Dictionary<string, List<string>> regions = input.Profile?.Regions ?? DefaultRegionsFor(labels);
        SessionPlan plan = PlanOf(settings, rules, rules.Count == 0, regions);
        // A recording may legitimately be analysed slower than real time: no overload stop.
        plan.Aligner.MaxLagSeconds = 0;
        if (input.Replay.Pace == ReplayPace.Fast)
        {
            // A file needs no jitter buffer. With live-sized edges (1024 chunks each) the reader runs ~200 s of data ahead
            // of the analyzers, and those chunks are memory touched once and paged in for nothing (100 MB for 64 channels);
            // 128 chunks still keep every stage busy.
            plan.Pipeline.DataEdge = new EdgePolicy(128, EdgeMode.Wait);
        }
        string folder = ResolveFolder(request, "analyze-" + Path.GetFileNameWithoutExtension(input.Path));
        var metadata = new SessionMetadata
        {
            Mode = "analyze",
            ProfileName = input.Profile?.Name ?? "(from recording)",
            ProfileSource = input.Path,
            Profile = input.ProfileSource is null ? null : ParseJson(File.ReadAllText(input.ProfileSource)),
            SoftwareVersion = _version,
            Settings = new RecordingAnalysisSettings
            {
                Epochs = settings.Epochs, Alpha = settings.Alpha, Aligner = settings.Aligner, Conditions = rules, LabelsAsConditions = rules.Count == 0, Regions = regions, Recording = input.Path,
            },
            ClockAtStart = source.Metadata?.ClockAtStart ?? FirstTimestamp(input.Path),
        };
        metadata.Notes.Add(rules.Count == 0 ? "conditions: one per distinct marker label"
            : input.Profile is not null ? $"conditions: from profile {input.ProfileSource}" : "conditions: the rules stored in the recording");
        // Analysis writes no new recording: the input is the recording.
        var analysis = new AppSettings
        {
            Session = CopyWithoutRecording(settings.Session), Epochs = settings.Epochs, Alpha = settings.Alpha, Aligner = settings.Aligner, Simulation = settings.Simulation,
            Haemoglobin = settings.Haemoglobin, Haemodynamic = settings.Haemodynamic,
        };
        var analysisRequest = new SessionRequest { Input = input, Settings = analysis, OutputFolder = folder, DurationSeconds = null, Pace = SimulationPace.Fast, Clock = request.Clock };
        return Assemble(analysisRequest, [source], plan, folder, metadata, lsl: null, transport: null, request.Clock ?? LocalClock.Now, [],
            $"analyzing {input.Path} ({string.Join(", ", source.Streams.Select(s => $"{s.Key} {s.Type}"))})",
            damage: () => source.IsDamaged
                ? [$"{source.DamagedChunks} damaged chunk(s) skipped, {source.SkippedSamples} sample(s) and {source.SkippedBytes} byte(s) unreadable", .. source.Diagnostics.Select(d => d.ToString())]
                : []);
    }

    /// <summary>Recorder, session, result outlets: the same for live and analysis.</summary>
    private Session Assemble(SessionRequest request, IReadOnlyList<ISource> sources, SessionPlan plan, string folder, SessionMetadata metadata, ILslBackend? lsl,
        SimulatedLslTransport? transport, Func<double> clock, List<string> banner, string title, Func<IReadOnlyList<string>>? damage, IReadOnlyList<IRawSink>? extraSinks = null)
    {
        SessionOptions options = request.Settings.Session;
        string? recording = null;
        if (options.Record)
        {
            recording = request.RecordingPath is string path ? Path.GetFullPath(path) : Path.Combine(folder, options.RecordingFileName);
            try
            {
                Directory.CreateDirectory(folder);
                Directory.CreateDirectory(Path.GetDirectoryName(recording)!);
                XdfPreflightResult preflight = XdfRecorderSink.Preflight(recording, XdfRecorderSink.EstimateBytesPerSecond(sources.SelectMany(s => s.Streams)), request.DurationSeconds ?? 3600);
                if (preflight.RenamedExisting is not null)
                {
                    banner.Add($"An existing recording was renamed to {preflight.RenamedExisting}");
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new SessionSetupException($"cannot record to {recording}: {ex.Message}", isUsageError: false, ex);
            }
            metadata.Notes.Add(request.RecordingPath is null ? $"raw recording: {Path.GetFileName(recording)}" : $"raw recording: {recording}");
        }
        // Which device each stream comes from, printed at start (two amplifiers on the network must never be confused).
        foreach (ISource source in sources.Where(s => s is LslSource))
        {
            foreach (StreamDescriptor s in source.Streams)
            {
                string line = $"{s.Key} ← LSL '{s.Name}' source_id '{s.SourceId}' on host '{s.Hostname}' ({((LslSource)source).Selection})";
                banner.Add("  " + line);
                metadata.Notes.Add("stream " + line);
            }
        }
        if (metadata.ClockAtStart <= 0)
        {
            metadata.ClockAtStart = clock();
        }
        IReadOnlyList<IRawSink> recorder = recording is null ? [] :
        [
            new XdfRecorderSink(recording, [.. sources.SelectMany(s => s.Streams)], new RecordingMetadata
            {
                ClockAtStart = metadata.ClockAtStart,
                SubjectId = options.SubjectId,
                SessionId = options.SessionLabel,
                Protocol = options.Protocol,
                ConditionRules = plan.Conditions,
                SoftwareVersion = "AcqService " + _version,
                ProtocolHash = metadata.ProtocolHash,
            }, _loggers.CreateLogger("AcqService.Recorder")),
        ];
        IReadOnlyList<IRawSink> rawSinks = [.. recorder, .. extraSinks ?? []];
        AcquisitionSession pipeline;
        try
        {
            // Blinded protocol: marker labels are coded as they leave the sources; the Session keeps the sources
            // themselves (disposal, LSL banner and delivery counts).
            IReadOnlyList<ISource> piped = request.Settings.Protocol?.Blinding is Blinding blinding ? [.. sources.Select(blinding.Wrap)] : sources;
            pipeline = new AcquisitionSession(piped, plan, folder, metadata, clock, rawSinks, _loggers.CreateLogger("AcqService.Session"))
            {
                DrainTimeout = TimeSpan.FromSeconds(options.ShutdownTimeoutSeconds),
                InputDamage = damage,
            };
        }
        catch (ArgumentException ex)
        {
            throw new SessionSetupException(ex.Message, isUsageError: true, ex);
        }
        LslResultPublisher? publisher = null;
        if (lsl is not null && options.PublishResultsOverLsl)
        {
            // Display edges feed the publisher: a slow LSL consumer can only cost dropped (counted) result samples.
            publisher = new LslResultPublisher(lsl, pipeline.Streams, pipeline.Alpha, plan.Alpha, sourceIdPrefix: "acqservice-" + Path.GetFileName(folder), logger: _loggers.CreateLogger("AcqService.Results"),
                nirs: pipeline.Nirs.IsActive ? pipeline.Nirs : null);
            pipeline.AddResultSink(publisher);
        }
        banner.Insert(0, $"AcqService {_version}: {title}{(recording is null ? "" : ", recording to " + Path.GetFileName(recording))}");
        return new Session(pipeline, sources, folder, metadata, banner, request.DurationSeconds, lsl, transport, publisher);
    }

    /// <summary>Analysis settings, conditions and regions; every problem listed at once.</summary>
    private static SessionPlan PlanOf(AppSettings settings, List<ConditionRule> conditions, bool labelsAsConditions, Dictionary<string, List<string>> regions)
    {
        var plan = new SessionPlan
        {
            Aligner = settings.Aligner,
            Epochs = settings.Epochs,
            Alpha = settings.Alpha,
            Haemoglobin = settings.Haemoglobin,
            Haemodynamic = settings.Haemodynamic,
            Conditions = conditions,
            LabelsAsConditions = labelsAsConditions,
            Regions = regions,
        };
        IReadOnlyList<string> problems = [.. settings.Session.Validate(), .. plan.Validate()];
        if (problems.Count > 0)
        {
            throw new SessionSetupException("invalid settings:\n  " + string.Join("\n  ", problems), isUsageError: true);
        }
        return plan;
    }

    private static string ResolveFolder(SessionRequest request, string name)
    {
        string folder = Path.GetFullPath(request.OutputFolder ?? Path.Combine(request.Settings.Session.OutputRoot, $"{DateTime.Now:yyyyMMdd-HHmmss}-{name}"));
        if (File.Exists(Path.Combine(folder, SessionOutput.MetadataFile)))
        {
            throw new SessionSetupException($"'{folder}' already holds a session; choose another output folder (nothing is overwritten)", isUsageError: true);
        }
        if (File.Exists(folder))
        {
            throw new SessionSetupException($"'{folder}' is a file, not a folder; choose another output folder", isUsageError: true);
        }
        return folder;
    }

    private static SessionOptions CopyWithoutRecording(SessionOptions o) => new()
    {
        OutputRoot = o.OutputRoot,
        StatusIntervalSeconds = o.StatusIntervalSeconds,
        ShutdownTimeoutSeconds = o.ShutdownTimeoutSeconds,
        Record = false,
        RecordingFileName = o.RecordingFileName,
        SubjectId = o.SubjectId,
        SessionLabel = o.SessionLabel,
        Protocol = o.Protocol,
        Task = o.Task,
        Run = o.Run,
        PublishResultsOverLsl = false,
    };

    /// <summary>Parses a JSON document for embedding in session.json.</summary>
    private static JsonElement ParseJson(string json)
    {
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return document.RootElement.Clone();
    }

    /// <summary>First sample timestamp in the file (session-time origin for recordings made by other tools).</summary>
    private static double FirstTimestamp(string file)
    {
        using XdfReader reader = XdfReader.Open(file);
        while (reader.TryReadChunk(out XdfChunk? chunk))
        {
            if (chunk is XdfSamplesChunk { Timestamps.Length: > 0 } samples)
            {
                return samples.Timestamps[0];
            }
        }
        return 0;
    }

    /// <summary>The default profile's regions restricted to the channels the file has (regions left empty are dropped).</summary>
    private static Dictionary<string, List<string>> DefaultRegionsFor(HashSet<string> labels)
    {
        var regions = new Dictionary<string, List<string>>();
        foreach ((string name, List<string> members) in DefaultProfile.Load(null).Profile.Regions)
        {
            List<string> present = [.. members.Where(labels.Contains)];
            if (present.Count > 0)
            {
                regions[name] = present;
            }
        }
        return regions;
    }
}
