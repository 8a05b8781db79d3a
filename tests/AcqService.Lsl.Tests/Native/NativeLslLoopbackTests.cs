using AcqService.Core.Model;
using System.Globalization;
using AcqService.Lsl.Native;

namespace AcqService.Lsl.Tests.Native;

/// <summary>Proves the test configuration really keeps liblsl on loopback.</summary>
[Collection(NativeLslCollection.Name)]
public sealed class NativeLslLoopbackTests
{
    private const int MulticastPort = 16571;

    /// <summary>/proc writes 127.0.0.1 as little-endian hex.</summary>
    private const string Loopback = "0100007F";

    private static LslStreamInfo Info(string prefix) => new()
    {
        Name = NativeLslFixture.UniqueName(prefix),
        Type = "EEG",
        ChannelCount = 1,
        NominalSrate = 10,
        ChannelFormat = ChannelFormat.Float32,
        SourceId = "src-" + Guid.NewGuid().ToString("N"),
    };

    [Fact]
    public void FixtureConfigIsLoopbackOnly()
    {
        Assert.True(LslConfigCheck.IsLoopbackOnly(NativeLslFixture.LoopbackConfig, out string why), why);
        Assert.False(LslConfigCheck.IsLoopbackOnly(NativeLslFixture.LoopbackConfig.Replace("machine", "site"), out _));
        Assert.False(LslConfigCheck.IsLoopbackOnly(NativeLslFixture.LoopbackConfig.Replace("{127.0.0.1}", "{127.0.0.1, 10.0.0.5}"), out _));
    }

    [SkippableFact]
    public void ResolveWithTheLoopbackConfigFindsTheStream()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        using ILslOutlet outlet = backend.CreateOutlet(Info("lo"));

        IReadOnlyList<LslStreamInfo> found = backend.Resolve($"name='{outlet.Info.Name}'", 1, NativeLslFixture.Timeout);

        LslStreamInfo info = Assert.Single(found);
        Assert.Equal(outlet.Info.Uid, info.Uid);
        // IPv6 disabled: the outlet opened no v6 ports.
        Assert.Equal(0, outlet.Info.V6DataPort);
        Assert.Equal(0, outlet.Info.V6ServicePort);
    }

    [SkippableFact]
    public void DataConnectionRunsOverLoopback()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        Skip.IfNot(OperatingSystem.IsLinux(), "reads /proc/net/tcp");
        (ILslOutlet outlet, ILslInlet inlet) = NativeLslFixture.Connect(backend, Info("lo-tcp"));
        using (outlet)
        using (inlet)
        {
            HashSet<string> ours = OwnSocketInodes();
            // Both ends live in this process: the inlet's socket has the data port as remote, the outlet's as local.
            // The listening socket itself (remote 0.0.0.0:0) is left out: liblsl 1.17.7 binds its TCP acceptor (and
            // the UDP service socket) to every interface; multicast.ListenAddress only applies to the discovery
            // responders. That accepts but sends nothing on its own; every connection made here must be loopback.
            List<(string Local, string Remote)> connections = TcpSockets("/proc/net/tcp")
                .Where(s => ours.Contains(s.Inode) && s.Remote != "00000000:0000")
                .Where(s => Port(s.Local) == outlet.Info.V4DataPort || Port(s.Remote) == outlet.Info.V4DataPort)
                .Select(s => (s.Local, s.Remote))
                .ToList();

            Assert.NotEmpty(connections);
            Assert.All(connections, s =>
            {
                Assert.Equal(Loopback, s.Local.Split(':')[0]);
                Assert.Equal(Loopback, s.Remote.Split(':')[0]);
            });
            Assert.DoesNotContain(TcpSockets("/proc/net/tcp6"), s => ours.Contains(s.Inode) && Port(s.Local) == outlet.Info.V4DataPort);
        }
    }

    [SkippableFact]
    public void DiscoveryRespondersOfThisProcessListenOnLoopbackOnly()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        Skip.IfNot(OperatingSystem.IsLinux(), "reads /proc/net/udp");
        using ILslOutlet outlet = backend.CreateOutlet(Info("bind"));

        HashSet<string> ours = OwnSocketInodes();
        List<(string Local, string Inode)> v4 = UdpSockets("/proc/net/udp").Where(s => ours.Contains(s.Inode)).ToList();
        List<(string Local, string Inode)> v6 = UdpSockets("/proc/net/udp6").Where(s => ours.Contains(s.Inode)).ToList();

        List<string> responders = v4.Where(s => Port(s.Local) == MulticastPort).Select(s => s.Local).ToList();
        Assert.NotEmpty(responders);
        // ListenAddress = 127.0.0.1.
        Assert.All(responders, local => Assert.Equal(Loopback, local.Split(':')[0]));
        Assert.DoesNotContain(v6, s => Port(s.Local) == MulticastPort);
    }

    private static int Port(string local) => int.Parse(local.Split(':')[^1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static HashSet<string> OwnSocketInodes()
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                string? target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(target["socket:[".Length..^1]);
                }
            }
            catch (IOException)
            {
                // The descriptor closed while we looked.
            }
        }
        return inodes;
    }

    private static IEnumerable<(string Local, string Remote, string Inode)> TcpSockets(string table)
    {
        if (!File.Exists(table))
        {
            yield break;
        }
        foreach (string line in File.ReadLines(table).Skip(1))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length > 9)
            {
                yield return (f[1], f[2], f[9]);
            }
        }
    }

    private static IEnumerable<(string Local, string Inode)> UdpSockets(string table)
    {
        if (!File.Exists(table))
        {
            yield break;
        }
        foreach (string line in File.ReadLines(table).Skip(1))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length > 9)
            {
                yield return (f[1], f[9]);
            }
        }
    }
}
