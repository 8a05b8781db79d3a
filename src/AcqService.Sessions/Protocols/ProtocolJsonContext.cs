using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using AcqService.Core.Analysis;
using AcqService.Core.Pipeline;

namespace AcqService.Sessions.Protocols;

/// <summary>
/// Compile-time JSON contracts of the locked settings sections (read and written through <see cref="ProtocolLock"/>'s
/// own options, whose naming, strictness and enum rules apply unchanged) and of the values <see cref="CanonicalJson"/>
/// writes with the serializer's default options (this context's own).
/// </summary>
/// <remarks>
/// Why: a Native AOT build of <c>acq</c> has no reflection-built contracts. The canonical text is hashed into every
/// lock, so it must not change by a byte: the generated contracts write what the reflection-built ones did
/// (JsonContractTests in AcqService.Sessions.Tests compares with texts and hashes recorded before).
/// </remarks>
[JsonSerializable(typeof(EpochOptions))]
[JsonSerializable(typeof(AlphaOptions))]
[JsonSerializable(typeof(AlignerOptions))]
[JsonSerializable(typeof(HaemoglobinOptions))]
[JsonSerializable(typeof(HaemodynamicWindow))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(JsonValue))]
internal sealed partial class ProtocolJsonContext : JsonSerializerContext;
