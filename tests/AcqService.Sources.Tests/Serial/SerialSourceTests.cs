using AcqService.Core.Model;
using AcqService.Sources.Serial;

namespace AcqService.Sources.Tests.Serial;

/// <summary>The Cyton and trigger-box sources fed through the byte seam (<see cref="StreamSerialTransport"/>).</summary>
public sealed class SerialSourceTests
{
    private static CytonOptions Cyton(double latencyMs = 0) => new()
    {
        Serial = SerialTestKit.Port("fixture") with { LatencyOffsetMs = latencyMs },
        Gains = [.. Enumerable.Repeat(24.0, 8)],
    };

    /// <summary>A stream that hands out the given bytes, then blocks until disposed (a device that went quiet).</summary>
    private sealed class FixtureStream(byte[] data, int chunk) : Stream
    {
        private int _position;
        private readonly ManualResetEventSlim _closed = new();

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position < data.Length)
            {
                int n = Math.Min(Math.Min(count, chunk), data.Length - _position);
                Array.Copy(data, _position, buffer, offset, n);
                _position += n;
                return n;
            }
            _closed.Wait(TimeSpan.FromSeconds(30));
            throw new ObjectDisposedException(nameof(FixtureStream));
        }

        public bool Consumed => _position >= data.Length;

        protected override void Dispose(bool disposing)
        {
            _closed.Set();
            base.Dispose(disposing);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task CytonRun_CounterJump_ReportsGapBetweenTheFrames()
    {
        byte[] bytes = [.. SerialTestKit.Packet(0, [1]), .. SerialTestKit.Packet(1, [2]), .. SerialTestKit.Packet(5, [3]), .. SerialTestKit.Packet(6, [4])];
        StreamDescriptor stream = SerialTestKit.CytonStream(SerialSimulationRig.CytonLabels, 250);
        SerialTestKit.Register(stream);
        var fixture = new FixtureStream(bytes, 33);
        var transport = new StreamSerialTransport(fixture);
        double now = 100;
        var source = new CytonSource(stream, Cyton(latencyMs: 10), () => now += 0.004, () => transport);
        var collector = new ItemCollector();
        Assert.True(await collector.RunUntilAsync(source, () => collector.FrameCount == 4, TimeSpan.FromSeconds(10)));
        // Start commands: stop, reset, 8 channels, stream; then stop at the end.
        Assert.Equal("svcbs", System.Text.Encoding.ASCII.GetString(transport.Written));
        StreamGap gap = Assert.Single(collector.Gaps);
        Assert.Equal(3, gap.MissingSamples);
        Assert.Equal(collector.Times[1], gap.Start);
        Assert.Equal(collector.Times[2], gap.End);
        Assert.Contains("3 packets lost", gap.Reason, StringComparison.Ordinal);
        Assert.Equal([1, 2, 3, 4], collector.Frames.Select(f => Math.Round(f[0] / CytonProtocol.MicrovoltsPerCount(24))));
        // The first timestamp is the first arrival minus the 10 ms latency offset.
        Assert.Equal(100.004 + 0.004 - 0.010, collector.Times[0], 9);
    }

    [Fact]
    public async Task TriggerBoxRun_BytesMappedUnknownCountedZeroIgnored()
    {
        StreamDescriptor stream = SerialTestKit.MarkerStream();
        SerialTestKit.Register(stream);
        var options = new TriggerBoxOptions
        {
            Serial = SerialTestKit.Port("fixture") with { LatencyOffsetMs = 5 },
            Codes = new Dictionary<string, string> { ["0x01"] = "needle/insert;site=ST36;kind=real", ["0x03"] = "needle/remove;site=ST36;kind=real" },
        };
        var transport = new StreamSerialTransport(new FixtureStream([0x01, 0x00, 0x7F, 0x03, 0xFF], 1));
        double now = 50;
        var source = new TriggerBoxSource(stream, options, () => now += 1, () => transport);
        var collector = new ItemCollector();
        Assert.True(await collector.RunUntilAsync(source, () => collector.MarkerCount == 4, TimeSpan.FromSeconds(10)));
        Assert.Equal(["needle/insert;site=ST36;kind=real", "unknown/0x7F", "needle/remove;site=ST36;kind=real", "unknown/0xFF"], collector.Markers.Select(m => m.Label));
        Assert.Equal([1, 0x7F, 3, 0xFF], collector.Markers.Select(m => m.Code ?? -1));
        Assert.Equal(2, source.UnknownCodes);
        // One read per byte, each stamped with the clock after the read (−5 ms latency offset).
        Assert.Equal(52 - 0.005, collector.Markers[0].Timestamp, 9);
    }

    [Fact]
    public async Task TriggerBoxRun_TextLines_MappedAndOverlongCut()
    {
        StreamDescriptor stream = SerialTestKit.MarkerStream();
        SerialTestKit.Register(stream);
        var options = new TriggerBoxOptions
        {
            Serial = SerialTestKit.Port("fixture"),
            TextLines = true,
            MaxLineLength = 16,
            Codes = new Dictionary<string, string> { ["INSERT ST36"] = "needle/insert;site=ST36;kind=real" },
        };
        byte[] text = System.Text.Encoding.ASCII.GetBytes("INSERT ST36\r\n\r\nhello\n" + new string('x', 40) + "\nINSERT ST36\n");
        var transport = new StreamSerialTransport(new FixtureStream(text, 7));
        var source = new TriggerBoxSource(stream, options, () => 1, () => transport);
        var collector = new ItemCollector();
        Assert.True(await collector.RunUntilAsync(source, () => collector.MarkerCount == 4, TimeSpan.FromSeconds(10)));
        Assert.Equal(["needle/insert;site=ST36;kind=real", "unknown/hello", "unknown/" + new string('x', 16), "needle/insert;site=ST36;kind=real"], collector.Markers.Select(m => m.Label));
        Assert.Equal(2, source.UnknownCodes);
        Assert.Equal(1, source.TruncatedLines);
    }

    [Fact]
    public async Task CytonRun_MissingDeviceAtStart_FailsWithClearMessage()
    {
        StreamDescriptor stream = SerialTestKit.CytonStream(SerialSimulationRig.CytonLabels, 250);
        SerialTestKit.Register(stream);
        string path = Path.Combine(SerialTestKit.TempFolder(), "ttyUSB9");
        var source = new CytonSource(stream, Cyton() with { Serial = SerialTestKit.Port(path) }, LocalClock.Now);
        var collector = new ItemCollector();
        SerialDeviceException ex = await Assert.ThrowsAsync<SerialDeviceException>(() => source.RunAsync(collector.Edge, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(SerialFailure.NotFound, ex.Failure);
        Assert.Contains($"serial device {path} not found", ex.Message, StringComparison.Ordinal);
        Assert.Contains("plugged in", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PermissionMessage_NamesDialoutFix()
    {
        string message = SerialDeviceException.PermissionMessage("/dev/ttyUSB0");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Contains("sudo usermod -aG dialout $USER", message, StringComparison.Ordinal);
        }
        Assert.Contains("/dev/ttyUSB0", message, StringComparison.Ordinal);
    }
}
