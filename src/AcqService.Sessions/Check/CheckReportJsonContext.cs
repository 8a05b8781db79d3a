using System.Text.Json.Serialization;

namespace AcqService.Sessions.Check;

/// <summary>
/// Compile-time JSON contracts of <see cref="CheckReport"/>, the only contracts of <see cref="CheckReport.JsonOptions"/>.
/// Names and verdict words come from the report's attributes, indentation from those options, so the report is byte
/// for byte what the reflection-built contracts wrote.
/// </summary>
/// <remarks>Why: a Native AOT build of <c>acq</c> has no reflection-built contracts.</remarks>
[JsonSerializable(typeof(CheckReport))]
internal sealed partial class CheckReportJsonContext : JsonSerializerContext;
