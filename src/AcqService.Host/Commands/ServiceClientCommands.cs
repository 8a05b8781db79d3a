using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AcqService.Host.Cli;
using AcqService.Host.Hosting;
using AcqService.Host.Service;
using Microsoft.Extensions.Configuration;

namespace AcqService.Host.Commands;

/// <summary>
/// <c>acq status</c>, <c>acq start</c>, <c>acq stop</c>, <c>acq mark</c>: talk to a running <c>acq serve</c> through its
/// control API (address and token from the same configuration: <c>Station:Api:Address/Port/Token</c>, or <c>--url</c>).
/// Exit codes: 0 done, 1 the service refused (the reason is printed), 2 wrong arguments, 3 no service reachable.
/// </summary>
internal sealed class ServiceClientCommand(string name) : ICommand
{
    public string Name => name;

    public string Summary => name switch
    {
        "status" => "Show the lab service's state: running session, epochs, drops, stream health.",
        "start" => "Start a session on the running lab service.",
        "stop" => "Stop the lab service's session (waits until its results are written).",
        _ => "Mark an event by hand in the running session (e.g. --event insert --kind real --site ST36).",
    };

    public string Usage => name switch
    {
        "status" => "./acq status [--url URL] [--json] [--settings FILE]",
        "start" => "./acq start [--subject ID] [--session ID] [--task NAME] [--run N] [--protocol NAME] [--notes TEXT] [--duration SECONDS] [--url URL] [--json]",
        "stop" => "./acq stop [--url URL] [--json]",
        _ => "./acq mark (--event insert|manipulate|remove [--kind real|sham] [--site ST36] | --label TEXT) [--code N] [--url URL] [--json]",
    };

    public IReadOnlyList<OptionSpec> Options => name switch
    {
        "start" => [.. Common, new("subject", "ID", "subject (letters and digits)"), new("session", "ID", "session label"), new("task", "NAME", "task label"),
            new("run", "N", "run label"), new("protocol", "NAME", "protocol name"), new("notes", "TEXT", "free text kept in session.json"),
            new("duration", "SECONDS", "stop by itself after this long")],
        "mark" => [.. Common, new("event", "NAME", "needle event: insert, manipulate or remove"), new("kind", "real|sham", "needle kind"),
            new("site", "POINT", "acupoint, e.g. ST36"), new("label", "TEXT", "a complete marker label instead of event/kind/site"), new("code", "N", "numeric code")],
        _ => Common,
    };

    private static OptionSpec[] Common =>
    [
        new("url", "URL", "the service's address (default http://<Station:Api:Address>:<Station:Api:Port>)"),
        new("json", null, "print the service's JSON answer"),
        new("settings", "FILE", "settings JSON with the Station section (address, token)"),
    ];

    public bool AcceptsSettings => true;

    public async Task<int> RunAsync(ParsedArguments arguments, CancellationToken cancellationToken)
    {
        if (arguments.Positionals.Count > 0)
        {
            throw new UsageException($"unexpected argument '{arguments.Positionals[0]}'");
        }
        IConfigurationRoot configuration = SettingsLoader.Build(arguments.Value("settings"), arguments.ConfigurationOverrides);
        var options = new StationOptions();
        configuration.GetSection("Station").Bind(options);
        Uri baseAddress;
        string? url = arguments.Value("url");
        if (url is not null)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? parsed) || parsed.Scheme is not ("http" or "https"))
            {
                throw new UsageException($"--url: '{url}' is not an http:// address");
            }
            baseAddress = parsed;
        }
        else
        {
            baseAddress = new Uri($"http://{(options.Api.Address is "0.0.0.0" ? "127.0.0.1" : options.Api.Address)}:{options.Api.Port}/");
        }
        (HttpMethod method, string path, object? body) = Request(arguments);
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(name == "stop" ? 180 : 60) };
        if (options.Api.Token.Length > 0)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Api.Token);
        }
        HttpResponseMessage response;
        try
        {
            using var message = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                message.Content = JsonContent.Create(body, LiveFeed.Json.GetTypeInfo(body.GetType()));
            }
            response = await http.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine($"acq {name}: no lab service at {baseAddress} ({ex.Message}). Is 'acq serve' running? Its address is Station:Api:Address/Port, or give --url.");
            return ExitCodes.Failure;
        }
        using (response)
        {
            string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                string reason = text;
                try
                {
                    using JsonDocument error = JsonDocument.Parse(text);
                    reason = error.RootElement.GetProperty("error").GetString() ?? text;
                }
                catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
                {
                    // Not our JSON error: print what came.
                }
                Console.Error.WriteLine($"acq {name}: the service refused ({(int)response.StatusCode} {response.StatusCode}): {reason}");
                return response.StatusCode == HttpStatusCode.Unauthorized ? ExitCodes.Usage : ExitCodes.SessionErrors;
            }
            if (arguments.Flag("json"))
            {
                Console.Out.WriteLine(text);
                return ExitCodes.Ok;
            }
            using JsonDocument json = JsonDocument.Parse(text);
            Console.Out.Write(Describe(json.RootElement));
            return ExitCodes.Ok;
        }
    }

    private (HttpMethod Method, string Path, object? Body) Request(ParsedArguments a) => name switch
    {
        "status" => (HttpMethod.Get, "api/state", null),
        "stop" => (HttpMethod.Post, "api/session/stop", null),
        "start" => (HttpMethod.Post, "api/session/start", new StartRequest
        {
            Subject = a.Value("subject"),
            Session = a.Value("session"),
            Task = a.Value("task"),
            Run = a.Value("run"),
            Protocol = a.Value("protocol"),
            Notes = a.Value("notes"),
            DurationSeconds = a.Number("duration", 1, 30 * 24 * 3600),
        }),
        _ => (HttpMethod.Post, "api/session/markers", MarkOf(a)),
    };

    private static MarkRequest MarkOf(ParsedArguments a)
    {
        if (a.Value("event") is null && a.Value("label") is null)
        {
            throw new UsageException("give --event insert|manipulate|remove (with --kind and --site), or --label TEXT");
        }
        int? code = null;
        if (a.Value("code") is string c)
        {
            code = int.TryParse(c, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? v : throw new UsageException($"--code: '{c}' is not an integer");
        }
        return new MarkRequest { Event = a.Value("event"), Kind = a.Value("kind"), Site = a.Value("site"), Label = a.Value("label"), Code = code };
    }

    private string Describe(JsonElement root)
    {
        var sb = new StringBuilder();
        switch (name)
        {
            case "mark":
                string condition = root.GetProperty("condition").ValueKind == JsonValueKind.String
                    ? $" (condition {root.GetProperty("condition").GetString()})"
                    : " (no condition rule matches it)";
                sb.AppendLine(CultureInfo.InvariantCulture, $"Marked '{root.GetProperty("label").GetString()}' at {root.GetProperty("sessionTime").GetDouble():0.000} s of session {root.GetProperty("session").GetString()}{condition}");
                break;
            case "status":
                sb.AppendLine(CultureInfo.InvariantCulture, $"Station {root.GetProperty("station").GetString()}: {root.GetProperty("state").GetString()} (profile {root.GetProperty("profile").GetString()})");
                if (root.GetProperty("session") is { ValueKind: JsonValueKind.Object } session)
                {
                    DescribeSession(sb, session);
                }
                if (root.TryGetProperty("catalogueStatus", out JsonElement catalogue) && catalogue.GetString() is { } line)
                {
                    sb.AppendLine("  " + line);
                }
                foreach (JsonElement s in root.GetProperty("streams").EnumerateArray())
                {
                    string rate = s.GetProperty("effectiveRateHz") is { ValueKind: JsonValueKind.Number } r ? r.GetDouble().ToString("0.0", CultureInfo.InvariantCulture) : "-";
                    string age = s.GetProperty("lastSampleAgeSeconds") is { ValueKind: JsonValueKind.Number } g ? g.GetDouble().ToString("0.0", CultureInfo.InvariantCulture) + " s" : "-";
                    sb.AppendLine(CultureInfo.InvariantCulture, $"  stream {s.GetProperty("key").GetString(),-10} {s.GetProperty("state").GetString(),-12} rate {rate}/{s.GetProperty("nominalRateHz").GetDouble():0.#} Hz, last sample {age} ago, {s.GetProperty("gaps").GetInt32()} gap(s){(s.GetProperty("reason").GetString() is { } why ? " — " + why : "")}");
                }
                break;
            default:
                DescribeSession(sb, root);
                break;
        }
        return sb.ToString();
    }

    private static void DescribeSession(StringBuilder sb, JsonElement s)
    {
        sb.AppendLine(CultureInfo.InvariantCulture, $"Session {s.GetProperty("id").GetString()}: {s.GetProperty("phase").GetString()}, {s.GetProperty("elapsedSeconds").GetDouble():0} s");
        sb.AppendLine($"  folder: {s.GetProperty("folder").GetString()}");
        string epochs = string.Join(", ", s.GetProperty("epochsPerCondition").EnumerateObject().Select(p => $"{p.Name} {p.Value.GetInt32()}"));
        sb.AppendLine($"  epochs: {(epochs.Length > 0 ? epochs : "none yet")}; dropped {s.GetProperty("dropped").GetInt32()}; marked by hand {s.GetProperty("markersByHand").GetInt32()}");
        if (s.GetProperty("end") is { ValueKind: JsonValueKind.Object } end)
        {
            sb.AppendLine($"  ended: {end.GetProperty("kind").GetString()} — {end.GetProperty("reason").GetString()}");
        }
    }
}
