using AcqService.Core.Model;
using AcqService.Core.Pipeline;

namespace AcqService.Sources.Simulation;

/// <summary>
/// The simulated continuous-wave fNIRS device as a pipeline source: chunks of raw intensities (V, float32) with
/// jittered timestamps on the rig's origin (the device shares the host clock, so it reports clock offset 0, like the
/// EEG amplifier). At live pace it runs on its own timer; at fast pace the EEG source interleaves its chunks in
/// simulated-time order (as it does the markers), which keeps fast sessions deterministic.
/// </summary>
public sealed class SimulatedNirsSource : ISource
{
    private readonly SimulationRig _rig;
    private readonly Xoshiro _jitter;
    private readonly long _total;
    private readonly TaskCompletionSource _fastDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ChunkPool? _pool;
    private long _produced;
    private double _nextOffsetReport;

    internal SimulatedNirsSource(SimulationRig rig, StreamDescriptor stream)
    {
        if (stream.Kind != StreamKind.Signal)
        {
            throw new ArgumentException($"stream '{stream.Key}' must be a signal stream for the NIRS simulator");
        }
        if (!(stream.NominalRateHz > 0))
        {
            throw new ArgumentException($"stream '{stream.Key}' needs a positive sample rate for the NIRS simulator");
        }
        _rig = rig;
        Stream = WithMontage(stream, rig.Settings);
        Simulator = new NirsSimulator(rig.Settings, rig.Schedule, stream.Channels, stream.NominalRateHz);
        _jitter = new Xoshiro(rig.Settings.Seed ^ 0x0F_1125_7177UL);
        _total = rig.DurationSeconds is double d ? (long)Math.Round(d * stream.NominalRateHz) : long.MaxValue;
    }

    /// <inheritdoc />
    public string Name => "simulated fNIRS";

    /// <summary>
    /// The stream as a real device describes itself over LSL: unless the profile gave a description, per channel
    /// its source, detector and wavelength, plus optode positions and wavelengths (<see cref="NirsMontage"/>), so a
    /// recording carries the probe (the SNIRF export reads it).
    /// </summary>
    private static StreamDescriptor WithMontage(StreamDescriptor stream, SimulationSettings settings)
    {
        // Labels the montage cannot number (the simulator accepts any pair name) keep the profile's plain description.
        if (!string.IsNullOrWhiteSpace(stream.DescriptionXml) || NirsMontage.FromLabels([.. stream.Channels.Select(c => c.Label)]) is null)
        {
            return stream;
        }
        NirsMontage montage = NirsMontage.Simulated(stream.Channels, settings.NirsDistanceCm / 100);
        return new StreamDescriptor(stream.Key, stream.Kind, stream.Name, stream.Type, stream.Channels, stream.NominalRateHz, stream.Format, stream.SourceId)
        {
            DescriptionXml = montage.ToDescription(stream.Channels, "AcqService (simulated CW-fNIRS)").ToString(System.Xml.Linq.SaveOptions.DisableFormatting),
        };
    }

    /// <summary>The stream produced.</summary>
    public StreamDescriptor Stream { get; }

    /// <inheritdoc />
    public IReadOnlyList<StreamDescriptor> Streams => [Stream];

    /// <summary>The signal generator (ground truth).</summary>
    public NirsSimulator Simulator { get; }

    /// <summary>Frames produced so far.</summary>
    public long Produced => Volatile.Read(ref _produced);

    /// <inheritdoc />
    public async Task RunAsync(Edge<SourceItem> output, CancellationToken cancellationToken)
    {
        if (_rig.Pace == SimulationPace.Fast)
        {
            // The EEG source writes this stream's chunks (EmitDueAsync); this source only stays open until it is done.
            await _fastDone.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        double rate = Stream.NominalRateHz;
        int frames = _rig.Settings.NirsChunkSamples;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(0.002, frames / rate / 2)));
        while (_produced < _total)
        {
            long next = Math.Min(_produced + frames, _total);
            while (_rig.Clock() < _rig.Origin + (next / rate))
            {
                await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
            }
            cancellationToken.ThrowIfCancellationRequested();
            await WriteChunkAsync(output, (int)(next - _produced), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Fast pace: writes every chunk complete by simulated time <paramref name="time"/> (seconds from the origin),
    /// or, when <paramref name="flush"/>, everything left (the end of the session).
    /// </summary>
    internal async ValueTask EmitDueAsync(Edge<SourceItem> output, double time, bool flush, CancellationToken cancellationToken)
    {
        double rate = Stream.NominalRateHz;
        int frames = _rig.Settings.NirsChunkSamples;
        while (_produced < _total)
        {
            long next = Math.Min(_produced + frames, _total);
            if (!flush && next / rate > time)
            {
                return;
            }
            await WriteChunkAsync(output, (int)(next - _produced), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Called by the EEG source when a fast-pace run is over.</summary>
    internal void CompleteFast() => _fastDone.TrySetResult();

    private async ValueTask WriteChunkAsync(Edge<SourceItem> output, int frames, CancellationToken cancellationToken)
    {
        SimulationSettings settings = _rig.Settings;
        double rate = Stream.NominalRateHz;
        // Created on first use: the stream index is assigned when the session registers the stream, after construction.
        _pool ??= new ChunkPool(Stream.Index, Stream.ChannelCount, settings.NirsChunkSamples);
        if (_produced / rate >= _nextOffsetReport)
        {
            await output.WriteAsync(SourceItem.ForOffset(new ClockOffset(Stream.Index, _rig.Origin + (_produced / rate), 0)), cancellationToken).ConfigureAwait(false);
            _nextOffsetReport += settings.ClockOffsetIntervalSeconds;
        }
        SampleChunk chunk = _pool.Rent();
        Simulator.Generate(chunk.Data, frames);
        Span<double> values = chunk.Data.AsSpan(0, frames * Stream.ChannelCount);
        if (Stream.Format == ChannelFormat.Float32)
        {
            // What a float32 outlet carries, so a recording replays to the same numbers.
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)values[i];
            }
        }
        for (int i = 0; i < frames; i++)
        {
            chunk.Timestamps[i] = _rig.Origin + ((_produced + i) / rate) + (settings.TimestampJitterSeconds * _jitter.NextGaussian());
        }
        chunk.Count = frames;
        Volatile.Write(ref _produced, _produced + frames);
        await output.WriteAsync(SourceItem.ForSamples(chunk), cancellationToken).ConfigureAwait(false);
    }
}
