using System.Text.Json;
using System.Text.Json.Serialization;
using AcqService.Sources.Simulation;

namespace AcqService.Sources.Profiles;

/// <summary>
/// Compile-time JSON contracts for the profile types, used through <see cref="ProfileLoader"/>'s and
/// <see cref="SourceBuilder"/>'s own options (their naming, strictness and comment rules apply unchanged), and with its
/// default options (the serializer's defaults) by <see cref="Drivers.SerialDriver"/>.
/// </summary>
/// <remarks>
/// Why: every command reads a profile first, and building these contracts by reflection at run time (with emitted
/// accessors) compiled hundreds of methods at each start; the generated ones behave the same (JsonContractTests).
/// </remarks>
[JsonSerializable(typeof(DeviceProfile))]
[JsonSerializable(typeof(SimulationSettings))]
// A stream's source section as the serial drivers' option parsers read it (SerialDriver); the context's default
// options are the serializer's defaults, so it is the JSON the reflection-based defaults produced.
[JsonSerializable(typeof(Dictionary<string, JsonElement>))]
internal sealed partial class ProfileJsonContext : JsonSerializerContext;
