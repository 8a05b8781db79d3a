using System.Globalization;
using System.Xml.Linq;
using AcqService.Core.Model;
using AcqService.Sources.Profiles;
using AcqService.Lsl;
using Microsoft.Extensions.Logging;

namespace AcqService.Sources.Lsl;

/// <summary>
/// Compares a resolved LSL stream with its profile entry and builds the session's descriptor. Channel count, nominal
/// rate and channel format are checked; <c>onMismatch = error</c> (default) refuses the stream, <c>warn</c> logs and
/// uses the stream's own values. Some combinations are never safe (a string stream as a signal, an irregular stream
/// as a signal) and are refused either way.
/// </summary>
internal static partial class LslProfileCheck
{
    /// <summary>Builds the descriptor or throws <see cref="LslSourceException"/> naming expected vs actual.</summary>
    public static StreamDescriptor Describe(StreamProfile profile, LslStreamInfo info, ILogger logger)
    {
        bool signal = profile.Kind == "signal";
        string actual = LslDiscoveryHelp.Describe(info);
        var unsafeProblems = new List<string>();
        if (signal && info.ChannelFormat == ChannelFormat.String)
        {
            unsafeProblems.Add("it carries strings, which cannot be a signal");
        }
        if (signal && !(info.NominalSrate > 0))
        {
            unsafeProblems.Add("it is irregular (nominal rate 0), which cannot be a signal");
        }
        if (unsafeProblems.Count > 0)
        {
            throw new LslSourceException($"stream '{profile.Key}': the LSL stream {actual} cannot be used as the profile's signal stream: {string.Join("; ", unsafeProblems)}");
        }

        var problems = new List<string>();
        int? expectedCount = profile.ChannelCount ?? profile.Channels?.Count;
        if (expectedCount is int count && count != info.ChannelCount)
        {
            problems.Add($"channel count: profile expects {count}, stream has {info.ChannelCount}");
        }
        double expectedRate = signal ? profile.SampleRateHz ?? 0 : 0;
        if (Math.Abs(expectedRate - info.NominalSrate) > 1e-9 * Math.Max(1, expectedRate))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"nominal rate: profile expects {Rate(expectedRate)}, stream has {Rate(info.NominalSrate)}"));
        }
        if (profile.ChannelFormat is string format && ProfileLoader.TryParseFormat(format, out ChannelFormat expectedFormat)
            && (int)expectedFormat != (int)info.ChannelFormat)
        {
            problems.Add($"channel format: profile expects {format}, stream has {info.ChannelFormat.ToName()}");
        }
        if (problems.Count > 0)
        {
            if (profile.Source.OnMismatch != "warn")
            {
                throw new LslSourceException($"stream '{profile.Key}': the LSL stream {actual} does not match the profile: {string.Join("; ", problems)}. "
                    + "Fix the profile, or set source.onMismatch to \"warn\" to continue with the stream's own values.");
            }
            foreach (string problem in problems)
            {
                LogMismatch(logger, profile.Key, problem);
            }
        }

        IReadOnlyList<ChannelDescriptor> channels = Channels(profile, info, signal, logger);
        if (!string.Equals(profile.Type, info.Type, StringComparison.OrdinalIgnoreCase))
        {
            LogTypeDiffers(logger, profile.Key, profile.Type, info.Type);
        }
        // The profile's type names the role in the session (alpha analyses type EEG); name, rate, format and
        // source_id are what the stream really is, so the recording states the truth.
        var descriptor = new StreamDescriptor(profile.Key, signal ? StreamKind.Signal : StreamKind.Markers, info.Name, profile.Type, channels,
            signal ? info.NominalSrate : 0, info.ChannelFormat, info.SourceId)
        {
            DescriptionXml = info.Desc.HasElements ? info.Desc.ToString(SaveOptions.DisableFormatting) : null,
            Hostname = info.Hostname.Length > 0 ? info.Hostname : null,
        };
        try
        {
            // An fNIRS profile's pairs, distances, short flags and pathlength factor join what the device's desc says.
            return NirsProfiles.Apply(profile, descriptor);
        }
        catch (FormatException ex)
        {
            throw new LslSourceException($"stream '{profile.Key}': the LSL stream {actual} does not fit the profile's fNIRS model: {ex.Message}");
        }
    }

    /// <summary>
    /// Channels in sample order: the profile's when it lists them for this channel count (units/types filled from
    /// desc when the profile leaves them empty), else the stream's desc, else generated labels.
    /// </summary>
    private static IReadOnlyList<ChannelDescriptor> Channels(StreamProfile profile, LslStreamInfo info, bool signal, ILogger logger)
    {
        int n = info.ChannelCount;
        ChannelDescriptor[] fromDesc = DescChannels(info, signal);
        List<ChannelProfile>? listed = profile.Channels;
        if (listed is { Count: > 0 } && listed.Count == n)
        {
            var result = new ChannelDescriptor[n];
            int differing = 0;
            for (int i = 0; i < n; i++)
            {
                ChannelProfile p = listed[i];
                ChannelDescriptor? d = fromDesc.Length == n ? fromDesc[i] : null;
                if (d is not null && d.Label.Length > 0 && !string.Equals(d.Label, p.Label, StringComparison.OrdinalIgnoreCase))
                {
                    differing++;
                }
                result[i] = new ChannelDescriptor(p.Label, p.Unit.Length > 0 ? p.Unit : d?.Unit ?? "", p.Type.Length > 0 ? p.Type : d?.Type ?? DefaultType(profile, signal));
            }
            if (differing > 0)
            {
                LogLabelsDiffer(logger, profile.Key, differing);
            }
            return result;
        }
        if (fromDesc.Length == n && fromDesc.All(c => c.Label.Length > 0))
        {
            return fromDesc;
        }
        if (!signal && n == 1)
        {
            return [new ChannelDescriptor("marker", "", "Marker")];
        }
        // Only reached with onMismatch = warn (or a profile without channels): keep what the profile says per
        // position, and name the rest by position so nothing is silently relabelled.
        ChannelProfile? template = listed?.FirstOrDefault();
        var generated = new ChannelDescriptor[n];
        for (int i = 0; i < n; i++)
        {
            generated[i] = listed is not null && i < listed.Count
                ? new ChannelDescriptor(listed[i].Label, listed[i].Unit, listed[i].Type.Length > 0 ? listed[i].Type : DefaultType(profile, signal))
                : new ChannelDescriptor("ch" + (i + 1).ToString(CultureInfo.InvariantCulture), template?.Unit ?? "", template?.Type is { Length: > 0 } t ? t : DefaultType(profile, signal));
        }
        LogGeneratedLabels(logger, profile.Key, n);
        return generated;
    }

    private static ChannelDescriptor[] DescChannels(LslStreamInfo info, bool signal)
    {
        XElement? list = info.Desc.Element("channels");
        if (list is null)
        {
            return [];
        }
        return [.. list.Elements("channel").Select(c => new ChannelDescriptor(
            ((string?)c.Element("label") ?? "").Trim(),
            ((string?)c.Element("unit") ?? "").Trim(),
            ((string?)c.Element("type") ?? "").Trim() is { Length: > 0 } type ? type : signal ? info.Type : "Marker"))];
    }

    private static string DefaultType(StreamProfile profile, bool signal) => signal ? profile.Type : "Marker";

    private static string Rate(double hz) => hz > 0 ? hz.ToString("0.######", CultureInfo.InvariantCulture) + " Hz" : "irregular (0 Hz)";

    [LoggerMessage(Level = LogLevel.Warning, Message = "LSL stream {Key}: {Problem}; continuing with the stream's value (onMismatch = warn)")]
    private static partial void LogMismatch(ILogger logger, string key, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "LSL stream {Key}: profile type '{ProfileType}' differs from the stream's type '{StreamType}'; the profile's type is used")]
    private static partial void LogTypeDiffers(ILogger logger, string key, string profileType, string streamType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LSL stream {Key}: {Count} channel label(s) in the stream's desc differ from the profile; the profile's labels are used")]
    private static partial void LogLabelsDiffer(ILogger logger, string key, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LSL stream {Key}: no usable channel labels for {Count} channels; unlisted channels are named ch1, ch2, …")]
    private static partial void LogGeneratedLabels(ILogger logger, string key, int count);
}
