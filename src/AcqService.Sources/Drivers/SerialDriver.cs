using System.Text.Json;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Profiles;
using AcqService.Sources.Serial;

namespace AcqService.Sources.Drivers;

/// <summary>
/// Serial devices over <c>System.IO.Ports</c>: <c>openbci-cyton</c> (8 ch, 250 Hz), <c>openbci-cyton-daisy</c>
/// (16 ch, 125 Hz) and <c>serial-trigger-box</c> (needle events from byte codes or text lines). Port settings and
/// code maps are fields of the stream's <c>source</c> object, checked by the options classes in <c>Serial/</c>.
/// </summary>
public sealed class SerialDriver : SourceDriver
{
    /// <inheritdoc />
    public override IReadOnlyList<string> Names => SerialDrivers.Names;

    /// <inheritdoc />
    public override string Description => "OpenBCI Cyton / Cyton+Daisy amplifiers and needle trigger boxes on a serial port";

    /// <inheritdoc />
    public override IEnumerable<string> Validate(StreamProfile stream, string path)
    {
        var problems = new List<string>();
        problems.AddRange(RejectForeignFields(stream, path, [.. stream.Source.Options?.Keys ?? Enumerable.Empty<string>()]));
        try
        {
            _ = SerialDrivers.Parse(stream.Source.Driver, SectionOf(stream), path + ".source");
        }
        catch (SerialOptionsException ex)
        {
            problems.AddRange(ex.Problems);
        }
        problems.AddRange(SerialDrivers.CheckStream(stream.Source.Driver, stream.Kind == "signal" ? StreamKind.Signal : StreamKind.Markers,
            stream.Channels?.Count ?? 0, stream.SampleRateHz, path));
        return problems;
    }

    /// <inheritdoc />
    public override Task<IReadOnlyList<ISource>> CreateAsync(IReadOnlyList<StreamProfile> streams, SourceContext context, CancellationToken cancellationToken)
    {
        var sources = new List<ISource>();
        foreach (StreamProfile stream in streams)
        {
            object options = SerialDrivers.Parse(stream.Source.Driver, SectionOf(stream), $"$.streams['{stream.Key}'].source");
            sources.Add(SerialDrivers.Create(ProfileLoader.ToDescriptor(stream), options, context.Clock, context.Logger));
        }
        return Task.FromResult<IReadOnlyList<ISource>>(sources);
    }

    /// <summary>The stream's <c>source</c> object as JSON (driver plus the driver's own fields), as the options parsers read it.</summary>
    private static JsonElement SectionOf(StreamProfile stream)
    {
        // The context's default options are the serializer's defaults (what this wrote before), without reflection.
        var section = new Dictionary<string, JsonElement>(stream.Source.Options ?? [], StringComparer.Ordinal)
        {
            ["driver"] = JsonSerializer.SerializeToElement(stream.Source.Driver, ProfileJsonContext.Default.String),
        };
        return JsonSerializer.SerializeToElement(section, ProfileJsonContext.Default.DictionaryStringJsonElement);
    }
}
