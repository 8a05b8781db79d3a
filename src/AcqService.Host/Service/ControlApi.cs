using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AcqService.Core.Analysis;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using AcqService.Core;

namespace AcqService.Host.Service;

/// <summary>
/// The HTTP + JSON control API of the lab service (minimal APIs on Kestrel), described by the OpenAPI document at
/// <c>/openapi/v1.json</c>. Every error is JSON <c>{"error": "…"}</c> with a status that says what went wrong (400 bad
/// request, 401 no token, 404 nothing there, 409 a session is running, 503 the station cannot do it now).
/// </summary>
public static class ControlApi
{
    /// <summary>Cookie that carries the token for a browser that opened the dashboard with <c>?token=</c>.</summary>
    public const string TokenCookie = "acq_token";

    /// <summary>Path of the OpenAPI description.</summary>
    public const string OpenApiPath = "/openapi/v1.json";

    /// <summary>JSON settings of the API (camelCase, enums as strings, NaN/Infinity as strings; source-generated contracts first).</summary>
    public static void ConfigureJson(JsonSerializerOptions json) => ControlApiJson.Configure(json);

    /// <summary>Registers what the API needs (OpenAPI generator, JSON options).</summary>
    public static void AddControlApi(this IServiceCollection services)
    {
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "AcqService lab service";
            document.Info.Description = "Control API of `acq serve`: station state and stream health, sessions (start, stop, mark by hand), live ERP averages " +
                "and alpha series, past sessions and their files, and a server-sent-events feed at /api/events. Bound to 127.0.0.1 by default; " +
                "beyond loopback every request needs `Authorization: Bearer <Station:Api:Token>` (or `?token=` for the event feed).";
            return Task.CompletedTask;
        }));
        services.ConfigureHttpJsonOptions(o => ConfigureJson(o.SerializerOptions));
    }

    /// <summary>Maps the middleware (token, errors) and the endpoints.</summary>
    public static void MapControlApi(this WebApplication app, StationService station, StationOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(async (context, next) =>
        {
            if (options.Api.TokenRequired && HasToken(context.Request, options.Api.Token) && context.Request.Query.ContainsKey("token"))
            {
                // A browser opening the dashboard with ?token= keeps it in a cookie for the page's scripts, styles, API
                // calls and live feed (HttpOnly: page scripts cannot read it; Strict: no other site's page sends it).
                context.Response.Cookies.Append(TokenCookie, options.Api.Token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
            }
            if (options.Api.TokenRequired && !HasToken(context.Request, options.Api.Token))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await WriteErrorAsync(context, new ApiError("a token is required: send 'Authorization: Bearer <Station:Api:Token>'")).ConfigureAwait(false);
                return;
            }
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (StationException ex) when (!context.Response.HasStarted)
            {
                context.Response.StatusCode = ex.Status;
                await WriteErrorAsync(context, new ApiError(ex.Message)).ConfigureAwait(false);
            }
            catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await WriteErrorAsync(context, new ApiError(ex.InnerException is JsonException json ? "invalid JSON body: " + json.Message : ex.Message)).ConfigureAwait(false);
            }
        });
        app.MapOpenApi(OpenApiPath);
        MapDashboard(app);

        RouteGroupBuilder api = app.MapGroup("/api");
        api.MapGet("/state", () => station.State())
            .WithName("GetState").WithSummary("Station state: running session, stream health, output root.");
        // Lists are returned as arrays: the generated handler writes a value whose runtime type differs from the declared
        // one (here a compiler-made IReadOnlyList) through that runtime type's contract, which only reflection can make.
        api.MapGet("/streams", () => station.Watcher.Snapshot().ToArray())
            .WithName("GetStreams").WithSummary("Health of every stream of the station profile: present/absent, rate vs nominal, last-sample age, gaps, clock offset, source_id and host.");
        api.MapPost("/streams/refresh", () =>
        {
            station.Watcher.Refresh();
            return Results.Accepted("/api/streams");
        }).WithName("RefreshStreams").WithSummary("Look for absent streams now.");

        api.MapPost("/check", async (double? seconds, CancellationToken ct) => await station.CheckAsync(seconds ?? 3, ct).ConfigureAwait(false))
            .WithName("CheckSignals").WithSummary("Signal check of the station's streams (as `acq check`): per channel RMS, flat, railed, line noise, HF noise with pass/warn/fail and the thresholds; rate and clock offset per stream. seconds= (default 3).")
            .Produces<Sessions.Check.CheckReport>().Produces<ApiError>(StatusCodes.Status400BadRequest).Produces<ApiError>(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/check", () => station.LastCheck is { } report ? Results.Ok(report) : Results.NotFound(new ApiError("no signal check has run yet; POST /api/check")))
            .WithName("GetLastCheck").WithSummary("The last signal check.").Produces<Sessions.Check.CheckReport>().Produces<ApiError>(StatusCodes.Status404NotFound);

        api.MapGet("/session", () => station.Current?.Info() is { } info ? Results.Ok(info) : Results.NotFound(new ApiError("no session is running")))
            .WithName("GetSession").WithSummary("The running session: labels, elapsed time, epochs per condition, drops by reason.")
            .Produces<SessionInfo>().Produces<ApiError>(StatusCodes.Status404NotFound);
        api.MapPost("/session/start", async (StartRequest? request, CancellationToken ct) =>
        {
            SessionInfo info = await station.StartAsync(request ?? new StartRequest(), ct).ConfigureAwait(false);
            return Results.Created("/api/session", info);
        }).WithName("StartSession").WithSummary("Start a session (profile, subject, session, task, run, protocol, notes, durationSeconds — all optional).")
            .Produces<SessionInfo>(StatusCodes.Status201Created).Produces<ApiError>(StatusCodes.Status400BadRequest).Produces<ApiError>(StatusCodes.Status409Conflict);
        api.MapPost("/session/stop", async (CancellationToken ct) => await station.StopAsync("stopped by the operator (control API)", ct).ConfigureAwait(false))
            .WithName("StopSession").WithSummary("Stop the running session; returns when its results are written.")
            .Produces<SessionInfo>().Produces<ApiError>(StatusCodes.Status404NotFound);
        api.MapPost("/session/markers", (MarkRequest request) => Results.Created("/api/session", station.Mark(request)))
            .WithName("Mark").WithSummary("Mark an event by hand, e.g. {\"event\":\"insert\",\"kind\":\"real\",\"site\":\"ST36\"}: a marker on the session clock, recorded and epoched like any other.")
            .Produces<MarkResult>(StatusCodes.Status201Created).Produces<ApiError>(StatusCodes.Status400BadRequest).Produces<ApiError>(StatusCodes.Status404NotFound);
        api.MapGet("/session/erp", (string? channels, int? step) => Erp(station, channels, step))
            .WithName("GetErp").WithSummary("Current ERP averages per condition (mean and standard error per channel); channels=Cz,Pz selects channels, step=N keeps every Nth time point.")
            .Produces<ErpResponse>().Produces<ApiError>(StatusCodes.Status404NotFound);
        api.MapGet("/session/hrf", () => Hrf(station))
            .WithName("GetHaemodynamics").WithSummary("Current needle-locked ΔHbO/ΔHbR averages per condition (mean over the channels of each chromophore, µM); 404 when the session has no fNIRS.")
            .Produces<HrfResponse>().Produces<ApiError>(StatusCodes.Status404NotFound);
        api.MapGet("/session/alpha", (double? since) => station.Current is { } r
                ? Results.Ok(new AlphaResponse(r.Id, r.Live.Regions, r.Live.AlphaSeries(since ?? double.NegativeInfinity)))
                : Results.NotFound(new ApiError("no session is running")))
            .WithName("GetAlpha").WithSummary("Alpha power per region over time (absolute µV² and relative); since=seconds returns only newer points.")
            .Produces<AlphaResponse>().Produces<ApiError>(StatusCodes.Status404NotFound);

        api.MapGet("/session/traces", (string? stream, string? channels, double? seconds) =>
            {
                if (station.Current?.Traces is not { } traces)
                {
                    return Results.NotFound(new ApiError("no session is running"));
                }
                double span = seconds ?? 10;
                if (!(span > 0 && span <= TraceBuffer.WindowSeconds))
                {
                    throw new StationException(400, $"seconds must be in (0, {TraceBuffer.WindowSeconds:0}]");
                }
                string[]? wanted = string.IsNullOrWhiteSpace(channels) ? null : channels.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                return Results.Ok(traces.Window(stream, wanted, span));
            })
            .WithName("GetTraces").WithSummary("Live traces decimated on the server (about 100 points/s per channel) with the markers in the span; stream=, channels=Cz,Pz, seconds= (≤ 30).")
            .Produces<TraceWindow>().Produces<ApiError>(StatusCodes.Status404NotFound);

        api.MapGet("/sessions", () => station.PastSessions().ToArray())
            .WithName("ListSessions").WithSummary("Sessions on disk under the output root and those this service ran, newest first.");
        api.MapGet("/sessions/{id}", (string id) => station.FindPast(id) is { } past ? Results.Ok(past) : Results.NotFound(new ApiError($"no session '{id}'")))
            .WithName("GetPastSession").WithSummary("One past session and its files.").Produces<PastSession>().Produces<ApiError>(StatusCodes.Status404NotFound);
        api.MapGet("/sessions/{id}/files/{name}", (string id, string name) =>
        {
            if (station.FindPast(id) is not { } past)
            {
                return Results.NotFound(new ApiError($"no session '{id}'"));
            }
            // Only plain names of files listed in the folder: no path can leave the session folder.
            if (past.Files.FirstOrDefault(f => f.Name == name) is null)
            {
                return Results.NotFound(new ApiError($"session '{id}' has no file '{name}'"));
            }
            string type = Path.GetExtension(name) switch
            {
                ".json" => "application/json",
                ".csv" => "text/csv",
                ".txt" => "text/plain",
                _ => "application/octet-stream",
            };
            return Results.File(Path.Combine(past.Folder, name), type, name);
        }).WithName("GetSessionFile").WithSummary("Download one file of a past session.");

        // Two parameters, so the handler goes through the endpoint factory and appears in the OpenAPI description.
        api.MapGet("/events", (HttpContext context, CancellationToken cancellationToken) => StreamEventsAsync(context, station, cancellationToken))
            .WithName("Events").WithSummary("Server-sent events (text/event-stream): state (at connect and every second), session (start/stop/end), marker, epoch, alpha.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
    }

    /// <summary>The dashboard: three files embedded in the program, served with a policy that allows nothing from elsewhere.</summary>
    private static void MapDashboard(WebApplication app)
    {
        IResult File(string name, string type)
        {
            using Stream? stream = typeof(ControlApi).Assembly.GetManifestResourceStream("dashboard/" + name);
            if (stream is null)
            {
                return Results.NotFound(new ApiError($"no dashboard file '{name}'"));
            }
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return Results.Bytes(copy.ToArray(), type);
        }

        app.Use(async (context, next) =>
        {
            // Offline by construction: the page may only talk to this service.
            context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'";
            context.Response.Headers.XContentTypeOptions = "nosniff";
            await next(context).ConfigureAwait(false);
        });
        app.MapGet("/", () => File("index.html", "text/html; charset=utf-8")).ExcludeFromDescription();
        app.MapGet("/dashboard/{name}", (string name) => name switch
        {
            "dashboard.js" => File(name, "text/javascript; charset=utf-8"),
            "dashboard.css" => File(name, "text/css; charset=utf-8"),
            _ => Results.NotFound(new ApiError($"no dashboard file '{name}'")),
        }).ExcludeFromDescription();
    }

    private static IResult Erp(StationService station, string? channels, int? step)
    {
        if (station.Current is not { } running)
        {
            return Results.NotFound(new ApiError("no session is running"));
        }
        int every = step ?? 1;
        if (every < 1)
        {
            throw new StationException(400, "step must be at least 1");
        }
        string[]? wanted = string.IsNullOrWhiteSpace(channels) ? null : channels.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var averages = new List<ErpCondition>();
        foreach (ErpAverageSnapshot a in running.ErpAverages)
        {
            int points = a.Times.Length;
            int[] picked = wanted is null ? [.. Enumerable.Range(0, a.Channels.Count)] : [.. wanted.Select(w => IndexOf(a, w))];
            int[] keep = [.. Enumerable.Range(0, points).Where(k => k % every == 0)];
            averages.Add(new ErpCondition(a.StreamKey, a.Condition, a.Count, [.. picked.Select(c => a.Channels[c])], [.. keep.Select(k => a.Times[k])],
                [.. picked.Select(c => keep.Select(k => a.Mean[(c * points) + k]).ToArray())],
                [.. picked.Select(c => keep.Select(k => a.StandardError[(c * points) + k]).ToArray())]));
        }
        return Results.Ok(new ErpResponse(running.Id, averages));
    }

    private static IResult Hrf(StationService station)
    {
        if (station.Current is not { } running)
        {
            return Results.NotFound(new ApiError("no session is running"));
        }
        if (!running.Session.Pipeline.Nirs.IsActive)
        {
            return Results.NotFound(new ApiError("the session has no fNIRS stream"));
        }
        var conditions = new List<HrfCondition>();
        foreach (ErpAverageSnapshot a in running.Session.Pipeline.Nirs.LatestAverages)
        {
            // Display summary: the mean over channels of each chromophore (labels end in "hbo" / "hbr").
            double[] Mean(string suffix)
            {
                int[] picked = [.. Enumerable.Range(0, a.Channels.Count).Where(c => a.Channels[c].EndsWith(suffix, StringComparison.OrdinalIgnoreCase))];
                int points = a.Times.Length;
                var mean = new double[points];
                foreach (int c in picked)
                {
                    for (int k = 0; k < points; k++)
                    {
                        mean[k] += a.Mean[(c * points) + k] / picked.Length;
                    }
                }
                return mean;
            }
            conditions.Add(new HrfCondition(a.StreamKey, a.Condition, a.Count, a.Times, Mean("hbo"), Mean("hbr")));
        }
        return Results.Ok(new HrfResponse(running.Id, conditions));
    }

    private static int IndexOf(ErpAverageSnapshot a, string label)
    {
        for (int i = 0; i < a.Channels.Count; i++)
        {
            if (string.Equals(a.Channels[i], label, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }
        throw new StationException(400, $"channel '{label}' is not epoched (channels: {string.Join(", ", a.Channels)})");
    }

    private static async Task StreamEventsAsync(HttpContext context, StationService station, CancellationToken aborted)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        using LiveFeed.Subscriber subscriber = station.Feed.Subscribe();
        await WriteEventAsync(context.Response, 0, "state", LiveFeed.Serialize(station.State()), aborted).ConfigureAwait(false);
        try
        {
            while (true)
            {
                // A comment every 15 s keeps proxies and idle browsers from closing a quiet feed.
                using var heartbeat = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                heartbeat.CancelAfter(TimeSpan.FromSeconds(15));
                bool more;
                try
                {
                    more = await subscriber.Reader.WaitToReadAsync(heartbeat.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
                {
                    await context.Response.WriteAsync(": keep-alive\n\n", aborted).ConfigureAwait(false);
                    await context.Response.Body.FlushAsync(aborted).ConfigureAwait(false);
                    continue;
                }
                if (!more)
                {
                    return;
                }
                while (subscriber.Reader.TryRead(out LiveFeed.FeedItem item))
                {
                    await WriteEventAsync(context.Response, item.Id, item.Type, item.Json, aborted).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client left.
        }
    }

    /// <summary>Writes <c>{"error": …}</c> with the API's JSON options (the contract of <see cref="ApiError"/> from them, as the endpoints use).</summary>
    private static Task WriteErrorAsync(HttpContext context, ApiError error)
    {
        JsonSerializerOptions json = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        return context.Response.WriteAsJsonAsync(error, json.TypeInfo<ApiError>());
    }

    private static async Task WriteEventAsync(HttpResponse response, long id, string type, string json, CancellationToken cancellationToken)
    {
        await response.WriteAsync($"id: {id}\nevent: {type}\ndata: {json}\n\n", cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static bool HasToken(HttpRequest request, string token)
    {
        string? given = null;
        string auth = request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            given = auth[7..].Trim();
        }
        else if (request.Query.TryGetValue("token", out Microsoft.Extensions.Primitives.StringValues q))
        {
            given = q.ToString();
        }
        else if (request.Cookies.TryGetValue(TokenCookie, out string? cookie))
        {
            given = cookie;
        }
        return given is not null && token.Length > 0 &&
            CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token));
    }
}

/// <summary>An API error.</summary>
/// <param name="Error">What went wrong, in plain words.</param>
public sealed record ApiError(string Error);

/// <summary>ERP averages of the running session.</summary>
/// <param name="Session">Session id.</param>
/// <param name="Averages">One per stream and condition.</param>
public sealed record ErpResponse(string Session, IReadOnlyList<ErpCondition> Averages);

/// <summary>One condition's average.</summary>
/// <param name="Stream">EEG stream key.</param>
/// <param name="Condition">Condition.</param>
/// <param name="Count">Epochs averaged.</param>
/// <param name="Channels">Channel labels.</param>
/// <param name="Times">Seconds from the marker.</param>
/// <param name="Mean">µV, per channel.</param>
/// <param name="StandardError">µV, per channel (NaN below two epochs).</param>
public sealed record ErpCondition(string Stream, string Condition, int Count, IReadOnlyList<string> Channels, double[] Times, double[][] Mean, double[][] StandardError);

/// <summary>Haemodynamic averages of the running session.</summary>
/// <param name="Session">Session id.</param>
/// <param name="Averages">One per fNIRS stream and condition.</param>
public sealed record HrfResponse(string Session, IReadOnlyList<HrfCondition> Averages);

/// <summary>One condition's haemodynamic average, over channels.</summary>
/// <param name="Stream">fNIRS stream key.</param>
/// <param name="Condition">Condition.</param>
/// <param name="Count">Epochs averaged.</param>
/// <param name="Times">Seconds from the marker.</param>
/// <param name="Hbo">Mean ΔHbO (µM).</param>
/// <param name="Hbr">Mean ΔHbR (µM).</param>
public sealed record HrfCondition(string Stream, string Condition, int Count, double[] Times, double[] Hbo, double[] Hbr);

/// <summary>Alpha series of the running session.</summary>
/// <param name="Session">Session id.</param>
/// <param name="Regions">Region names (order of the values).</param>
/// <param name="Points">Updates, oldest first.</param>
public sealed record AlphaResponse(string Session, IReadOnlyList<string> Regions, IReadOnlyList<AlphaPoint> Points);
