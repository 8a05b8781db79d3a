using AcqService.Core.Model;
using AcqService.Lsl.Config;
using AcqService.Lsl.Managed;

namespace AcqService.Lsl.Tests;

/// <summary>Shared helpers: every backend uses the loopback preset; every stream name is unique per test.</summary>
internal static class LslTestStreams
{
    public static LslConfig Config => LslConfig.Loopback();

    public static ManagedLslBackend Backend(List<string>? diagnostics = null, double clockOffset = 0)
    {
        var backend = new ManagedLslBackend(LslConfig.Loopback(), clockOffset);
        if (diagnostics is not null)
        {
            backend.Diagnostic += (_, message) =>
            {
                lock (diagnostics)
                {
                    diagnostics.Add(message);
                }
            };
        }
        return backend;
    }

    public static string UniqueName(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N");

    public static LslStreamInfo Info(string name, ChannelFormat format, int channels, double srate, string sourceId = "", string type = "EEG") => new()
    {
        Name = name,
        Type = type,
        ChannelCount = channels,
        NominalSrate = srate,
        ChannelFormat = format,
        SourceId = sourceId,
    };

    /// <summary>Resolves exactly the given stream by its unique name.</summary>
    public static LslStreamInfo ResolveOne(ILslBackend backend, string name)
    {
        IReadOnlyList<LslStreamInfo> found = backend.Resolve($"name='{name}'", 1, TimeSpan.FromSeconds(5));
        Assert.Single(found);
        return found[0];
    }

    /// <summary>Pulls until <paramref name="count"/> samples arrived or the deadline passes.</summary>
    public static (double[] Data, double[] Timestamps) PullAll(ILslInlet inlet, int channels, int count, TimeSpan timeout)
    {
        double[] data = new double[count * channels];
        double[] timestamps = new double[count];
        int have = 0;
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (have < count && Environment.TickCount64 < deadline)
        {
            have += inlet.PullChunk(data.AsSpan(have * channels), timestamps.AsSpan(have), TimeSpan.FromMilliseconds(200));
        }
        Assert.Equal(count, have);
        return (data, timestamps);
    }
}
