using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using AcqService.Catalog;
using AcqService.Core.Analysis.Quality;
using AcqService.Host.Commands;
using AcqService.Host.Hosting;
using AcqService.Host.Service;
using AcqService.Sessions;
using AcqService.Sessions.Check;
using AcqService.Sinks;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AcqService.Host.Tests;

/// <summary>
/// Native AOT has no reflection-based JSON serializer: every type the API, the live feed and <c>acq study --json</c>
/// write must come from a generated context, with the same bytes the reflection serializer wrote before.
/// </summary>
public sealed class AotContractTests
{
    /// <summary>Every type the control API reads or writes, as endpoints, results and the live feed use them.</summary>
    private static readonly Type[] s_apiTypes =
    [
        typeof(object), typeof(ApiError), typeof(StationState), typeof(StreamHealth[]), typeof(IReadOnlyList<StreamHealth>), typeof(CheckReport),
        typeof(SessionInfo), typeof(StartRequest), typeof(MarkRequest), typeof(MarkResult), typeof(ErpResponse), typeof(HrfResponse),
        typeof(AlphaResponse), typeof(TraceWindow), typeof(PastSession), typeof(PastSession[]), typeof(IReadOnlyList<PastSession>),
        typeof(AlphaEvent), typeof(EpochEvent), typeof(string), typeof(double?), typeof(int?),
    ];

    public static TheoryData<Type> ApiTypes() => new(s_apiTypes);

    /// <summary>The JSON options of the HTTP pipeline, configured as the service configures them.</summary>
    private static JsonSerializerOptions HttpOptions()
    {
        var services = new ServiceCollection();
        services.AddControlApi();
        using ServiceProvider provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
    }

    /// <summary>What the live feed wrote before source generation: web defaults, named floats, camelCase enums, reflection.</summary>
    private static JsonSerializerOptions ReflectionOptions() => new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    /// <summary>
    /// What the HTTP responses were written with before: ASP.NET Core's defaults (which, unlike the feed, do not escape
    /// µ or →) with the old ConfigureJson applied, and the reflection resolver.
    /// </summary>
    private static JsonSerializerOptions ReflectionHttpOptions()
    {
        var json = new JsonSerializerOptions(new JsonOptions().SerializerOptions) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        json.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        return json;
    }

    [Theory]
    [MemberData(nameof(ApiTypes))]
    public void HttpOptions_ResolveEveryApiType_FromTheGeneratedContext(Type type)
    {
        // Under JIT the HTTP options keep the reflection resolver behind the generated one, so a missing type would
        // still work in tests and fail only in the native build: check where the contract came from.
        JsonTypeInfo info = HttpOptions().GetTypeInfo(type);
        Assert.IsType<ControlApiJsonContext>(info.OriginatingResolver);
    }

    [Theory]
    [MemberData(nameof(ApiTypes))]
    public void LiveFeedOptions_ResolveEveryApiType_WithoutReflection(Type type)
    {
        JsonTypeInfo info = LiveFeed.Json.GetTypeInfo(type);
        Assert.IsType<ControlApiJsonContext>(info.OriginatingResolver);
    }

    [Fact]
    public void EveryEnumTheApiWrites_HasAnAotSafeCamelCaseConverter()
    {
        JsonSerializerOptions http = HttpOptions();
        var seen = new HashSet<Type>();
        var enums = new HashSet<Type>();
        void Walk(Type type)
        {
            Type t = Nullable.GetUnderlyingType(type) ?? type;
            if (!seen.Add(t))
            {
                return;
            }
            if (t.IsEnum)
            {
                enums.Add(t);
                return;
            }
            JsonTypeInfo info = http.GetTypeInfo(t);
            foreach (JsonPropertyInfo p in info.Properties)
            {
                Walk(p.PropertyType);
            }
            if (info.ElementType is { } element)
            {
                Walk(element);
            }
            if (info.KeyType is { } key)
            {
                Walk(key);
            }
        }
        foreach (Type type in s_apiTypes)
        {
            Walk(type);
        }
        Assert.Contains(typeof(SessionEndKind), enums);
        Assert.Contains(typeof(CheckVerdict), enums);
        foreach (Type e in enums)
        {
            Assert.True(ControlApiJson.EnumConverters().Any(c => c.CanConvert(e)), $"enum {e.Name} has no converter in ControlApiJson.EnumConverters");
            object value = Enum.GetValues(e).GetValue(Enum.GetValues(e).Length - 1)!;
            Assert.Equal(JsonSerializer.Serialize(value, e, ReflectionHttpOptions()), JsonSerializer.Serialize(value, http.GetTypeInfo(e)));
        }
    }

    private static SessionInfo Session() => new("20260101-120000_sub-P001", "/data/s", null, "ended",
        new SessionLabels("P001", "S001", "needling", "", "ST36-real-vs-sham", "µV → notes \"quoted\""),
        new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 1, 1, 12, 5, 0, TimeSpan.Zero), 300.5,
        new SessionEnd(SessionEndKind.OperatorStop, "stopped", new DateTimeOffset(2026, 1, 1, 12, 5, 0, TimeSpan.Zero), 300.5),
        new Dictionary<string, int> { ["insert/real"] = 12 }, 2, new Dictionary<string, int> { ["artifact"] = 2 }, 1, ["oops"],
        [new OutputFileStatus("recording.xdf", true, null)], "the control API");

    /// <summary>Representative values of every response and event, with enums, NaN, infinities and nulls.</summary>
    private static IEnumerable<object> Values()
    {
        SessionInfo session = Session();
        yield return new ApiError("no session is running");
        yield return new StationState("lab-1", "recording", "simulated", "embedded:simulated", session,
            [new StreamHealth("eeg", "AcqSim EEG", "EEG", "signal", 500, "present", double.NaN, 0.01, 1, "gap", null, "sim-1", "localhost", 1000, null)], 3, "/data",
            new CatalogBacklog(1, 0, DateTimeOffset.UnixEpoch, "refused", null, null, null), "catalogue: 1 waiting");
        yield return session;
        yield return new MarkResult("s", "needle/insert;site=ST36;kind=real;source=manual", 7, 1234.5, 6.25, null);
        yield return new ErpResponse("s", [new ErpCondition("eeg", "insert/real", 1, ["Cz", "Pz"], [-0.2, 0.0], [[1.5, double.NaN], [double.PositiveInfinity, 2]],
            [[double.NaN, double.NaN], [double.NegativeInfinity, 0]])]);
        yield return new HrfResponse("s", [new HrfCondition("nirs", "insert/real", 2, [0, 1], [0.1, double.NaN], [-0.1, 0.2])]);
        yield return new AlphaResponse("s", ["frontal", "occipital"], [new AlphaPoint("eeg", 3.5, [1, double.NaN], [0.25, 0.5])]);
        yield return new TraceWindow("eeg", "EEG", 500, ["Cz"], ["µV"], [0, 0.01], [[1, double.NaN]], [new TraceMarker(0.005, "needle/insert", "needle")], ["Cz", "Pz"], ["eeg"]);
        yield return new PastSession("s", "/data/s", DateTimeOffset.UnixEpoch, "P001", "operatorStop", null, [new SessionFile("summary.json", 120)]);
        yield return new PastSession[] { new("s", "/data/s", DateTimeOffset.UnixEpoch, null, null, "summary.json unreadable", []) };
        yield return new StreamHealth[] { new("needle", "markers", "Markers", "markers", 0, "absent", null, null, 0, null, null, null, null, 0, "not found") };
        yield return new StartRequest { Subject = "P002", DurationSeconds = 60 };
        yield return new MarkRequest { Event = "insert", Kind = "sham", Site = "LI4", Code = 3 };
        yield return new CheckReport
        {
            Time = DateTimeOffset.UnixEpoch, Profile = "p", ProfileSource = "embedded", Seconds = 3, Worst = CheckVerdict.Warn,
            Streams = [new StreamCheck
            {
                Key = "eeg", Kind = "signal", Verdict = CheckVerdict.Fail, RateVerdict = CheckVerdict.Pass, EffectiveRateHz = double.NaN, Reasons = ["flat"],
                Channels = [new ChannelCheck { Label = "Cz", Rms = double.NaN, Verdict = CheckVerdict.Warn, Reasons = ["line noise"] }],
            }],
        };
    }

    [Fact]
    public void ApiAndFeedJson_IsByteForByteWhatReflectionWrote()
    {
        JsonSerializerOptions reflection = ReflectionOptions(), reflectionHttp = ReflectionHttpOptions(), http = HttpOptions();
        foreach (object value in Values())
        {
            Assert.Equal(JsonSerializer.Serialize(value, value.GetType(), reflectionHttp), JsonSerializer.Serialize(value, http.GetTypeInfo(value.GetType())));
            Assert.Equal(JsonSerializer.Serialize(value, value.GetType(), reflection), JsonSerializer.Serialize(value, LiveFeed.Json.GetTypeInfo(value.GetType())));
        }
        // Spot checks of the wire format itself: camelCase enums, NaN and infinities as strings.
        string info = JsonSerializer.Serialize(Session(), http.GetTypeInfo(typeof(SessionInfo)));
        Assert.Contains("\"kind\":\"operatorStop\"", info, StringComparison.Ordinal);
        string erp = JsonSerializer.Serialize(Values().OfType<ErpResponse>().Single(), http.GetTypeInfo(typeof(ErpResponse)));
        Assert.Contains("[1.5,\"NaN\"],[\"Infinity\",2]", erp, StringComparison.Ordinal);
    }

    [Fact]
    public void FeedEvents_AreWhatTheAnonymousObjectsWrote()
    {
        // The events used to be anonymous objects serialised by reflection; the records must give the same JSON.
        string[] regions = ["frontal", "occipital"];
        var alphaBefore = new { session = "s", Stream = "eeg", SessionTime = 1.5, regions, Absolute = new[] { 2.0, double.NaN }, Relative = new[] { 0.5, 0.25 } };
        var epochBefore = new
        {
            session = "s", stream = "eeg", label = "needle/insert;site=ST36;kind=real", sessionTime = 12.25, condition = (string?)null, accepted = false,
            reason = (string?)"peak-to-peak 180 µV > 150 µV", category = (string?)"artifact", conditionCount = 4,
        };
        JsonSerializerOptions reflection = ReflectionOptions();
        Assert.Equal(JsonSerializer.Serialize(alphaBefore, reflection),
            LiveFeed.Serialize(new AlphaEvent("s", "eeg", 1.5, regions, [2.0, double.NaN], [0.5, 0.25])));
        Assert.Equal(JsonSerializer.Serialize(epochBefore, reflection),
            LiveFeed.Serialize(new EpochEvent("s", "eeg", "needle/insert;site=ST36;kind=real", 12.25, null, false, "peak-to-peak 180 µV > 150 µV", "artifact", 4)));
    }

    [Fact]
    public void LiveFeed_PublishesThroughTheGeneratedContracts()
    {
        var feed = new LiveFeed();
        using LiveFeed.Subscriber subscriber = feed.Subscribe();
        feed.Publish("session", Session());
        feed.Publish("epoch", new EpochEvent("s", "eeg", "x", 1, "c", true, null, null, 1));
        Assert.True(subscriber.Reader.TryRead(out LiveFeed.FeedItem session));
        Assert.Equal(JsonSerializer.Serialize(Session(), ReflectionOptions()), session.Json);
        Assert.True(subscriber.Reader.TryRead(out LiveFeed.FeedItem epoch));
        Assert.StartsWith("{\"session\":\"s\",\"stream\":\"eeg\"", epoch.Json, StringComparison.Ordinal);
    }
}
