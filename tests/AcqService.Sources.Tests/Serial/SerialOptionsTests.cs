using System.IO.Ports;
using System.Text.Json;
using AcqService.Sources.Serial;
using AcqService.Sources.Tests.Lsl;

namespace AcqService.Sources.Tests.Serial;

/// <summary>Parsing and validation of the serial drivers' <c>source</c> sections and of the shipped profiles.</summary>
public sealed class SerialOptionsTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    private static SerialOptionsException Fails(Action parse) => Assert.Throws<SerialOptionsException>(parse);

    [Fact]
    public void CytonParse_AllFields_ReadsEveryValue()
    {
        CytonOptions o = CytonOptions.Parse(Json("""
            { "driver": "openbci-cyton", "port": "COM3", "baudRate": 230400, "dataBits": 7, "parity": "even", "stopBits": "2",
              "flowControl": "rts-cts", "readTimeoutMs": 50, "latencyOffsetMs": 12.5, "silenceTimeoutMs": 1000,
              "reconnect": { "initialDelayMs": 100, "maxDelayMs": 800, "maxAttempts": 3 },
              "gain": [24, 24, 12, 12, 8, 8, 1, 2], "dejitterHalfLifeSeconds": 10 }
            """), "$.streams[0].source");
        Assert.False(o.Daisy);
        Assert.Equal("COM3", o.Serial.Port);
        Assert.Equal(230400, o.Serial.BaudRate);
        Assert.Equal(7, o.Serial.DataBits);
        Assert.Equal(Parity.Even, o.Serial.Parity);
        Assert.Equal(StopBits.Two, o.Serial.StopBits);
        Assert.Equal(Handshake.RequestToSend, o.Serial.FlowControl);
        Assert.Equal(50, o.Serial.ReadTimeoutMs);
        Assert.Equal(12.5, o.Serial.LatencyOffsetMs);
        Assert.Equal(1000, o.Serial.SilenceTimeoutMs);
        Assert.Equal((100, 800, 3), (o.Serial.ReconnectInitialDelayMs, o.Serial.ReconnectMaxDelayMs, o.Serial.ReconnectMaxAttempts));
        Assert.Equal([24.0, 24, 12, 12, 8, 8, 1, 2], o.Gains);
        Assert.Equal(10, o.DejitterHalfLifeSeconds);
    }

    [Fact]
    public void CytonParse_Daisy_DefaultsToSixteenGainsOf24()
    {
        CytonOptions o = CytonOptions.Parse(Json("""{ "driver": "openbci-cyton-daisy", "port": "/dev/ttyUSB0" }"""), "$.s");
        Assert.True(o.Daisy);
        Assert.Equal(16, o.Gains.Count);
        Assert.All(o.Gains, g => Assert.Equal(24, g));
        Assert.Equal(125, o.RateHz);
        Assert.Equal(115200, o.Serial.BaudRate);
        Assert.Equal(3000, o.Serial.SilenceTimeoutMs);
    }

    [Fact]
    public void CytonParse_BadValues_EveryProblemNamesItsPath()
    {
        SerialOptionsException ex = Fails(() => CytonOptions.Parse(Json("""
            { "driver": "openbci-cyton", "baudrate": 9600, "parity": "odd-ish", "gain": [24, 3], "readTimeoutMs": 0,
              "reconnect": { "initialDelayMs": 500, "maxDelayMs": 100, "retries": 2 } }
            """), "$.streams[0].source"));
        Assert.Contains("$.streams[0].source.port: required", ex.Problems);
        Assert.Contains(ex.Problems, p => p.StartsWith("$.streams[0].source.baudrate: unknown field (did you mean 'baudRate'?)", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.StartsWith("$.streams[0].source.parity: 'odd-ish' must be one of", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.StartsWith("$.streams[0].source.gain: must be one gain or an array of 8 gains", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.StartsWith("$.streams[0].source.readTimeoutMs: 0 is out of range", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.StartsWith("$.streams[0].source.reconnect.retries: unknown field", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.StartsWith("$.streams[0].source.reconnect.maxDelayMs: 100 is less than initialDelayMs", StringComparison.Ordinal));
        Assert.Equal(7, ex.Problems.Count);
    }

    [Fact]
    public void CytonParse_GainNotSupportedByAds1299_Rejected()
    {
        SerialOptionsException ex = Fails(() => CytonOptions.Parse(Json("""{ "port": "x", "gain": 3 }"""), "$.s"));
        Assert.Equal(["$.s.gain: 3 is not an ADS1299 gain (1, 2, 4, 6, 8, 12, 24)"], ex.Problems);
    }

    [Fact]
    public void TriggerParse_ByteCodes_HexAndDecimalKeysNormalised()
    {
        TriggerBoxOptions o = TriggerBoxOptions.Parse(Json("""
            { "driver": "serial-trigger-box", "port": "/dev/ttyACM0", "latencyOffsetMs": 4,
              "codes": { "0x01": "needle/insert;site=ST36;kind=real", "11": "needle/insert;site=ST36;kind=sham" } }
            """), "$.streams[1].source");
        Assert.False(o.TextLines);
        Assert.Equal("needle/insert;site=ST36;kind=real", o.Codes["0x01"]);
        Assert.Equal("needle/insert;site=ST36;kind=sham", o.Codes["0x0B"]);
        Assert.Equal(0, o.Serial.SilenceTimeoutMs);
        Assert.Equal(4, o.Serial.LatencyOffsetMs);
    }

    [Fact]
    public void TriggerParse_BadCodes_Rejected()
    {
        SerialOptionsException ex = Fails(() => TriggerBoxOptions.Parse(Json("""
            { "port": "p", "codes": { "0x100": "a", "0": "b", "1": "c", "0x01": "d", "2": 5 } }
            """), "$.t"));
        Assert.Contains(ex.Problems, p => p.StartsWith("$.t.codes.0x100: '0x100' is not a byte code", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.StartsWith("$.t.codes.0: '0' is not a byte code", StringComparison.Ordinal));
        Assert.Contains("$.t.codes.0x01: code 0x01 is mapped twice", ex.Problems);
        Assert.Contains("$.t.codes.2: the label must be a non-empty string", ex.Problems);
        Assert.Equal(4, ex.Problems.Count);
        Assert.Contains("$.t.codes: required", Fails(() => TriggerBoxOptions.Parse(Json("""{ "port": "p" }"""), "$.t")).Problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void TriggerOutputParse_Rules_ReadAndInvalidRegexReported()
    {
        TriggerOutputOptions o = TriggerOutputOptions.Parse(Json("""
            { "port": "/dev/ttyUSB1", "onMarker": [ { "match": "^needle/insert", "code": "0x01" }, { "match": "^needle/remove", "code": 3 } ],
              "sessionStartCode": 254, "sessionStopCode": "0xFF", "pulseMs": 5 }
            """), "$.out");
        Assert.Equal(2, o.OnMarker.Count);
        Assert.Equal(1, o.OnMarker[0].Code);
        Assert.Equal(3, o.OnMarker[1].Code);
        Assert.Equal((byte?)254, o.SessionStartCode);
        Assert.Equal((byte?)255, o.SessionStopCode);
        Assert.Equal(5, o.PulseMs);
        SerialOptionsException ex = Fails(() => TriggerOutputOptions.Parse(Json("""{ "port": "p", "onMarker": [ { "match": "([", "code": 1, "x": 1 }, { "match": "a" } ] }"""), "$.out"));
        Assert.Contains(ex.Problems, p => p.StartsWith("$.out.onMarker[0].match: not a valid regular expression", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.StartsWith("$.out.onMarker[0].x: unknown field", StringComparison.Ordinal));
        Assert.Contains("$.out.onMarker[1].code: required", ex.Problems);
    }

    [Theory]
    [InlineData("openbci-cyton.json", "openbci-cyton", 8, 250.0)]
    [InlineData("openbci-cyton-daisy.json", "openbci-cyton-daisy", 16, 125.0)]
    [InlineData("serial-trigger-box.json", null, 0, 0.0)]
    public void ShippedProfiles_SerialSourcesParseAndFitTheirStreams(string file, string? signalDriver, int channels, double rate)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(LslTestKit.RepositoryRoot(), "device-profiles", file)));
        int i = 0, serial = 0;
        foreach (JsonElement stream in doc.RootElement.GetProperty("streams").EnumerateArray())
        {
            JsonElement source = stream.GetProperty("source");
            string driver = source.GetProperty("driver").GetString()!;
            string path = $"$.streams[{i}]";
            if (SerialDrivers.Names.Contains(driver))
            {
                serial++;
                object options = SerialDrivers.Parse(driver, source, path + ".source");
                var kind = stream.GetProperty("kind").GetString() == "signal" ? AcqService.Core.Model.StreamKind.Signal : AcqService.Core.Model.StreamKind.Markers;
                int count = stream.TryGetProperty("channels", out JsonElement ch) ? ch.GetArrayLength() : 1;
                double? r = stream.TryGetProperty("sampleRateHz", out JsonElement sr) ? sr.GetDouble() : null;
                Assert.Empty(SerialDrivers.CheckStream(driver, kind, count, r, path));
                if (driver == signalDriver)
                {
                    Assert.Equal(channels, ((CytonOptions)options).ChannelCount);
                    Assert.Equal(rate, ((CytonOptions)options).RateHz);
                }
                else
                {
                    // The shipped code table: 3 sites × insert/manipulate/remove × real/sham, as the simulator sends.
                    Assert.Equal(TriggerBoxSimulator.CodeMap(["ST36", "LI4", "PC6"]), ((TriggerBoxOptions)options).Codes);
                }
            }
            i++;
        }
        Assert.Equal(signalDriver is null ? 1 : 2, serial);
    }
}
