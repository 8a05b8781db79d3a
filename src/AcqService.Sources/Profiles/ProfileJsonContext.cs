using System.Text.Json.Serialization;
using AcqService.Sources.Simulation;

namespace AcqService.Sources.Profiles;

/// <summary>
/// Compile-time JSON contracts for the profile types, used through <see cref="ProfileLoader"/>'s and
/// <see cref="SourceBuilder"/>'s own options (their naming, strictness and comment rules apply unchanged).
/// </summary>
/// <remarks>
/// Why: every command reads a profile first, and building these contracts by reflection at run time (with emitted
/// accessors) compiled hundreds of methods at each start; the generated ones behave the same (JsonContractTests).
/// </remarks>
[JsonSerializable(typeof(DeviceProfile))]
[JsonSerializable(typeof(SimulationSettings))]
internal sealed partial class ProfileJsonContext : JsonSerializerContext;
