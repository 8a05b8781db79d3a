namespace AcqService.Xdf;

/// <summary>Options for <see cref="XdfFile.Load(string, XdfLoadOptions?)"/>; defaults match pyxdf <c>load_xdf</c>.</summary>
public sealed record XdfLoadOptions
{
    /// <summary>Apply clock offsets to timestamps (pyxdf <c>synchronize_clocks</c>), including pyxdf's corrupted-last-offset truncation.</summary>
    public bool SynchronizeClocks { get; init; } = true;

    /// <summary>Dejitter regular streams and compute their effective rate (pyxdf <c>dejitter_timestamps</c>).</summary>
    public bool DejitterTimestamps { get; init; } = true;

    /// <summary>Clock synchronisation parameters.</summary>
    public XdfClockSyncOptions ClockSync { get; init; } = new();

    /// <summary>Dejitter parameters.</summary>
    public XdfDejitterOptions Dejitter { get; init; } = new();

    /// <summary>Reader parameters (chunk size limit, diagnostics cap).</summary>
    public XdfReaderOptions Reader { get; init; } = new();

    /// <summary>When non-null, only streams with these ids are kept (pyxdf <c>select_streams</c> by id).</summary>
    public IReadOnlySet<uint>? SelectStreams { get; init; }
}
