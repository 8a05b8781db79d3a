namespace AcqService.Sources.Xdf;

/// <summary>Which streams of a recording to replay, and how fast (configuration section <c>Replay</c>).</summary>
public sealed class XdfReplayOptions
{
    /// <summary>Fast (analysis) or live pace.</summary>
    public ReplayPace Pace { get; set; } = ReplayPace.Fast;

    /// <summary>Live pace only: 2 plays twice as fast as recorded, 0.5 half as fast.</summary>
    public double SpeedFactor { get; set; } = 1;

    /// <summary>Stream types replayed as signal streams (case-insensitive), unless <see cref="SignalStreamNames"/> is set; by default EEG and fNIRS, so analyze of a session with both gives both results.</summary>
    public List<string> SignalTypes { get; set; } = ["EEG", "NIRS"];

    /// <summary>Stream types replayed as marker streams (case-insensitive), unless <see cref="MarkerStreamNames"/> is set.</summary>
    public List<string> MarkerTypes { get; set; } = ["Markers"];

    /// <summary>When not empty: exactly these streams (by name, case-insensitive) are the signal streams.</summary>
    public List<string> SignalStreamNames { get; set; } = [];

    /// <summary>When not empty: exactly these streams (by name, case-insensitive) are the marker streams.</summary>
    public List<string> MarkerStreamNames { get; set; } = [];

    /// <summary>
    /// Frames per pooled chunk; larger recorded chunks are split (the pipeline's results do not depend on chunking).
    /// 0 = 0.1 s of samples, at least 32, which keeps the pool's memory small and recorded AcqService chunks whole.
    /// </summary>
    public int MaxChunkFrames { get; set; }

    /// <summary>
    /// Fast pace only: file chunks of one stream that follow each other with nothing in between are merged into chunks
    /// of up to <see cref="MaxChunkFrames"/>, which saves a trip through every stage per recorded pull (`acq analyze`
    /// sets it). Samples, their timestamps and clock offsets and the order of every item stay those of the file, and the
    /// analyzers work sample by sample, so the results are the same; only the chunk boundaries differ. Off by default,
    /// so a replay reproduces the recorded chunks one for one.
    /// </summary>
    public bool MergeAdjacentChunks { get; set; }

    /// <summary>Validates the values; returns problems as text.</summary>
    public IEnumerable<string> Validate()
    {
        if (!(SpeedFactor > 0) || !double.IsFinite(SpeedFactor))
        {
            yield return $"Replay:SpeedFactor must be a positive number (was {SpeedFactor})";
        }
        if (MaxChunkFrames < 0)
        {
            yield return $"Replay:MaxChunkFrames must be ≥ 0 (was {MaxChunkFrames})";
        }
        if (SignalTypes.Count == 0 && SignalStreamNames.Count == 0)
        {
            yield return "Replay: no signal stream types or names given";
        }
    }
}
