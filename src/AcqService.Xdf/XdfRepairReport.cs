namespace AcqService.Xdf;

/// <summary>What <see cref="XdfRepair.Repair"/> recovered.</summary>
public sealed record XdfRepairReport
{
    /// <summary>Streams whose headers were recovered, in header order.</summary>
    public IReadOnlyList<XdfStreamHeader> Streams { get; init; } = [];

    /// <summary>Samples copied per stream id.</summary>
    public IReadOnlyDictionary<uint, long> SamplesPerStream { get; init; } = new Dictionary<uint, long>();

    /// <summary>Clock offsets copied.</summary>
    public long ClockOffsetCount { get; init; }

    /// <summary>Boundary chunks copied.</summary>
    public long BoundaryCount { get; init; }

    /// <summary>Footers found in the input (all are regenerated from the recovered data).</summary>
    public int InputFooterCount { get; init; }

    /// <summary>Problems found in the input; empty when the input was already clean.</summary>
    public IReadOnlyList<XdfDiagnostic> Diagnostics { get; init; } = [];

    /// <summary>True when the input had no diagnostics and a footer for every stream.</summary>
    public bool InputWasClean => Diagnostics.Count == 0 && InputFooterCount >= Streams.Count;
}
