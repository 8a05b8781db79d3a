using AcqService.Core.Model;
using System.Globalization;
using AcqService.Sources.Lsl;
using AcqService.Host.Cli;
using AcqService.Host.Hosting;
using AcqService.Lsl;
using Microsoft.Extensions.Configuration;

namespace AcqService.Host.Commands;

/// <summary>
/// <c>acq streams</c>: lists the LSL streams visible from this computer with the fields a profile predicate can use,
/// and explains discovery (scope, KnownPeers, firewall, which lsl_api.cfg) so a missing stream can be diagnosed.
/// </summary>
internal sealed class StreamsCommand : ICommand
{
    public string Name => "streams";

    public string Summary => "List the LSL streams visible from here (name, type, channels, rate, host, source_id).";

    public string Usage => "./acq streams [--wait SECONDS] [--settings FILE] [--Lsl:Key=value ...]";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("wait", "SECONDS", "how long to listen for streams (default 2)"),
        new("settings", "FILE", "extra settings JSON (same layout as appsettings.json)"),
    ];

    public bool AcceptsSettings => true;

    public async Task<int> RunAsync(ParsedArguments arguments, CancellationToken cancellationToken)
    {
        if (arguments.Positionals.Count > 0)
        {
            throw new UsageException($"unexpected argument '{arguments.Positionals[0]}'");
        }
        double wait = arguments.Number("wait", 0.5, 600) ?? 2;
        IConfigurationRoot configuration = SettingsLoader.Build(arguments.Value("settings"), arguments.ConfigurationOverrides);
        ILslBackend backend;
        try
        {
            backend = LslHost.Create(configuration, out _);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or AcqService.Lsl.Config.LslConfigException)
        {
            Console.Error.WriteLine($"acq {Name}: LSL: {ex.Message}");
            return ExitCodes.Failure;
        }
        using (backend)
        {
            IReadOnlyList<LslStreamInfo> streams = await Task.Run(() => backend.Resolve(null, 0, TimeSpan.FromSeconds(wait), cancellationToken), cancellationToken).ConfigureAwait(false);
            if (streams.Count == 0)
            {
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"No LSL streams visible within {wait:0.#} s."));
            }
            else
            {
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{streams.Count} LSL stream(s) visible within {wait:0.#} s:"));
                Console.Out.WriteLine($"  {"name",-28} {"type",-12} {"channels",-14} {"rate",-10} {"host",-20} source_id");
                foreach (LslStreamInfo s in streams.OrderBy(s => s.Type, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal))
                {
                    string rate = s.NominalSrate > 0 ? s.NominalSrate.ToString("0.###", CultureInfo.InvariantCulture) + " Hz" : "irregular";
                    Console.Out.WriteLine($"  {s.Name,-28} {s.Type,-12} {s.ChannelCount + " " + s.ChannelFormat.ToName(),-14} {rate,-10} {s.Hostname,-20} {s.SourceId}");
                }
                Console.Out.WriteLine("A profile selects one with source.predicate, e.g. \"type='EEG' and source_id='…'\".");
                Console.Out.WriteLine();
                Console.Out.WriteLine("If a stream is missing:");
            }
            Console.Out.WriteLine(LslDiscoveryHelp.Explain(backend));
            // Serial devices (drivers openbci-cyton, openbci-cyton-daisy, serial-trigger-box) are not LSL streams; list the ports too.
            IReadOnlyList<string> ports = AcqService.Sources.Serial.SerialPortTransport.PortNames();
            Console.Out.WriteLine(ports.Count == 0 ? "Serial ports: none found." : "Serial ports (source.port of the serial drivers): " + string.Join(", ", ports));
            return streams.Count > 0 ? ExitCodes.Ok : ExitCodes.Failure;
        }
    }
}
