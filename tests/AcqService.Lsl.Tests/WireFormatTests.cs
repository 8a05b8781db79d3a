using AcqService.Core.Model;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AcqService.Lsl.Managed;

namespace AcqService.Lsl.Tests;

public class WireFormatTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(5);

    [Fact]
    public void QueryDatagram_Layout_MatchesCapturedExample()
    {
        byte[] bytes = WireFormat.QueryDatagram("session_id='default' and name='TestOut'", 16573, "7786242295093473617");
        Assert.Equal("LSL:shortinfo\r\nsession_id='default' and name='TestOut'\r\n16573 7786242295093473617\r\n", Encoding.ASCII.GetString(bytes));
    }

    [Fact]
    public void StreamfeedRequest_Headers_AreLiblslCompatible()
    {
        var info = new LslStreamInfo { Name = "n", ChannelCount = 2, ChannelFormat = ChannelFormat.String, Uid = "45e04303-b981-4dd9-a9d4-385057f3f98a", SourceId = "src123" };
        string text = Encoding.ASCII.GetString(WireFormat.StreamfeedRequest(info, 36000, 0, "vm"));
        Assert.Equal(
            "LSL:streamfeed/110 45e04303-b981-4dd9-a9d4-385057f3f98a\r\nNative-Byte-Order: 1234\r\nEndian-Performance: 1e+06\r\n" +
            "Has-IEEE754-Floats: 1\r\nSupports-Subnormals: 0\r\nValue-Size: 32\r\nData-Protocol-Version: 110\r\nMax-Buffer-Length: 36000\r\n" +
            "Max-Chunk-Length: 0\r\nHostname: vm\r\nSource-Id: src123\r\nSession-Id: default\r\n\r\n", text);
        info.ChannelFormat = ChannelFormat.Float32;
        text = Encoding.ASCII.GetString(WireFormat.StreamfeedRequest(info, 0, 5, "vm"));
        Assert.Contains("Value-Size: 4\r\n", text, StringComparison.Ordinal);
        Assert.Contains("Supports-Subnormals: 1\r\n", text, StringComparison.Ordinal);
        Assert.Contains("Max-Buffer-Length: 1\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void TestPatternSample_Float32ThreeChannels_MatchesCapturedBytes()
    {
        byte[] expected = Convert.FromHexString("02c976be9f0c24fe40" + "00008040" + "0000a0c0" + "0000c040");
        Assert.Equal(expected, WireFormat.TestPatternSample(ChannelFormat.Float32, 3, 4));
    }

    [Theory]
    [InlineData(ChannelFormat.Float32, new long[] { 4, -5, 6, -7, 8 }, new long[] { 2, -3, 4, -5, 6 })]
    [InlineData(ChannelFormat.Double64, new long[] { 16777221, -16777222, 16777223, -16777224, 16777225 }, new long[] { 16777219, -16777220, 16777221, -16777222, 16777223 })]
    [InlineData(ChannelFormat.Int8, new long[] { 5, -6, 7, -8, 9 }, new long[] { 3, -4, 5, -6, 7 })]
    [InlineData(ChannelFormat.Int16, new long[] { 261, -262, 263, -264, 265 }, new long[] { 259, -260, 261, -262, 263 })]
    [InlineData(ChannelFormat.Int32, new long[] { 65541, -65542, 65543, -65544, 65545 }, new long[] { 65539, -65540, 65541, -65542, 65543 })]
    [InlineData(ChannelFormat.Int64, new long[] { 2147483653, -2147483654, 2147483655, -2147483656, 2147483657 }, new long[] { 2147483651, -2147483652, 2147483653, -2147483654, 2147483655 })]
    public void TestPatternSample_EveryNumericFormat_MatchesSpecTable(ChannelFormat format, long[] first, long[] second)
    {
        AssertPattern(WireFormat.TestPatternSample(format, 5, 4), format, first);
        AssertPattern(WireFormat.TestPatternSample(format, 5, 2), format, second);
    }

    private static void AssertPattern(byte[] sample, ChannelFormat format, long[] values)
    {
        Assert.Equal(2, sample[0]);
        Assert.Equal(Convert.FromHexString("c976be9f0c24fe40"), sample[1..9]);
        int size = format.ValueSize();
        Assert.Equal(9 + 5 * size, sample.Length);
        for (int k = 0; k < 5; k++)
        {
            ReadOnlySpan<byte> v = sample.AsSpan(9 + k * size, size);
            double actual = format switch
            {
                ChannelFormat.Float32 => BinaryPrimitives.ReadSingleLittleEndian(v),
                ChannelFormat.Double64 => BinaryPrimitives.ReadDoubleLittleEndian(v),
                ChannelFormat.Int8 => (sbyte)v[0],
                ChannelFormat.Int16 => BinaryPrimitives.ReadInt16LittleEndian(v),
                ChannelFormat.Int32 => BinaryPrimitives.ReadInt32LittleEndian(v),
                _ => BinaryPrimitives.ReadInt64LittleEndian(v),
            };
            Assert.Equal(values[k], actual);
        }
    }

    [Fact]
    public void TestPatternSample_String_IsSameInBothSamples()
    {
        byte[] expected = [2, .. Convert.FromHexString("c976be9f0c24fe40"), 1, 2, .. "10"u8, 1, 3, .. "-11"u8, 1, 2, .. "12"u8];
        Assert.Equal(expected, WireFormat.TestPatternSample(ChannelFormat.String, 3, 4));
        Assert.Equal(expected, WireFormat.TestPatternSample(ChannelFormat.String, 3, 2));
    }

    [Fact]
    public void StringLength_Widths_FollowLiblslWriter()
    {
        var writer = new SampleWriter(16);
        writer.WriteString(""u8);
        writer.WriteString("a"u8);
        writer.WriteString(new byte[299]);
        byte[] bytes = writer.ToArray();
        Assert.Equal(new byte[] { 1, 0, 1, 1, (byte)'a', 4, 0x2b, 1, 0, 0 }, bytes[..10]);
        Assert.Equal(10 + 299, bytes.Length);
    }

    [Fact]
    public void Streamfeed_RawClient_GetsExactHeaderPatternsAndTaggedSamples()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("raw");
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Float32, 3, 100));
        using Socket client = RawPeer.Connect(outlet.Info.V4DataPort);
        // Mixed-case keys and a ';' comment must be understood (liblsl lowercases and strips comments).
        RawPeer.Send(client, $"LSL:streamfeed/110 {outlet.Info.Uid}\r\nvalue-SIZE: 4 ; four bytes\r\nMax-Buffer-Length: 100\r\n\r\n");
        string header = RawPeer.ReadHeader(client);
        Assert.Equal($"LSL/110 200 OK\r\nUID: {outlet.Info.Uid}\r\nByte-Order: 1234\r\nSuppress-Subnormals: 0\r\nData-Protocol-Version: 110\r\n\r\n", header);
        Assert.Equal(WireFormat.TestPatterns(ChannelFormat.Float32, 3), RawPeer.ReadExactly(client, 42));
        Assert.True(outlet.WaitForConsumers(s_wait));

        outlet.PushChunk([1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f], [2001.98, 2001.98 + 0.01, 2001.98 + 0.01 + 0.01]);
        byte[] data = RawPeer.ReadExactly(client, 21 + 13 + 13);
        Assert.Equal(2, data[0]);
        Assert.Equal(2001.98, BinaryPrimitives.ReadDoubleLittleEndian(data.AsSpan(1)));
        Assert.Equal(1f, BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(9)));
        Assert.Equal(1, data[21]);
        Assert.Equal(4f, BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(22)));
        Assert.Equal(1, data[34]);
    }

    [Fact]
    public void Streamfeed_WrongUidOrNewerVersion_GetsErrorStatusAndClose()
    {
        using var backend = LslTestStreams.Backend();
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(LslTestStreams.UniqueName("err"), ChannelFormat.Float32, 1, 0));
        using (Socket client = RawPeer.Connect(outlet.Info.V4DataPort))
        {
            RawPeer.Send(client, "LSL:streamfeed/110 00000000-0000-0000-0000-000000000000\r\nMax-Buffer-Length: 10\r\n\r\n");
            Assert.Equal("LSL/110 404 Not found", Encoding.ASCII.GetString(RawPeer.ReadToEnd(client)));
        }
        using (Socket client = RawPeer.Connect(outlet.Info.V4DataPort))
        {
            RawPeer.Send(client, "LSL:streamfeed/210\r\nMax-Buffer-Length: 10\r\n\r\n");
            Assert.Equal("LSL/110 505 Version not supported", Encoding.ASCII.GetString(RawPeer.ReadToEnd(client)));
        }
    }

    [Fact]
    public void Streamfeed_NoMaxBufferLength_GetsPatternsThenClose()
    {
        using var backend = LslTestStreams.Backend();
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(LslTestStreams.UniqueName("nobuf"), ChannelFormat.Int16, 2, 0));
        using Socket client = RawPeer.Connect(outlet.Info.V4DataPort);
        RawPeer.Send(client, "LSL:streamfeed/110\r\nValue-Size: 2\r\n\r\n");
        string header = RawPeer.ReadHeader(client);
        Assert.StartsWith("LSL/110 200 OK\r\n", header, StringComparison.Ordinal);
        Assert.Equal(WireFormat.TestPatterns(ChannelFormat.Int16, 2), RawPeer.ReadToEnd(client));
    }

    [Fact]
    public void ShortinfoDatagram_ToServicePort_RepliesWithIdLineAndShortXml()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("udp");
        var info = LslTestStreams.Info(name, ChannelFormat.Float32, 2, 10).WithChannels([("C3", "uV", "EEG")]);
        using ILslOutlet outlet = backend.CreateOutlet(info);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 3000 };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        var service = new IPEndPoint(IPAddress.Loopback, outlet.Info.V4ServicePort);
        // Non-matching query first: silently ignored. Then a desc-based match (full document is queried).
        socket.SendTo(WireFormat.QueryDatagram($"name='not-{name}'", port, "111"), service);
        socket.SendTo(Encoding.ASCII.GetBytes($"LSL:shortinfo\n name='{name}' and desc/channels/channel/label='C3' \n{port} 222\n"), service);
        byte[] buffer = new byte[65536];
        int n = socket.Receive(buffer);
        string reply = Encoding.UTF8.GetString(buffer, 0, n);
        Assert.StartsWith("222\r\n<?xml version=\"1.0\"?>\n<info>\n", reply, StringComparison.Ordinal);
        Assert.Contains("\t<v4address />\n", reply, StringComparison.Ordinal);
        Assert.Contains("\t<desc />\n", reply, StringComparison.Ordinal);
        Assert.Contains("<version>1.100000000000000</version>", reply, StringComparison.Ordinal);
        Assert.Equal(outlet.Info.ToXml(includeDesc: false), reply["222\r\n".Length..]);
    }

    [Fact]
    public void TcpInfoRequests_FullAndShort_ReturnXmlThenClose()
    {
        using var backend = LslTestStreams.Backend();
        string name = LslTestStreams.UniqueName("tcpinfo");
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(name, ChannelFormat.Float32, 1, 10).WithChannels([("Fz", "uV", "EEG")]));
        using (Socket client = RawPeer.Connect(outlet.Info.V4DataPort))
        {
            RawPeer.Send(client, "LSL:fullinfo\r\n");
            string xml = Encoding.UTF8.GetString(RawPeer.ReadToEnd(client));
            Assert.Contains("<label>Fz</label>", xml, StringComparison.Ordinal);
        }
        using (Socket client = RawPeer.Connect(outlet.Info.V4DataPort))
        {
            RawPeer.Send(client, $"LSL:shortinfo\r\nname='{name}'\r\n");
            Assert.Equal(outlet.Info.ToXml(includeDesc: false), Encoding.UTF8.GetString(RawPeer.ReadToEnd(client)));
        }
        using (Socket client = RawPeer.Connect(outlet.Info.V4DataPort))
        {
            RawPeer.Send(client, "LSL:shortinfo\r\nname='nope'\r\n");
            Assert.Empty(RawPeer.ReadToEnd(client));
        }
    }

    [Fact]
    public void TimedataDatagram_ToServicePort_RepliesWithLeadingSpaceAndFourFields()
    {
        using var backend = LslTestStreams.Backend();
        using ILslOutlet outlet = backend.CreateOutlet(LslTestStreams.Info(LslTestStreams.UniqueName("td"), ChannelFormat.Float32, 1, 0));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 3000 };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.SendTo("LSL:timedata\r\n1804289383 1397.905917992\r\n"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, outlet.Info.V4ServicePort));
        byte[] buffer = new byte[1024];
        string reply = Encoding.ASCII.GetString(buffer, 0, socket.Receive(buffer));
        Assert.StartsWith(" 1804289383 1397.905917992 ", reply, StringComparison.Ordinal);
        string[] parts = reply.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, parts.Length);
        Assert.False(reply.EndsWith('\n'));
    }
}
