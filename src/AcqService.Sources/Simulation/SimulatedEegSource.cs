using AcqService.Core.Model;
using AcqService.Core.Pipeline;

namespace AcqService.Sources.Simulation;

/// <summary>The simulated EEG amplifier as a pipeline source: chunks of samples with jittered LSL-clock timestamps and periodic clock offsets.</summary>
public sealed class SimulatedEegSource : ISource
{
    private readonly SimulationRig _rig;

    internal SimulatedEegSource(SimulationRig rig, StreamDescriptor stream)
    {
        if (stream.Kind != StreamKind.Signal)
        {
            throw new ArgumentException($"stream '{stream.Key}' must be a signal stream for the EEG simulator");
        }
        _rig = rig;
        Stream = stream;
        Simulator = new EegSimulator(rig.Settings, rig.Schedule, stream.Channels, stream.NominalRateHz);
    }

    /// <inheritdoc />
    public string Name => "simulated EEG";

    /// <summary>The stream produced.</summary>
    public StreamDescriptor Stream { get; }

    /// <inheritdoc />
    public IReadOnlyList<StreamDescriptor> Streams => [Stream];

    /// <summary>The signal generator (ground truth).</summary>
    public EegSimulator Simulator { get; }

    /// <summary>Samples produced so far.</summary>
    public long Produced => Volatile.Read(ref _produced);

    private long _produced;

    /// <summary>
    /// Rounds generated values to what the declared channel format can carry, as a real amplifier's samples are:
    /// a float32 stream sends float32 values, so a recording of it replays to exactly the same numbers.
    /// </summary>
    private void QuantizeToFormat(Span<double> values)
    {
        switch (Stream.Format)
        {
            case ChannelFormat.Float32:
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = (float)values[i];
                }
                break;
            case ChannelFormat.Int8 or ChannelFormat.Int16 or ChannelFormat.Int32 or ChannelFormat.Int64:
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = Math.Round(values[i], MidpointRounding.AwayFromZero);
                }
                break;
        }
    }

    /// <inheritdoc />
    public async Task RunAsync(Edge<SourceItem> output, CancellationToken cancellationToken)
    {
        SimulationSettings settings = _rig.Settings;
        double rate = Stream.NominalRateHz;
        int maxChunk = settings.VariableChunks ? 2 * settings.ChunkSamples : settings.ChunkSamples;
        var pool = new ChunkPool(Stream.Index, Stream.ChannelCount, maxChunk);
        var jitter = new Xoshiro(settings.Seed ^ 0x7177E5UL);
        long total = _rig.DurationSeconds is double d ? (long)Math.Round(d * rate) : long.MaxValue;
        double nextOffsetReport = 0;
        using PeriodicTimer? timer = _rig.Pace == SimulationPace.Live ? new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(0.002, settings.ChunkSamples / rate / 2))) : null;
        long produced = 0;
        try
        {
            await ProduceAsync().ConfigureAwait(false);
        }
        finally
        {
            _rig.Markers.CompleteFast();
            _rig.Nirs?.CompleteFast();
        }

        async Task ProduceAsync()
        {
            while (produced < total)
            {
                int frames = settings.VariableChunks ? 1 + (int)(jitter.NextDouble() * maxChunk) : settings.ChunkSamples;
                frames = (int)Math.Min(frames, total - produced);
                if (timer is not null)
                {
                    while (_rig.Clock() < _rig.Origin + ((produced + frames) / rate))
                    {
                        await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                cancellationToken.ThrowIfCancellationRequested();
                if (produced / rate >= nextOffsetReport)
                {
                    // The simulated amplifier shares the host clock, so its offset is 0; reporting it keeps recordings LabRecorder-like.
                    await output.WriteAsync(SourceItem.ForOffset(new ClockOffset(Stream.Index, _rig.Origin + (produced / rate), 0)), cancellationToken).ConfigureAwait(false);
                    nextOffsetReport += settings.ClockOffsetIntervalSeconds;
                }
                SampleChunk chunk = pool.Rent();
                Simulator.Generate(chunk.Data, frames);
                QuantizeToFormat(chunk.Data.AsSpan(0, frames * Stream.ChannelCount));
                for (int i = 0; i < frames; i++)
                {
                    chunk.Timestamps[i] = _rig.Origin + ((produced + i) / rate) + (settings.TimestampJitterSeconds * jitter.NextGaussian());
                }
                chunk.Count = frames;
                produced += frames;
                Volatile.Write(ref _produced, produced);
                if (_rig.Pace == SimulationPace.Fast)
                {
                    // Markers due by the end of this chunk go first, as a real marker device would have sent them by then.
                    await _rig.Markers.EmitDueAsync(output, produced / rate, cancellationToken).ConfigureAwait(false);
                    if (_rig.Nirs is { } nirs)
                    {
                        // fNIRS frames complete by the end of this chunk too, so all three streams advance together.
                        await nirs.EmitDueAsync(output, produced / rate, flush: false, cancellationToken).ConfigureAwait(false);
                    }
                }
                await output.WriteAsync(SourceItem.ForSamples(chunk), cancellationToken).ConfigureAwait(false);
            }
            if (_rig.Pace == SimulationPace.Fast)
            {
                await _rig.Markers.EmitDueAsync(output, produced / rate, cancellationToken).ConfigureAwait(false);
                if (_rig.Nirs is { } nirs)
                {
                    // Rounding the two rates' sample counts can leave an fNIRS frame just past the last EEG sample.
                    await nirs.EmitDueAsync(output, produced / rate, flush: true, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }
}
