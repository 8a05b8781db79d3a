using System.Text.Json;
using System.Text.Json.Serialization;
using AcqService.Core.Analysis.Quality;
using AcqService.Sinks;

namespace AcqService.Host.Service;

/// <summary>
/// Source-generated JSON contracts of everything the control API, the live feed and the <c>acq start/mark</c> client
/// write or read. Native AOT has no reflection-based serializer, so a type missing here fails at run time there
/// (the Host tests serialise every type through the configured options and check its contract comes from here).
/// Property names, enum spelling and number handling come from the options it is used with
/// (<see cref="ControlApiJson.Configure"/>), not from this class, so the wire format is defined in one place.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
// Results.Ok/NotFound/Created(value) write through the contract of 'object', then the value's runtime type.
[JsonSerializable(typeof(object))]
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(StationState))]
[JsonSerializable(typeof(IReadOnlyList<StreamHealth>))]
[JsonSerializable(typeof(StreamHealth[]))]
[JsonSerializable(typeof(Sessions.Check.CheckReport))]
[JsonSerializable(typeof(SessionInfo))]
[JsonSerializable(typeof(StartRequest))]
[JsonSerializable(typeof(MarkRequest))]
[JsonSerializable(typeof(MarkResult))]
[JsonSerializable(typeof(ErpResponse))]
[JsonSerializable(typeof(HrfResponse))]
[JsonSerializable(typeof(AlphaResponse))]
[JsonSerializable(typeof(TraceWindow))]
[JsonSerializable(typeof(PastSession))]
[JsonSerializable(typeof(IReadOnlyList<PastSession>))]
[JsonSerializable(typeof(PastSession[]))]
[JsonSerializable(typeof(AlphaEvent))]
[JsonSerializable(typeof(EpochEvent))]
// Query parameters of the endpoints: the OpenAPI generator asks the options for their contracts to describe them.
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(double?))]
[JsonSerializable(typeof(int?))]
internal sealed partial class ControlApiJsonContext : JsonSerializerContext;

/// <summary>The JSON settings of the control API and the live feed, and the one place their wire format is defined.</summary>
internal static class ControlApiJson
{
    /// <summary>
    /// Enums written as camelCase strings. The generic converter needs no run-time code generation (the non-generic
    /// <see cref="JsonStringEnumConverter"/> builds one per enum by reflection), so every enum the API writes is listed;
    /// a test walks the contracts and fails when an enum is missing here.
    /// </summary>
    internal static IEnumerable<JsonConverter> EnumConverters() =>
    [
        new JsonStringEnumConverter<SessionEndKind>(JsonNamingPolicy.CamelCase),
        new JsonStringEnumConverter<CheckVerdict>(JsonNamingPolicy.CamelCase),
    ];

    /// <summary>
    /// Applies the API's settings to options that start from the web defaults (camelCase properties): NaN and
    /// Infinity as strings, enums as camelCase strings, and the generated contracts first in the resolver chain.
    /// </summary>
    public static void Configure(JsonSerializerOptions json)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
        foreach (JsonConverter converter in EnumConverters())
        {
            json.Converters.Add(converter);
        }
        json.TypeInfoResolverChain.Insert(0, ControlApiJsonContext.Default);
    }
}
