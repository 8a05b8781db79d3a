using AcqService.Host.Cli;
using AcqService.Host.Hosting;
using AcqService.Host.Service;
using AcqService.Sessions;
using Microsoft.Extensions.Configuration;

namespace AcqService.Host.Commands;

/// <summary>
/// <c>acq serve</c>: the lab service. Stays up across sessions, watches the station's streams, runs sessions on
/// request from the control API, the LabRecorder-compatible remote-control port and <c>acq start/stop/mark</c>, and
/// closes the running session cleanly on SIGTERM (systemd stop) or Ctrl+C.
/// </summary>
internal sealed class ServeCommand : ICommand
{
    public string Name => "serve";

    public string Summary => "Run the lab service: control API, live feed, LabRecorder remote control, stream watching, sessions on request.";

    public string Usage => "./acq serve [--profile FILE] [--settings FILE] [--Station:Key=value ...] [--Section:Key=value ...]";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("profile", "FILE", "station device profile (default: Station:Profile, else the embedded simulated one)"),
        new("settings", "FILE", "extra settings JSON, e.g. /etc/acqservice/appsettings.json (same layout as appsettings.json)"),
    ];

    public bool AcceptsSettings => true;

    public async Task<int> RunAsync(ParsedArguments arguments, CancellationToken cancellationToken)
    {
        if (arguments.Positionals.Count > 0)
        {
            throw new UsageException($"unexpected argument '{arguments.Positionals[0]}'");
        }
        IConfigurationRoot configuration = SettingsLoader.Build(arguments.Value("settings"), arguments.ConfigurationOverrides);
        StationHost host;
        try
        {
            host = await StationHost.StartAsync(configuration, arguments.Value("profile"), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (SessionSetupException ex)
        {
            Console.Error.WriteLine($"acq {Name}: {ex.Message}");
            return ex.IsUsageError ? ExitCodes.Usage : ExitCodes.Failure;
        }
        await using (host.ConfigureAwait(false))
        {
            StationOptions options = host.Station.Options;
            Console.Out.WriteLine($"AcqService lab service — station '{options.Name}', profile {host.Station.Profile.Name} ({host.Station.Profile.Source})");
            Console.Out.WriteLine($"  Control API:    {host.ApiAddress}api/state  (OpenAPI: {host.ApiAddress}{ControlApi.OpenApiPath.TrimStart('/')}){(options.Api.TokenRequired ? "  — token required" : "")}");
            if (host.RemoteControl is { } remote)
            {
                Console.Out.WriteLine($"  Remote control: {remote.Endpoint} (LabRecorder protocol: start, stop, update, select all/none, filename ...)");
            }
            Console.Out.WriteLine($"  Sessions go to: {host.Station.OutputRoot}");
            foreach (StreamHealth s in host.Station.Watcher.Snapshot())
            {
                Console.Out.WriteLine($"  Stream {s.Key}: {s.Name} ({s.Type})");
            }
            Console.Out.WriteLine("Stop with Ctrl+C or 'systemctl stop acqservice'; a running session is closed and its results written.");
            await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
        return ExitCodes.Ok;
    }
}
