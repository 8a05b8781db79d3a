using System.Text.Json.Nodes;
using AcqService.Lsl;
using AcqService.Sessions;
using AcqService.Sinks;
using AcqService.Sources.Profiles;
using AcqService.Sources.Serial;
using AcqService.Sources.Simulation;

namespace AcqService.Sources.Tests.Serial;

/// <summary>A profile's <c>triggerOutput</c>: the session factory attaches it, and the bytes reach a real tty.</summary>
[Collection(SerialIsolation.Name)]
public sealed class TriggerOutputSessionTests
{
    [SkippableFact]
    public async Task ProfileTriggerOutput_SendsStartMarkerAndStopCodesToTheSerialPort()
    {
        Skip.IfNot(SerialTestKit.PtyAvailable(), "no pseudo-terminals on this platform");
        using var pty = new PseudoTerminal();
        JsonObject json = JsonNode.Parse(DefaultProfile.Json())!.AsObject();
        json["triggerOutput"] = new JsonObject
        {
            ["port"] = pty.SlavePath,
            ["onMarker"] = new JsonArray(new JsonObject { ["match"] = "^needle/insert", ["code"] = "0x01" }),
            ["sessionStartCode"] = 254,
            ["sessionStopCode"] = 255,
            ["pulseMs"] = 1,
        };
        DeviceProfile profile = ProfileLoader.Parse(json.ToJsonString(), "trigger.json");
        var settings = new AppSettings();
        settings.Session.Record = false;
        var factory = new SessionFactory(null, () => LslBackends.Create(new LslOptions { Backend = LslBackendKind.Managed, Loopback = true }, _ => { }, out _));
        string folder = SerialTestKit.TempFolder();
        await using Session session = await factory.CreateAsync(new SessionRequest
        {
            Input = new SessionInput.Devices(profile, "trigger.json", json.ToJsonString()),
            Settings = settings,
            OutputFolder = folder,
            DurationSeconds = 60,
            Pace = SimulationPace.Fast,
        });
        var received = new List<byte>();
        using var reading = new CancellationTokenSource();
        Task reader = Task.Run(() =>
        {
            byte[] buffer = new byte[256];
            while (!reading.IsCancellationRequested)
            {
                int n = pty.Read(buffer, 50);
                lock (received)
                {
                    received.AddRange(buffer.AsSpan(0, Math.Max(0, n)).ToArray());
                }
            }
        });
        SessionSummary summary = await session.RunAsync(CancellationToken.None);
        await Task.Delay(500);
        await reading.CancelAsync();
        await reader;

        Assert.Equal(SessionEndKind.Completed, summary.Ended!.Kind);
        int insertions = File.ReadLines(Path.Combine(folder, DropLogWriter.FileName)).Count(l => l.Contains(",needle/insert;", StringComparison.Ordinal));
        Assert.True(insertions >= 2, $"{insertions} insertions");
        byte[] codes = [.. received.Where(b => b != 0)];
        Assert.Equal((byte)254, codes[0]);
        Assert.Equal((byte)255, codes[^1]);
        Assert.Equal(insertions, codes.Count(b => b == 0x01));
        Assert.Equal(insertions + 2, codes.Length);
    }
}
