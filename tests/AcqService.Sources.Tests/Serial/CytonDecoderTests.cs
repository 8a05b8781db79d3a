using AcqService.Sources.Serial;

namespace AcqService.Sources.Tests.Serial;

/// <summary>Byte fixtures through <see cref="CytonPacketDecoder"/> and <see cref="CytonFrameAssembler"/>.</summary>
public sealed class CytonDecoderTests
{
    private sealed class Packets : ICytonPacketSink
    {
        public List<(byte Counter, int[] Counts, byte Footer, byte[] Aux, double[] Accel, uint Time, bool Sync)> Seen { get; } = [];

        public void OnPacket(CytonPacket p) => Seen.Add((p.SampleNumber, [.. p.Counts], p.Footer, [.. p.Aux],
            [p.AccelerometerG(0), p.AccelerometerG(1), p.AccelerometerG(2)], p.BoardTimeMs, p.IsTimeSyncSet));
    }

    private sealed class Frames : ICytonFrameSink
    {
        public List<(double[] Uv, int Missing)> Seen { get; } = [];

        public void OnFrame(ReadOnlySpan<double> microvolts, int missingBefore) => Seen.Add((microvolts.ToArray(), missingBefore));
    }

    private static readonly double[] Gain24x8 = [.. Enumerable.Repeat(24.0, 8)];

    [Fact]
    public void MicrovoltsPerCount_Gains_MatchHandComputedValues()
    {
        // 4.5 / gain / 8388607 × 1e6, computed by hand to 10 significant digits.
        Assert.Equal(0.02235174445533, CytonProtocol.MicrovoltsPerCount(24), 12);
        Assert.Equal(0.5364418669280, CytonProtocol.MicrovoltsPerCount(1), 11);
        Assert.Equal(0.2682209334640, CytonProtocol.MicrovoltsPerCount(2), 11);
        Assert.Equal(0.04470348891066, CytonProtocol.MicrovoltsPerCount(12), 12);
    }

    [Fact]
    public void Push_ValidPacket_ScalesDocumentedTestVectorsToMicrovolts()
    {
        // Test vectors at gain 24: 00 00 01 → +0.02235 µV; 7F FF FF → +187500.0 µV; 80 00 00 → −187500.02 µV;
        // FF FF FF → −0.02235 µV; 00 10 00 → 4096 counts → 91.5527 µV.
        byte[] packet = SerialTestKit.Packet(7, [1, 0x7FFFFF, unchecked((int)0xFF800000), -1, 0x001000, 0, -4096, 100]);
        var frames = new Frames();
        var assembler = new CytonFrameAssembler(false, Gain24x8, frames);
        var decoder = new CytonPacketDecoder();
        Assert.Equal(1, decoder.Push(packet, assembler));
        double[] uv = frames.Seen.Single().Uv;
        Assert.Equal(0.0223517, uv[0], 6);
        Assert.Equal(187500.0, uv[1], 3);       // 8388607 × 4.5/24/8388607 × 1e6 = 187500 exactly
        Assert.Equal(-187500.0223517, uv[2], 3); // −8388608 counts
        Assert.Equal(-0.0223517, uv[3], 6);
        Assert.Equal(91.5527, uv[4], 4);
        Assert.Equal(0.0, uv[5]);
        Assert.Equal(-91.5527, uv[6], 4);
        Assert.Equal(2.2351744, uv[7], 6);
        Assert.Equal(0, frames.Seen.Single().Missing);
    }

    [Fact]
    public void Push_EachFooterType_DecodesAuxAsDocumented()
    {
        var sink = new Packets();
        var decoder = new CytonPacketDecoder();
        // 0xC0: accelerometer X = +64, Y = −64, Z = +8000 counts (× 0.002/16 g) = +0.008, −0.008, +1.0 g.
        decoder.Push(SerialTestKit.Packet(1, [], 0xC0, [0x00, 0x40, 0xFF, 0xC0, 0x1F, 0x40]), sink);
        // 0xC1, 0xC2: raw aux bytes as sent.
        decoder.Push(SerialTestKit.Packet(2, [], 0xC1, [1, 2, 3, 4, 5, 6]), sink);
        decoder.Push(SerialTestKit.Packet(3, [], 0xC2, [6, 5, 4, 3, 2, 1]), sink);
        // 0xC3 (set) / 0xC4: accel code 'X' + byte 0x12, board time 0x0001E240 = 123456 ms.
        decoder.Push(SerialTestKit.Packet(4, [], 0xC3, [(byte)'X', 0x12, 0x00, 0x01, 0xE2, 0x40]), sink);
        decoder.Push(SerialTestKit.Packet(5, [], 0xC4, [(byte)'y', 0x34, 0x00, 0x01, 0xE2, 0x44]), sink);
        // 0xC5 (set) / 0xC6: raw aux 2 bytes + board time.
        decoder.Push(SerialTestKit.Packet(6, [], 0xC5, [0xAB, 0xCD, 0x00, 0x00, 0x00, 0x01]), sink);
        decoder.Push(SerialTestKit.Packet(7, [], 0xC6, [0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF]), sink);
        Assert.Equal(7, sink.Seen.Count);
        Assert.Equal([0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6], sink.Seen.Select(s => (int)s.Footer));
        Assert.Equal(0.008, sink.Seen[0].Accel[0], 12);
        Assert.Equal(-0.008, sink.Seen[0].Accel[1], 12);
        Assert.Equal(1.0, sink.Seen[0].Accel[2], 12);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, sink.Seen[1].Aux);
        Assert.Equal(new byte[] { 6, 5, 4, 3, 2, 1 }, sink.Seen[2].Aux);
        Assert.Equal(123456u, sink.Seen[3].Time);
        Assert.True(sink.Seen[3].Sync);
        Assert.Equal((byte)'X', sink.Seen[3].Aux[0]);
        Assert.Equal(0x12, sink.Seen[3].Aux[1]);
        Assert.Equal(123460u, sink.Seen[4].Time);
        Assert.False(sink.Seen[4].Sync);
        Assert.Equal(1u, sink.Seen[5].Time);
        Assert.True(sink.Seen[5].Sync);
        Assert.Equal(uint.MaxValue, sink.Seen[6].Time);
        Assert.False(sink.Seen[6].Sync);
    }

    [Fact]
    public void Push_BadStopByte_RejectsPacketAndResynchronises()
    {
        var sink = new Packets();
        var decoder = new CytonPacketDecoder();
        byte[] bad = SerialTestKit.Packet(1, [5], 0xC7);
        byte[] good = SerialTestKit.Packet(2, [6]);
        decoder.Push([.. bad, .. good], sink);
        Assert.Equal([2], sink.Seen.Select(s => (int)s.Counter));
        Assert.Equal(1, decoder.BadFooters);
        Assert.Equal(33, decoder.SkippedBytes);
    }

    [Fact]
    public void Push_TextGarbageAndOneByteReads_FindsEveryPacket()
    {
        var sink = new Packets();
        var decoder = new CytonPacketDecoder();
        byte[] banner = System.Text.Encoding.ASCII.GetBytes("OpenBCI V3 8-16 channel\nFirmware: v3.1.1\n$$$");
        byte[] stream = [.. banner, .. SerialTestKit.Packet(10, [1, 2, 3]), 0x00, 0x13, .. SerialTestKit.Packet(11, [4, 5, 6])];
        foreach (byte b in stream)
        {
            decoder.Push([b], sink);
        }
        Assert.Equal([10, 11], sink.Seen.Select(s => (int)s.Counter));
        Assert.Equal([1, 2, 3, 0, 0, 0, 0, 0], sink.Seen[0].Counts);
        Assert.Equal(banner.Length + 2, decoder.SkippedBytes);
    }

    [Fact]
    public void Push_PacketMissingBytes_DropsItAndFindsTheNext()
    {
        var frames = new Frames();
        var assembler = new CytonFrameAssembler(false, Gain24x8, frames);
        var decoder = new CytonPacketDecoder();
        byte[] first = SerialTestKit.Packet(20, [100, 200]);
        byte[] cut = SerialTestKit.Packet(21, [300, 400])[..28]; // five bytes lost on the line
        byte[] next = SerialTestKit.Packet(22, [500, 600]);
        decoder.Push([.. first, .. cut, .. next], assembler);
        Assert.Equal(2, frames.Seen.Count);
        Assert.Equal(500 * CytonProtocol.MicrovoltsPerCount(24), frames.Seen[1].Uv[0], 9);
        // Packet 21 is gone: one frame missing before 22.
        Assert.Equal(1, frames.Seen[1].Missing);
        Assert.Equal(1, assembler.MissingFrames);
    }

    [Fact]
    public void OnPacket_CounterWrap_NoGapAcrossWrapButGapCountedAcrossLoss()
    {
        var frames = new Frames();
        var assembler = new CytonFrameAssembler(false, Gain24x8, frames);
        var decoder = new CytonPacketDecoder();
        foreach (byte c in new byte[] { 254, 255, 0, 1, 4, 250 })
        {
            decoder.Push(SerialTestKit.Packet(c, []), assembler);
        }
        // 254→255→0→1 continuous; 1→4 lost 2 and 3; 4→250 lost 245 packets (5…249).
        Assert.Equal([0, 0, 0, 0, 2, 245], frames.Seen.Select(f => f.Missing));
        Assert.Equal(247, assembler.MissingFrames);
    }

    [Fact]
    public void OnPacket_Daisy_InterleavesOddMainAndEvenDaisyIntoSixteenChannels()
    {
        var frames = new Frames();
        double[] gains = [.. Enumerable.Repeat(24.0, 8), .. Enumerable.Repeat(1.0, 8)];
        var assembler = new CytonFrameAssembler(true, gains, frames);
        var decoder = new CytonPacketDecoder();
        byte[] accelA = [0x00, 0x40, 0x00, 0x00, 0x1F, 0x40]; // X 64, Z 8000
        byte[] accelB = [0x00, 0xC0, 0x00, 0x00, 0x1F, 0x40]; // X 192, Z 8000
        byte[] stream =
        [
            .. SerialTestKit.Packet(0, [9, 9]),               // even first packet: no main board before it, dropped
            .. SerialTestKit.Packet(1, [1000, 2000], 0xC0, accelA),
            .. SerialTestKit.Packet(2, [10, 20], 0xC0, accelB),
            .. SerialTestKit.Packet(3, [3000]),
            .. SerialTestKit.Packet(4, [30]),
            .. SerialTestKit.Packet(7, [7000]),               // 5 and 6 lost: one frame missing
            .. SerialTestKit.Packet(8, [70]),
            .. SerialTestKit.Packet(255, [255]),              // wrap: 255 (main) + 0 (daisy) is one frame
            .. SerialTestKit.Packet(0, [1]),
        ];
        decoder.Push(stream, assembler);
        Assert.Equal(4, frames.Seen.Count);
        Assert.All(frames.Seen, f => Assert.Equal(16, f.Uv.Length));
        double g24 = CytonProtocol.MicrovoltsPerCount(24), g1 = CytonProtocol.MicrovoltsPerCount(1);
        Assert.Equal(1000 * g24, frames.Seen[0].Uv[0], 9);
        Assert.Equal(2000 * g24, frames.Seen[0].Uv[1], 9);
        Assert.Equal(10 * g1, frames.Seen[0].Uv[8], 9);   // channel 9 comes from the even packet at its own gain
        Assert.Equal(20 * g1, frames.Seen[0].Uv[9], 9);
        Assert.Equal(3000 * g24, frames.Seen[1].Uv[0], 9);
        Assert.Equal(30 * g1, frames.Seen[1].Uv[8], 9);
        // Main-board counters 1, 3, 7, 255: frames missing = (Δ/2) − 1 = 0, 0, 1, 123.
        Assert.Equal([0, 0, 1, 123], frames.Seen.Select(f => f.Missing));
        // Accelerometer averaged over the first pair (later packets carry none): X (64 + 192)/2 = 128 counts = 0.016 g; Z = 1 g.
        Assert.Equal(0.016, assembler.Accelerometer[0], 12);
        Assert.Equal(0.0, assembler.Accelerometer[1], 12);
        Assert.Equal(1.0, assembler.Accelerometer[2], 12);
    }
}
