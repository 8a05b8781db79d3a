using System.Text.Json.Serialization;
using AcqService.Core.Analysis;
using AcqService.Core.Pipeline;
using AcqService.Sources.Simulation;

namespace AcqService.Sinks;

/// <summary>
/// Compile-time JSON contracts for the session files written at every start and end (<c>session.json</c>,
/// <c>summary.json</c>) and for the settings objects they carry; <see cref="SessionOutput.JsonOptions"/> tries them
/// first and builds any other type by reflection as before. Naming, enum strings and escaping come from those options,
/// so the files are byte for byte what reflection wrote.
/// </summary>
/// <remarks>
/// Why: built by reflection (with emitted accessors) at run time, these contracts were the largest group of the methods
/// compiled at every session start, a visible share of a short <c>acq analyze</c> (docs/benchmarks.md).
/// </remarks>
[JsonSerializable(typeof(SessionMetadata))]
[JsonSerializable(typeof(SessionSummary))]
[JsonSerializable(typeof(EpochOptions))]
[JsonSerializable(typeof(AlphaOptions))]
[JsonSerializable(typeof(AlignerOptions))]
[JsonSerializable(typeof(SimulationSettings))]
[JsonSerializable(typeof(List<ConditionRule>))]
[JsonSerializable(typeof(Dictionary<string, List<string>>))]
internal sealed partial class SessionJsonContext : JsonSerializerContext;
