using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sources.Serial;

namespace AcqService.Sources.Tests.Serial;

/// <summary><see cref="SerialPortTransport"/> and <see cref="SerialTriggerOutput"/> over a real pseudo-terminal (kernel tty + System.IO.Ports).</summary>
public sealed class SerialPortTransportTests
{
    [SkippableFact]
    public void ReadWrite_OverPty_BytesPassUnchangedBothWays()
    {
        Skip.IfNot(SerialTestKit.PtyAvailable(), "no pseudo-terminals on this platform");
        using var pty = new PseudoTerminal();
        using var transport = new SerialPortTransport(SerialTestKit.Port(pty.SlavePath, readTimeoutMs: 200));
        transport.Open();
        byte[] all = [.. Enumerable.Range(0, 256).Select(i => (byte)i)];
        Assert.True(pty.Write(all));
        var received = new List<byte>();
        byte[] buffer = new byte[512];
        for (int i = 0; i < 50 && received.Count < 256; i++)
        {
            int n = transport.Read(buffer);
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }
        // Raw mode: no CR/LF translation, no XON/XOFF eaten, 0x00 and 0xFF intact.
        Assert.Equal(all, received);
        transport.Write("b"u8);
        Assert.Equal("b", pty.ReadText(1000));
    }

    [SkippableFact]
    public void Read_NoData_ReturnsZeroAfterTimeout()
    {
        Skip.IfNot(SerialTestKit.PtyAvailable(), "no pseudo-terminals on this platform");
        using var pty = new PseudoTerminal();
        using var transport = new SerialPortTransport(SerialTestKit.Port(pty.SlavePath, readTimeoutMs: 50));
        transport.Open();
        Assert.Equal(0, transport.Read(new byte[64]));
    }

    [SkippableFact]
    public void Read_PtyClosed_ThrowsDisconnected()
    {
        Skip.IfNot(SerialTestKit.PtyAvailable(), "no pseudo-terminals on this platform");
        using var pty = new PseudoTerminal();
        using var transport = new SerialPortTransport(SerialTestKit.Port(pty.SlavePath, readTimeoutMs: 100));
        transport.Open();
        pty.Unplug();
        SerialDeviceException ex = Assert.Throws<SerialDeviceException>(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                transport.Read(new byte[64]);
            }
        });
        Assert.Equal(SerialFailure.Disconnected, ex.Failure);
    }

    [SkippableFact]
    public async Task Dispose_DuringBlockingRead_UnblocksIt()
    {
        Skip.IfNot(SerialTestKit.PtyAvailable(), "no pseudo-terminals on this platform");
        using var pty = new PseudoTerminal();
        var transport = new SerialPortTransport(SerialTestKit.Port(pty.SlavePath, readTimeoutMs: 10_000));
        transport.Open();
        using var started = new ManualResetEventSlim();
        Task<Exception?> reader = Task.Factory.StartNew(() =>
        {
            started.Set();
            try
            {
                transport.Read(new byte[64]);
                return null;
            }
            catch (Exception ex)
            {
                return ex;
            }
        }, TaskCreationOptions.LongRunning);
        started.Wait();
        await Task.Delay(100);
        transport.Dispose();
        // Hang guard only (the read timeout is 10 s): dispose must end the read long before.
        Exception? error = await reader.WaitAsync(TimeSpan.FromSeconds(8));
        Assert.True(error is ObjectDisposedException or SerialDeviceException or OperationCanceledException, error?.GetType().Name ?? "read returned normally");
    }

    [SkippableFact]
    public async Task TriggerOutput_OverPty_SendsStartMarkerPulsesAndStop()
    {
        Skip.IfNot(SerialTestKit.PtyAvailable(), "no pseudo-terminals on this platform");
        using var pty = new PseudoTerminal();
        var options = new TriggerOutputOptions
        {
            Serial = SerialTestKit.Port(pty.SlavePath),
            OnMarker = [new(new("^needle/insert"), 0x01), new(new("^needle/remove"), 0x03)],
            SessionStartCode = 0xFE,
            SessionStopCode = 0xFF,
            PulseMs = 2,
        };
        var output = new SerialTriggerOutput(options);
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Recorder<SourceItem>("raw");
        Task run = output.RunAsync(edge, CancellationToken.None);
        var chunk = new SampleChunk(0, 1, 4) { Count = 1 };
        await edge.WriteAsync(SourceItem.ForSamples(chunk), CancellationToken.None);
        await edge.WriteAsync(SourceItem.ForMarker(new Marker(1, 1, "needle/insert;site=ST36;kind=real")), CancellationToken.None);
        await edge.WriteAsync(SourceItem.ForMarker(new Marker(1, 2, "needle/manipulate;site=ST36;kind=real")), CancellationToken.None);
        await edge.WriteAsync(SourceItem.ForMarker(new Marker(1, 3, "needle/remove;site=ST36;kind=real")), CancellationToken.None);
        edge.Complete();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        var received = new List<byte>();
        byte[] buffer = new byte[64];
        for (int i = 0; i < 20; i++)
        {
            int n = pty.Read(buffer, 50);
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }
        // Start pulse, insert pulse, (manipulate: no rule), remove pulse, stop pulse; each code followed by 0.
        Assert.Equal(new byte[] { 0xFE, 0, 0x01, 0, 0x03, 0, 0xFF, 0 }, received);
        Assert.Equal(4, output.Sent);
        Assert.Equal(0, output.Failed);
    }

    [SkippableFact]
    public async Task CytonRun_DeviceSendsNothing_ReportedAndReopenedWithStartCommandsAgain()
    {
        Skip.IfNot(SerialTestKit.PtyAvailable(), "no pseudo-terminals on this platform");
        using var pty = new PseudoTerminal();
        StreamDescriptor stream = SerialTestKit.CytonStream(SerialSimulationRig.CytonLabels, 250);
        SerialTestKit.Register(stream);
        var options = new CytonOptions { Serial = SerialTestKit.Port(pty.SlavePath, readTimeoutMs: 50, silenceMs: 300), Gains = [.. Enumerable.Repeat(24.0, 8)] };
        var source = new CytonSource(stream, options, LocalClock.Now);
        var collector = new ItemCollector();
        using var stop = new CancellationTokenSource();
        Task run = source.RunAsync(collector.Edge, stop.Token);
        var commands = new System.Text.StringBuilder();
        Assert.True(await ItemCollector.UntilAsync(() =>
        {
            commands.Append(pty.ReadText(10));
            return source.Reconnects >= 1 && commands.ToString().Split("svcb").Length >= 3;
        }, TimeSpan.FromSeconds(20)), $"reconnects {source.Reconnects}, commands '{commands}'");
        Assert.Contains("sent nothing for", source.LastProblem, StringComparison.Ordinal);
        Assert.False(run.IsCompleted);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        collector.Edge.Complete();
        await collector.Drain;
        Assert.Equal(0, collector.FrameCount);
    }

    [Fact]
    public async Task TriggerOutput_PortMissing_DrainsInputAndCountsFailures()
    {
        var options = new TriggerOutputOptions
        {
            Serial = SerialTestKit.Port(Path.Combine(SerialTestKit.TempFolder(), "none")),
            OnMarker = [new(new("."), 0x01)],
        };
        var output = new SerialTriggerOutput(options);
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Recorder<SourceItem>("raw");
        Task run = output.RunAsync(edge, CancellationToken.None);
        await edge.WriteAsync(SourceItem.ForMarker(new Marker(1, 1, "x")), CancellationToken.None);
        edge.Complete();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, output.Failed);
        Assert.Contains("not found", output.LastError, StringComparison.Ordinal);
    }
}
