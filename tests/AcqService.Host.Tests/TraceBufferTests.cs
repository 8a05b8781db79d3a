using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Host.Service;

namespace AcqService.Host.Tests;

/// <summary>The dashboard's server-side decimation: what the page gets from 64 channels at 1 kHz.</summary>
public sealed class TraceBufferTests
{
    private static (StreamRegistry Registry, StreamDescriptor Eeg) Streams(int channels, double rate)
    {
        var registry = new StreamRegistry();
        StreamDescriptor eeg = registry.Add(new StreamDescriptor("eeg", StreamKind.Signal, "Amp", "EEG",
            [.. Enumerable.Range(0, channels).Select(c => new ChannelDescriptor("C" + c, "uV", "EEG"))], rate, ChannelFormat.Float32, "amp"));
        registry.Add(new StreamDescriptor("needle", StreamKind.Markers, "Needle", "Markers", [new ChannelDescriptor("marker", "", "Marker")], 0, ChannelFormat.String, "needle"));
        return (registry, eeg);
    }

    [Fact]
    public async Task SixtyFourChannelsAt1kHz_BecomeBlockMeansAt100PointsPerSecond_WithMarkersOnTheSessionClock()
    {
        (StreamRegistry registry, StreamDescriptor eeg) = Streams(64, 1000);
        const double start = 500.0;
        var buffer = new TraceBuffer(registry, start);
        Edge<SourceItem> edge = new EdgeFactory(new PipelineOptions()).Display<SourceItem>("test");
        Task running = buffer.RunAsync(edge, CancellationToken.None);
        // 12 s of a ramp: channel c carries c + sample index, so each block mean is known exactly.
        const int chunk = 25;
        for (int first = 0; first < 12_000; first += chunk)
        {
            var samples = new SampleChunk(eeg.Index, 64, chunk) { Count = chunk };
            for (int k = 0; k < chunk; k++)
            {
                samples.Timestamps[k] = start + 0.25 + ((first + k) / 1000.0);
                for (int c = 0; c < 64; c++)
                {
                    samples.Data[(k * 64) + c] = c + first + k;
                }
            }
            await edge.WriteAsync(SourceItem.ForSamples(samples), CancellationToken.None);
            if (first == 6000)
            {
                await edge.WriteAsync(SourceItem.ForOffset(new ClockOffset(1, 0, 0.5)), CancellationToken.None);
                await edge.WriteAsync(SourceItem.ForMarker(new Marker(1, start + 5.0, "needle/insert;kind=real")), CancellationToken.None);
            }
            // The display edge drops the oldest items when the reader lags; give it time so this test sees every block.
            while (edge.Queued > 8)
            {
                await Task.Delay(1);
            }
        }
        edge.Complete();
        await running;
        Assert.Equal(0, edge.Dropped);

        TraceWindow window = buffer.Window(null, ["C0", "C63"], 10);
        Assert.Equal(100, window.RateHz);
        Assert.Equal(1000, window.Times.Length);
        // The last block holds samples 11990..11999: mean index 11994.5, at session time 0.25 + 11.9945 s.
        Assert.Equal(0.25 + 11.9945, window.Times[^1], 9);
        Assert.Equal(11994.5, window.Values[0][^1], 9);
        Assert.Equal(63 + 11994.5, window.Values[1][^1], 9);
        Assert.Equal(0.01, window.Times[^1] - window.Times[^2], 9);
        // The marker, corrected by its stream's offset (+0.5 s), is at session time 5.5 s, inside the window (2.25–12.24 s).
        TraceMarker marker = Assert.Single(window.Markers);
        Assert.Equal(5.5, marker.Time, 9);
        // 64 channels: one request carries 64 × 1000 values for 10 s whatever the amplifier's rate (not 64 × 10 000).
        Assert.Equal(64, buffer.Window("eeg", [.. Enumerable.Range(0, 64).Select(c => "C" + c)], 10).Values.Length);
        Assert.Throws<StationException>(() => buffer.Window("eeg", ["nope"], 10));
        Assert.Throws<StationException>(() => buffer.Window("needle", null, 10));
    }
}
