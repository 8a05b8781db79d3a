using System.Text.Json;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Profiles;
using AcqService.Sources.Drivers;
using AcqService.Sources.Simulation;
using AcqService.Lsl;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using AcqService.Core;

namespace AcqService.Sources.Profiles;

/// <summary>Reads a profile's simulation settings, and builds a profile's sources with the built-in drivers (for tests and benchmarks; sessions go through the session factory).</summary>
public static class SourceBuilder
{
    private static readonly JsonSerializerOptions s_simulationJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        TypeInfoResolver = ProfileJsonContext.Default,
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
            settings = element.Deserialize(s_simulationJson.TypeInfo<SimulationSettings>()) ?? new SimulationSettings();
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

    /// <summary>Builds the sources of a profile with the built-in drivers (blocking while LSL streams are resolved; see <see cref="BuildAsync"/>).</summary>
    /// <param name="profile">Validated profile.</param>
    /// <param name="simulation">Simulation settings (for the simulated drivers).</param>
    /// <param name="pace">Simulation pace.</param>
    /// <param name="durationSeconds">Simulated duration, or null to run until stopped.</param>
    /// <param name="clock">Local clock.</param>
    /// <param name="lsl">LSL backend for streams with driver <c>lsl</c> (null when the profile has none).</param>
    /// <param name="logger">Logger for the LSL sources.</param>
    /// <returns>The sources, and the simulation rig when the profile uses simulated devices (ground truth).</returns>
    public static (IReadOnlyList<ISource> Sources, SimulationRig? Rig) Build(DeviceProfile profile, SimulationSettings simulation, SimulationPace pace, double? durationSeconds, Func<double> clock,
        ILslBackend? lsl = null, ILogger? logger = null) =>
        BuildAsync(profile, simulation, pace, durationSeconds, clock, lsl, logger, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Builds the sources of a profile with the built-in drivers (<see cref="SourceDriverRegistry.Default"/>).</summary>
    /// <param name="profile">Validated profile.</param>
    /// <param name="simulation">Simulation settings (for the simulated drivers).</param>
    /// <param name="pace">Simulation pace.</param>
    /// <param name="durationSeconds">Simulated duration, or null to run until stopped.</param>
    /// <param name="clock">Local clock.</param>
    /// <param name="lsl">LSL backend for streams with driver <c>lsl</c> (null when the profile has none).</param>
    /// <param name="logger">Logger for the LSL sources.</param>
    /// <param name="cancellationToken">Cancels the LSL resolves.</param>
    /// <returns>The sources, and the simulation rig when the profile uses simulated devices (ground truth).</returns>
    public static async Task<(IReadOnlyList<ISource> Sources, SimulationRig? Rig)> BuildAsync(DeviceProfile profile, SimulationSettings simulation, SimulationPace pace, double? durationSeconds,
        Func<double> clock, ILslBackend? lsl, ILogger? logger, CancellationToken cancellationToken)
    {
        var context = new SourceContext { Clock = clock, Simulation = simulation, Pace = pace, DurationSeconds = durationSeconds, Lsl = lsl, Logger = logger ?? NullLogger.Instance };
        IReadOnlyList<ISource> sources = await SourceDriverRegistry.Default.CreateAsync(profile, context, cancellationToken).ConfigureAwait(false);
        return (sources, context.Rig);
    }
}
