using System.Text.Json;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Core.Profiles;
using AcqService.Sources.Lsl;
using AcqService.Sources.Simulation;
using AcqService.Lsl;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AcqService.Sources.Profiles;

/// <summary>Turns a validated device profile into pipeline sources (one driver implementation per <c>source.driver</c>).</summary>
public static class SourceBuilder
{
    private static readonly JsonSerializerOptions s_simulationJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Reads the profile's <c>simulation</c> object into settings (unknown fields and wrong types are errors naming the field).</summary>
    /// <exception cref="ProfileException">The object is invalid.</exception>
    public static SimulationSettings SimulationSettingsOf(DeviceProfile profile, string source)
    {
        if (profile.Simulation is not JsonElement element || element.ValueKind == JsonValueKind.Null)
        {
            return new SimulationSettings();
        }
        SimulationSettings settings;
        try
        {
            settings = element.Deserialize<SimulationSettings>(s_simulationJson) ?? new SimulationSettings();
        }
        catch (JsonException ex)
        {
            string path = "$.simulation" + (ex.Path is { Length: > 1 } p ? p[1..] : "");
            string message = ex.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? "unknown field " + ex.Message.Split('\'')[1]
                : "wrong type or value";
            throw new ProfileException(source, [$"{path}: {message}"]);
        }
        string[] problems = [.. settings.Validate().Select(p => "$.simulation: " + p)];
        if (problems.Length > 0)
        {
            throw new ProfileException(source, problems);
        }
        return settings;
    }

    /// <summary>Builds the sources of a profile (blocking while LSL streams are resolved; see <see cref="BuildAsync"/>).</summary>
    /// <param name="profile">Validated profile.</param>
    /// <param name="simulation">Simulation settings (for the simulated drivers).</param>
    /// <param name="pace">Simulation pace.</param>
    /// <param name="durationSeconds">Simulated duration, or null to run until stopped.</param>
    /// <param name="clock">Local clock.</param>
    /// <param name="lsl">LSL backend for streams with driver <c>lsl</c> (null when the profile has none).</param>
    /// <param name="logger">Logger for the LSL sources.</param>
    /// <returns>The sources, and the simulation rig when the profile uses simulated devices (ground truth).</returns>
    /// <exception cref="NotSupportedException">A driver is not available in this build, or <c>lsl</c> without a backend.</exception>
    /// <exception cref="LslSourceException">An LSL stream was not found, is ambiguous or does not match the profile.</exception>
    public static (IReadOnlyList<ISource> Sources, SimulationRig? Rig) Build(DeviceProfile profile, SimulationSettings simulation, SimulationPace pace, double? durationSeconds, Func<double> clock,
        ILslBackend? lsl = null, ILogger? logger = null) =>
        BuildAsync(profile, simulation, pace, durationSeconds, clock, lsl, logger, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// Builds the sources of a profile. LSL streams are resolved, connected and checked here, in parallel, each
    /// within its <c>resolveTimeoutSeconds</c>, because their descriptors (channels, rate, source_id) come from the
    /// stream itself and must be known before the session registers them.
    /// </summary>
    /// <param name="profile">Validated profile.</param>
    /// <param name="simulation">Simulation settings (for the simulated drivers).</param>
    /// <param name="pace">Simulation pace.</param>
    /// <param name="durationSeconds">Simulated duration, or null to run until stopped.</param>
    /// <param name="clock">Local clock.</param>
    /// <param name="lsl">LSL backend for streams with driver <c>lsl</c> (null when the profile has none).</param>
    /// <param name="logger">Logger for the LSL sources.</param>
    /// <param name="cancellationToken">Cancels the LSL resolves.</param>
    /// <returns>The sources, and the simulation rig when the profile uses simulated devices (ground truth).</returns>
    /// <exception cref="NotSupportedException">A driver is not available in this build, or <c>lsl</c> without a backend.</exception>
    /// <exception cref="LslSourceException">An LSL stream was not found, is ambiguous or does not match the profile (all failures in one message).</exception>
    public static async Task<(IReadOnlyList<ISource> Sources, SimulationRig? Rig)> BuildAsync(DeviceProfile profile, SimulationSettings simulation, SimulationPace pace, double? durationSeconds,
        Func<double> clock, ILslBackend? lsl, ILogger? logger, CancellationToken cancellationToken)
    {
        var sources = new List<ISource>();
        SimulationRig? rig = null;
        StreamProfile? eeg = profile.Streams.FirstOrDefault(s => s.Source.Driver == "simulated-eeg");
        StreamProfile? needle = profile.Streams.FirstOrDefault(s => s.Source.Driver == "simulated-needle");
        StreamProfile? nirs = profile.Streams.FirstOrDefault(s => s.Source.Driver == "simulated-nirs");
        if (nirs is not null && (eeg is null || needle is null))
        {
            // The fNIRS simulator responds to the needle schedule and is paced by the EEG source at fast pace.
            throw new NotSupportedException($"stream '{nirs.Key}': the 'simulated-nirs' driver needs a 'simulated-eeg' and a 'simulated-needle' stream in the same profile");
        }
        if (profile.Streams.Count(s => s.Source.Driver == "simulated-nirs") > 1)
        {
            throw new NotSupportedException("a profile can have only one simulated NIRS stream");
        }
        if (nirs is not null && nirs.Kind != "signal")
        {
            throw new NotSupportedException($"stream '{nirs.Key}': the 'simulated-nirs' driver produces a signal stream");
        }
        if (eeg is not null || needle is not null)
        {
            if (eeg is null || needle is null)
            {
                throw new NotSupportedException("the simulated drivers come as a pair: one 'simulated-eeg' stream and one 'simulated-needle' stream");
            }
            if (profile.Streams.Count(s => s.Source.Driver == "simulated-eeg") > 1 || profile.Streams.Count(s => s.Source.Driver == "simulated-needle") > 1)
            {
                throw new NotSupportedException("a profile can have only one simulated EEG and one simulated needle stream");
            }
            rig = new SimulationRig(simulation, ProfileLoader.ToDescriptor(eeg), ProfileLoader.ToDescriptor(needle), nirs is null ? null : ProfileLoader.ToDescriptor(nirs), pace, durationSeconds, clock);
            sources.AddRange(rig.Sources);
        }
        foreach (StreamProfile stream in profile.Streams.Where(s => s.Source.Driver is not ("simulated-eeg" or "simulated-needle" or "simulated-nirs" or "lsl")))
        {
            throw new NotSupportedException($"stream '{stream.Key}': driver '{stream.Source.Driver}' is not available in this build");
        }
        StreamProfile[] lslStreams = [.. profile.Streams.Where(s => s.Source.Driver == "lsl")];
        if (lslStreams.Length == 0)
        {
            return (sources, rig);
        }
        if (lsl is null)
        {
            throw new NotSupportedException($"stream '{lslStreams[0].Key}': driver 'lsl' needs an LSL backend (configuration section 'Lsl')");
        }
        ILogger log = logger ?? NullLogger.Instance;
        Task<ISource>[] connecting = [.. lslStreams.Select(async s => s.Kind == "signal"
            ? (ISource)await LslSignalSource.ConnectAsync(s, lsl, log, cancellationToken).ConfigureAwait(false)
            : await LslMarkerSource.ConnectAsync(s, lsl, log, cancellationToken).ConfigureAwait(false))];
        try
        {
            await Task.WhenAll(connecting).ConfigureAwait(false);
        }
        catch
        {
            // Close the inlets that did connect, then report every stream that failed, not just the first.
            foreach (Task<ISource> task in connecting.Where(t => t.IsCompletedSuccessfully))
            {
                (task.Result as IDisposable)?.Dispose();
            }
            Exception[] failures = [.. connecting.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions)];
            if (failures.Length == 0)
            {
                throw;
            }
            if (failures.Length == 1 || failures.Any(f => f is not LslSourceException))
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failures.FirstOrDefault(f => f is not LslSourceException) ?? failures[0]);
            }
            // Every not-found message carries the same discovery hints; say them once.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            string combined = string.Join("\n", failures.SelectMany(f => f.Message.Split('\n')).Where(line => !line.StartsWith("  ", StringComparison.Ordinal) || seen.Add(line)));
            throw new LslSourceException(combined, failures[0]);
        }
        sources.AddRange(connecting.Select(t => t.Result));
        return (sources, rig);
    }
}
