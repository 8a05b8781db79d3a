using System.Text.Json;
using System.Text.Json.Serialization;
using AcqService.Sinks;

namespace AcqService.Catalog;

/// <summary>
/// JSON of the catalogue: outbox entries and their upload state, the <c>jsonb</c> columns, and the study query rows
/// (<c>acq study --json</c>). The settings are those of the session files (<see cref="SessionOutput.JsonOptions"/>:
/// camelCase, indented, readable characters, named floating-point literals), the contracts compile-time ones.
/// </summary>
public static class CatalogJson
{
    /// <summary>
    /// <see cref="SessionOutput.JsonOptions"/> with the catalogue's compile-time contracts (and no others: a type not
    /// listed in the catalogue's context cannot be written with these options).
    /// </summary>
    /// <remarks>
    /// Why not the session files' options themselves: those know only the session file types, and the catalogue's
    /// types cannot be added to them (the catalogue builds on the sinks, not the other way round). Copying the options
    /// keeps every setting, so outbox files and <c>jsonb</c> values are byte for byte what they were.
    /// </remarks>
    public static JsonSerializerOptions Options { get; } = new(SessionOutput.JsonOptions) { TypeInfoResolver = CatalogJsonContext.Default };
}

/// <summary>Compile-time JSON contracts of the catalogue types; used through <see cref="CatalogJson.Options"/>.</summary>
/// <remarks>Why: a Native AOT build of <c>acq</c> has no reflection-built contracts.</remarks>
[JsonSerializable(typeof(CatalogEntry))]
[JsonSerializable(typeof(OutboxState))]
// The jsonb columns of catalog_sessions (CatalogStore.UploadAsync).
[JsonSerializable(typeof(IReadOnlyList<CatalogStream>))]
[JsonSerializable(typeof(CatalogQuality))]
// The study query rows as `acq study --json` writes them.
[JsonSerializable(typeof(IReadOnlyList<AlphaChangeRow>))]
[JsonSerializable(typeof(IReadOnlyList<EpochRow>))]
[JsonSerializable(typeof(IReadOnlyList<ErpGrandAverageRow>))]
[JsonSerializable(typeof(IReadOnlyList<SessionCountRow>))]
internal sealed partial class CatalogJsonContext : JsonSerializerContext;
