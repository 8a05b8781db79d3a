using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Serial;
using Xunit.Abstractions;

namespace AcqService.Sources.Tests.Serial;

/// <summary>Random bytes into the serial sources: no crash, no memory growth (numbers printed for the report).</summary>
[Collection(SerialIsolation.Name)]
public sealed class SerialGarbageTests(ITestOutputHelper output)
{
    /// <summary>One minute of a 115200-baud line (11,520 bytes/s).</summary>
    private const int MinuteOfBytes = 11_520 * 60;

    /// <summary>Deterministic random bytes, then end of stream.</summary>
    private sealed class RandomStream(long length, ulong seed) : Stream
    {
        private long _position;
        private ulong _state = seed;

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, length - _position);
            for (int i = 0; i < n; i++)
            {
                // xorshift64*: cheap, deterministic, every byte value equally likely.
                _state ^= _state >> 12;
                _state ^= _state << 25;
                _state ^= _state >> 27;
                buffer[offset + i] = (byte)((_state * 2685821657736338717UL) >> 56);
            }
            _position += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Drains an edge, releasing chunks, counting items; allocates nothing per item.</summary>
    private static async Task<long[]> DrainAsync(Edge<SourceItem> edge)
    {
        long[] counts = new long[5];
        await foreach (SourceItem item in edge.Reader.ReadAllAsync())
        {
            counts[(int)item.Kind]++;
            item.Chunk?.Release();
        }
        return counts;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CytonRun_MinuteOfRandomBytesThroughByteSeam_NoCrashNoGrowth(bool daisy)
    {
        StreamDescriptor stream = SerialTestKit.CytonStream(daisy ? SerialSimulationRig.DaisyLabels : SerialSimulationRig.CytonLabels, daisy ? 125 : 250);
        SerialTestKit.Register(stream);
        var options = new CytonOptions { Serial = SerialTestKit.Port("garbage"), Daisy = daisy, Gains = [.. Enumerable.Repeat(24.0, daisy ? 16 : 8)] };
        // Ten minutes: the first is warm-up, growth is measured over the other nine.
        var random = new RandomStream(10L * MinuteOfBytes, 0x9E3779B97F4A7C15UL);
        var transport = new StreamSerialTransport(random);
        int connects = 0;
        double now = 0;
        var source = new CytonSource(stream, options, () => now += 0.0001, () =>
        {
            // The end of the data reads as an unplugged device; the second "connection" is the signal to stop.
            return Interlocked.Increment(ref connects) == 1 ? transport : throw new SerialDeviceException(SerialFailure.NotFound, "done");
        });
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Data<SourceItem>("garbage", singleWriter: false);
        Task<long[]> drain = Task.Run(() => DrainAsync(edge));
        using var stop = new CancellationTokenSource();
        long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        Task run = source.RunAsync(edge, stop.Token);
        // The source ends with the factory's refusal once the data is used up (that is how this test stops it).
        await Assert.ThrowsAsync<SerialDeviceException>(() => run.WaitAsync(TimeSpan.FromSeconds(120)));
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        long memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        edge.Complete();
        long[] counts = await drain;
        long bytes = random.Position;
        output.WriteLine($"{(daisy ? "daisy" : "cyton")}: {random.Position:N0} random bytes; false packets {source.Decoder.Packets:N0}, bad stop bytes {source.Decoder.BadFooters:N0}, frames {source.Frames:N0}, gaps {source.Gaps:N0}; " +
            $"chunks {counts[0]:N0}, gap items {counts[3]:N0}; {allocated:N0} B allocated in all (process-wide, incl. start-up) for {bytes:N0} B in ({(double)allocated / bytes:F4} B/B), heap {memoryBefore:N0} → {memoryAfter:N0} B");
        // No crash: the source stopped only because the test's factory refused to reconnect.
        Assert.Equal(10L * MinuteOfBytes, random.Position);
        // Random bytes do form a few "packets" (0xA0 … 0xC0–0xC6 by chance, about 1 in 9,600 bytes); each becomes a
        // frame (Cyton) or needs an odd/even partner (Daisy), and their counters read as lost packets (gaps).
        Assert.InRange(source.Decoder.Packets, 500, 1000);
        Assert.Equal(source.Frames, daisy ? source.Frames : source.Decoder.Packets);
        Assert.True(!daisy || source.Frames < source.Decoder.Packets / 10);
        Assert.True(memoryAfter - memoryBefore < 2_000_000, $"heap grew by {memoryAfter - memoryBefore:N0} B");
    }

    [SkippableFact]
    public async Task CytonRun_SecondsOfRandomBytesThroughPty_StaysUpAndStillDecodes()
    {
        Skip.IfNot(SerialTestKit.PtyAvailable(), "no pseudo-terminals on this platform");
        using var pty = new PseudoTerminal();
        StreamDescriptor stream = SerialTestKit.CytonStream(SerialSimulationRig.CytonLabels, 250);
        SerialTestKit.Register(stream);
        var options = new CytonOptions { Serial = SerialTestKit.Port(pty.SlavePath), Gains = [.. Enumerable.Repeat(24.0, 8)] };
        var source = new CytonSource(stream, options, LocalClock.Now);
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Data<SourceItem>("garbage", singleWriter: false);
        Task<long[]> drain = Task.Run(() => DrainAsync(edge));
        using var stop = new CancellationTokenSource();
        Task run = source.RunAsync(edge, stop.Token);
        var random = new RandomStream(long.MaxValue, 42);
        byte[] block = new byte[4096];
        long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        long written = 0;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(3))
        {
            random.ReadExactly(block);
            if (pty.Write(block, 200))
            {
                written += block.Length;
            }
            Assert.False(run.IsCompleted, "source stopped during garbage");
        }
        // Then a valid packet: the decoder must still find it after all that.
        long packetsBefore = source.Decoder.Packets;
        long framesBefore = source.Frames;
        pty.Write([0x00, .. SerialTestKit.Packet(1, [1234])]);
        Assert.True(await ItemCollector.UntilAsync(() => source.Frames > framesBefore, TimeSpan.FromSeconds(10)));
        long memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        edge.Complete();
        await drain;
        output.WriteLine($"pty: {written:N0} random bytes in 3 s ({pty.DroppedBytes:N0} not taken by the reader), false packets {packetsBefore:N0}, heap {memoryBefore:N0} → {memoryAfter:N0} B");
        Assert.True(memoryAfter - memoryBefore < 2_000_000, $"heap grew by {memoryAfter - memoryBefore:N0} B");
    }

    [Fact]
    public async Task TriggerBoxRun_MinuteOfRandomBytes_EveryNonZeroByteAMarker()
    {
        StreamDescriptor stream = SerialTestKit.MarkerStream();
        SerialTestKit.Register(stream);
        var options = new TriggerBoxOptions { Serial = SerialTestKit.Port("garbage"), Codes = TriggerBoxSimulator.CodeMap(["ST36", "LI4", "PC6"]) };
        var random = new RandomStream(MinuteOfBytes, 7);
        var transport = new StreamSerialTransport(random);
        int connects = 0;
        var source = new TriggerBoxSource(stream, options, () => 1, () => Interlocked.Increment(ref connects) == 1 ? transport : throw new SerialDeviceException(SerialFailure.NotFound, "done"));
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Data<SourceItem>("garbage", singleWriter: false);
        Task<long[]> drain = Task.Run(() => DrainAsync(edge));
        await Assert.ThrowsAsync<SerialDeviceException>(() => source.RunAsync(edge, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)));
        edge.Complete();
        long[] counts = await drain;
        output.WriteLine($"trigger box: {MinuteOfBytes:N0} random bytes → {source.Markers:N0} markers, {source.UnknownCodes:N0} unknown");
        // Every non-zero byte is one marker; 18 of 255 codes are mapped.
        Assert.Equal(source.Markers, counts[(int)SourceItemKind.Marker]);
        Assert.InRange(source.Markers, MinuteOfBytes * 250L / 256, MinuteOfBytes);
        Assert.InRange(source.UnknownCodes, source.Markers * 230 / 255, source.Markers * 240 / 255);
    }
}
