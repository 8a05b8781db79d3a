using System.Text.Json;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Core.Profiles;
using AcqService.Devices.Simulation;

namespace AcqService.Devices.Profiles;

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

    /// <summary>Builds the sources of a profile.</summary>
    /// <param name="profile">Validated profile.</param>
    /// <param name="simulation">Simulation settings (for the simulated drivers).</param>
    /// <param name="pace">Simulation pace.</param>
    /// <param name="durationSeconds">Simulated duration, or null to run until stopped.</param>
    /// <param name="clock">Local clock.</param>
    /// <returns>The sources, and the simulation rig when the profile uses simulated devices (ground truth).</returns>
    /// <exception cref="NotSupportedException">A driver is not available in this build.</exception>
    public static (IReadOnlyList<ISource> Sources, SimulationRig? Rig) Build(DeviceProfile profile, SimulationSettings simulation, SimulationPace pace, double? durationSeconds, Func<double> clock)
    {
        var sources = new List<ISource>();
        SimulationRig? rig = null;
        StreamProfile? eeg = profile.Streams.FirstOrDefault(s => s.Source.Driver == "simulated-eeg");
        StreamProfile? needle = profile.Streams.FirstOrDefault(s => s.Source.Driver == "simulated-needle");
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
            rig = new SimulationRig(simulation, ProfileLoader.ToDescriptor(eeg), ProfileLoader.ToDescriptor(needle), pace, durationSeconds, clock);
            sources.AddRange(rig.Sources);
        }
        foreach (StreamProfile stream in profile.Streams.Where(s => s.Source.Driver is not ("simulated-eeg" or "simulated-needle")))
        {
            throw new NotSupportedException($"stream '{stream.Key}': driver '{stream.Source.Driver}' is not available in this build");
        }
        return (sources, rig);
    }
}
