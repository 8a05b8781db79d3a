using System.Text.Json.Serialization;

namespace AcqService.Core.Analysis.Quality;

/// <summary>
/// Result of one signal-quality criterion, a channel, a stream or a whole check; ordered, so the worst of several is
/// their maximum. Serialised as <c>"pass"</c>, <c>"warn"</c>, <c>"fail"</c> whatever the serializer's options, because
/// other tools (the BIDS export's <c>channels.tsv</c> status, the lab service's API) read these words.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<CheckVerdict>))]
public enum CheckVerdict
{
    /// <summary>Within every threshold.</summary>
    [JsonStringEnumMemberName("pass")]
    Pass,

    /// <summary>At least one warning threshold crossed; usable, but worth a look before recording.</summary>
    [JsonStringEnumMemberName("warn")]
    Warn,

    /// <summary>At least one failure threshold crossed, or no data: fix before recording.</summary>
    [JsonStringEnumMemberName("fail")]
    Fail,
}
