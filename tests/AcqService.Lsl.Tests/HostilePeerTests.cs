using AcqService.Core.Model;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AcqService.Lsl.Managed;

namespace AcqService.Lsl.Tests;

public class HostilePeerTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(5);

    private static bool HasDiagnostic(List<string> diagnostics, string fragment) =>
        SpinWait.SpinUntil(() =>
        {
            lock (diagnostics)
            {
                return diagnostics.Any(d => d.Contains(fragment, StringComparison.Ordinal));
            }
        }, s_wait);

    private static void AssertOutletStillServes(ILslOutlet outlet)
    {
        using Socket client = RawPeer.Connect(outlet.Info.V4DataPort);
        RawPeer.Send(client, "LSL:fullinfo\r\n");
        Assert.Contains(outlet.Info.Uid, Encoding.UTF8.GetString(RawPeer.ReadToEnd(client)), StringComparison.Ordinal);
    }

    [Fact]
    public void Outlet_GarbageRequest_IsClosedWithDiagnostic()
    {
        var diagnostics = new List<string>();
        using var backend = LslTestStreams.Backend(diagnostics);
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(LslTestStreams.UniqueName("g"), ChannelFormat.Float32, 1, 0));
        using (Socket client = RawPeer.Connect(outlet.Info.V4DataPort))
        {
            client.Send([0xff, 0x00, 0x13, 0x37, (byte)'\n', 0x01, 0x02]);
            Assert.True(RawPeer.IsClosedByPeer(client));
        }
        Assert.True(HasDiagnostic(diagnostics, "unknown TCP request"));
        AssertOutletStillServes(outlet);
    }

    [Fact]
    public void Outlet_HugeRequestLineOrHeader_IsRefusedWithBoundedMemory()
    {
        var diagnostics = new List<string>();
        using var backend = LslTestStreams.Backend(diagnostics);
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(LslTestStreams.UniqueName("h"), ChannelFormat.Float32, 1, 0));
        long before = GC.GetTotalAllocatedBytes();
        using (Socket client = RawPeer.Connect(outlet.Info.V4DataPort))
        {
            // 1 MB without a line end.
            TrySend(client, Encoding.ASCII.GetBytes(new string('A', 1 << 20)));
            Assert.True(RawPeer.IsClosedByPeer(client));
        }
        Assert.True(HasDiagnostic(diagnostics, "line longer than"));
        using (Socket client = RawPeer.Connect(outlet.Info.V4DataPort))
        {
            var header = new StringBuilder($"LSL:streamfeed/110 {outlet.Info.Uid}\r\n");
            for (int i = 0; i < 20_000; i++)
            {
                header.Append("X-Filler: ").Append(i).Append("\r\n");
            }
            TrySend(client, Encoding.ASCII.GetBytes(header.ToString()));
            Assert.True(RawPeer.IsClosedByPeer(client));
        }
        Assert.True(HasDiagnostic(diagnostics, "header block larger"));
        Assert.InRange(GC.GetTotalAllocatedBytes() - before, 0, 256L << 20);
        AssertOutletStillServes(outlet);
    }

    [Fact]
    public void Outlet_GarbageDatagrams_AreIgnoredWithDiagnostic()
    {
        var diagnostics = new List<string>();
        using var backend = LslTestStreams.Backend(diagnostics);
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(LslTestStreams.UniqueName("u"), ChannelFormat.Float32, 1, 0));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var service = new IPEndPoint(IPAddress.Loopback, outlet.Info.V4ServicePort);
        socket.SendTo(new byte[60_000], service);
        socket.SendTo("LSL:shortinfo\r\nname='x'\r\nnot-a-port id\r\n"u8.ToArray(), service);
        socket.SendTo("LSL:timedata\r\nabc def\r\n"u8.ToArray(), service);
        Assert.True(HasDiagnostic(diagnostics, "unknown UDP request"));
        Assert.True(HasDiagnostic(diagnostics, "return-port"));
        Assert.True(HasDiagnostic(diagnostics, "wave-id"));
        AssertOutletStillServes(outlet);
    }

    [Theory]
    [InlineData("status", "malformed status line")]
    [InlineData("tag", "invalid sample tag")]
    [InlineData("strlen", "exceeds the limit")]
    [InlineData("width", "invalid string length width")]
    [InlineData("pattern", "test pattern")]
    [InlineData("header", "header block larger")]
    [InlineData("uid", "differs from the resolved uid")]
    public void Inlet_FakeOutletSendsGarbage_ConnectionRefusedAndStreamLost(string attack, string expected)
    {
        var diagnostics = new List<string>();
        using var backend = LslTestStreams.Backend(diagnostics);
        string uid = Guid.NewGuid().ToString();
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4);
        ChannelFormat format = attack is "strlen" or "width" ? ChannelFormat.String : ChannelFormat.Float32;
        byte[] payload = attack switch
        {
            "status" => "HTTP/1.1 200 OK\r\n\r\n"u8.ToArray(),
            "header" => Encoding.ASCII.GetBytes("LSL/110 200 OK\r\n" + string.Concat(Enumerable.Repeat("X-Junk: 0123456789\r\n", 10_000))),
            "uid" => [.. Encoding.ASCII.GetBytes($"LSL/110 200 OK\r\nUID: {Guid.NewGuid()}\r\n\r\n"), .. WireFormat.TestPatterns(format, 1)],
            "pattern" => [.. Response(uid), .. WireFormat.TestPatternSample(format, 1, 4), .. WireFormat.TestPatternSample(format, 1, 4)],
            "tag" => [.. Response(uid), .. WireFormat.TestPatterns(format, 1), 0x07, 1, 2, 3],
            "strlen" => [.. Response(uid), .. WireFormat.TestPatterns(format, 1), 0x02, .. new byte[8], 8, .. BitConverter.GetBytes(1L << 62)],
            "width" => [.. Response(uid), .. WireFormat.TestPatterns(format, 1), 0x02, .. new byte[8], 3, 1, 2, 3],
            _ => throw new ArgumentOutOfRangeException(nameof(attack)),
        };
        Task fake = Task.Run(() =>
        {
            using Socket peer = listener.Accept();
            peer.ReceiveTimeout = 5000;
            RawPeer.ReadHeader(peer);
            TrySend(peer, payload);
            // Hold the connection open: the inlet must drop it on its own.
            RawPeer.IsClosedByPeer(peer);
        });
        var info = LslTestStreams.Info(LslTestStreams.UniqueName("fake"), format, 1, 100);
        info.Uid = uid;
        info.V4Address = "127.0.0.1";
        info.V4DataPort = ((IPEndPoint)listener.LocalEndPoint!).Port;
        info.V4ServicePort = 9;
        long before = GC.GetTotalAllocatedBytes();
        using (ILslInlet inlet = backend.CreateInlet(info, recover: false))
        {
            if (attack is "status" or "header" or "uid" or "pattern")
            {
                // Handshake-level garbage: the connection never counts as open.
                Assert.Throws<LslStreamLostException>(() => inlet.Open(s_wait));
            }
            else
            {
                // The handshake succeeds; the garbage sample may already have killed the stream by the time Open returns.
                try
                {
                    inlet.Open(s_wait);
                }
                catch (LslStreamLostException)
                {
                }
            }
            Assert.True(HasDiagnostic(diagnostics, expected));
            Assert.True(SpinWait.SpinUntil(() =>
            {
                try
                {
                    _ = format == ChannelFormat.String
                        ? inlet.PullChunk(new string[1], new double[1], TimeSpan.FromMilliseconds(50))
                        : inlet.PullChunk(new double[1], new double[1], TimeSpan.FromMilliseconds(50));
                    return false;
                }
                catch (LslStreamLostException)
                {
                    return true;
                }
            }, s_wait));
        }
        Assert.InRange(GC.GetTotalAllocatedBytes() - before, 0, 256L << 20);
        Assert.True(fake.Wait(s_wait));
    }

    private static byte[] Response(string uid) => WireFormat.StreamfeedResponse(uid);

    private static void TrySend(Socket socket, byte[] data)
    {
        try
        {
            socket.Send(data);
        }
        catch (SocketException)
        {
            // The other side may close early; that is the point of these tests.
        }
    }
}
