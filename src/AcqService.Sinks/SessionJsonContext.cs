using System.Text.Json.Serialization;
using AcqService.Core.Analysis;
using AcqService.Core.Pipeline;
using AcqService.Sources.Simulation;

namespace AcqService.Sinks;

/// <summary>
/// Compile-time JSON contracts for the session files written at every start and end (<c>session.json</c>,
/// <c>summary.json</c>) and for the settings objects they carry; they are the only contracts of
/// <see cref="SessionOutput.JsonOptions"/> (no reflection fallback). Naming, enum strings and escaping come from those
/// options, so the files are byte for byte what reflection wrote.
/// </summary>
/// <remarks>
/// Why: built by reflection (with emitted accessors) at run time, these contracts were the largest group of the methods
/// compiled at every session start, a visible share of a short <c>acq analyze</c> (docs/benchmarks.md); and a Native AOT
/// build has no reflection-built contracts at all. <see cref="SessionMetadata.Settings"/> is typed <see cref="object"/>:
/// every type put there must be listed here, or writing <c>session.json</c> fails (JsonContractTests).
/// </remarks>
[JsonSerializable(typeof(SessionMetadata))]
[JsonSerializable(typeof(SessionSummary))]
// The run-time types of SessionMetadata.Settings (SessionFactory).
[JsonSerializable(typeof(DeviceSessionSettings))]
[JsonSerializable(typeof(RecordingAnalysisSettings))]
[JsonSerializable(typeof(EpochOptions))]
[JsonSerializable(typeof(AlphaOptions))]
[JsonSerializable(typeof(AlignerOptions))]
[JsonSerializable(typeof(SimulationSettings))]
[JsonSerializable(typeof(List<ConditionRule>))]
[JsonSerializable(typeof(Dictionary<string, List<string>>))]
internal sealed partial class SessionJsonContext : JsonSerializerContext;
