using System.Text.Json;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using Microsoft.Extensions.Logging;

namespace AcqService.Sources.Serial;

/// <summary>
/// Entry points for the driver registry: the three serial driver names, each with a validator of its <c>source</c>
/// section and a factory that creates the <see cref="ISource"/> for a stream.
/// </summary>
public static class SerialDrivers
{
    /// <summary>Every serial driver name.</summary>
    public static readonly IReadOnlyList<string> Names = [CytonOptions.CytonDriver, CytonOptions.DaisyDriver, TriggerBoxOptions.Driver];

    /// <summary>
    /// Validates a serial driver's <c>source</c> section and returns its options (<see cref="CytonOptions"/> or
    /// <see cref="TriggerBoxOptions"/>).
    /// </summary>
    /// <param name="driver">One of <see cref="Names"/>.</param>
    /// <param name="sourceSection">The <c>source</c> object.</param>
    /// <param name="path">Its JSON path, e.g. <c>$.streams[1].source</c>.</param>
    /// <exception cref="SerialOptionsException">Invalid section (each problem names its path).</exception>
    /// <exception cref="ArgumentException">Not a serial driver.</exception>
    public static object Parse(string driver, JsonElement sourceSection, string path) => driver switch
    {
        CytonOptions.CytonDriver or CytonOptions.DaisyDriver => CytonOptions.Parse(sourceSection, path),
        TriggerBoxOptions.Driver => TriggerBoxOptions.Parse(sourceSection, path),
        _ => throw new ArgumentException($"'{driver}' is not a serial driver", nameof(driver)),
    };

    /// <summary>
    /// Checks a stream's profile values against a driver (channel count and rate of a Cyton; kind of a trigger box).
    /// Returns problems as "$.path: message" (empty when fine).
    /// </summary>
    /// <param name="driver">One of <see cref="Names"/>.</param>
    /// <param name="kind">Stream kind from the profile.</param>
    /// <param name="channelCount">Channels listed in the profile.</param>
    /// <param name="sampleRateHz">Profile rate (null when absent).</param>
    /// <param name="streamPath">JSON path of the stream, e.g. <c>$.streams[0]</c>.</param>
    public static IReadOnlyList<string> CheckStream(string driver, StreamKind kind, int channelCount, double? sampleRateHz, string streamPath)
    {
        var problems = new List<string>();
        if (driver is CytonOptions.CytonDriver or CytonOptions.DaisyDriver)
        {
            bool daisy = driver == CytonOptions.DaisyDriver;
            int channels = daisy ? 16 : 8;
            double rate = daisy ? 125 : 250;
            if (kind != StreamKind.Signal)
            {
                problems.Add($"{streamPath}.kind: the {driver} driver delivers a signal stream");
            }
            if (channelCount != channels)
            {
                problems.Add($"{streamPath}.channels: the {driver} driver delivers {channels} channels, {channelCount} are listed");
            }
            if (sampleRateHz is not double r || Math.Abs(r - rate) > 1e-9)
            {
                problems.Add($"{streamPath}.sampleRateHz: the {driver} driver delivers {rate} Hz over the USB dongle");
            }
        }
        else if (driver == TriggerBoxOptions.Driver && kind != StreamKind.Markers)
        {
            problems.Add($"{streamPath}.kind: the {driver} driver delivers a marker stream");
        }
        return problems;
    }

    /// <summary>Creates the source of a stream from parsed options.</summary>
    /// <param name="stream">Stream descriptor built from the profile (channels µV for the Cyton, a marker stream for a trigger box).</param>
    /// <param name="options">What <see cref="Parse"/> returned.</param>
    /// <param name="clock">Host clock (the local LSL clock, <c>LocalClock.Now</c> in production).</param>
    /// <param name="logger">Logger.</param>
    /// <exception cref="ArgumentException">The stream does not fit the driver, or unknown options.</exception>
    public static ISource Create(StreamDescriptor stream, object options, Func<double> clock, ILogger? logger = null) => options switch
    {
        CytonOptions cyton => new CytonSource(stream, cyton, clock, null, logger),
        TriggerBoxOptions box => new TriggerBoxSource(stream, box, clock, null, logger),
        _ => throw new ArgumentException($"{options.GetType().Name} is not a serial driver's options", nameof(options)),
    };
}
