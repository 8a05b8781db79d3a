namespace AcqService.Core.Pipeline;

/// <summary>Capacity and full-mode of one pipeline edge.</summary>
/// <param name="Capacity">Items the edge holds before its <see cref="Mode"/> applies.</param>
/// <param name="Mode">Back-pressure, counted drop, or fail.</param>
public sealed record EdgePolicy(int Capacity, EdgeMode Mode)
{
    /// <summary>Default for data edges: 1024 items, lossless.</summary>
    public static EdgePolicy Lossless { get; } = new(1024, EdgeMode.Wait);

    /// <summary>Default for display edges: 64 items, drop oldest (counted).</summary>
    public static EdgePolicy Display { get; } = new(64, EdgeMode.DropOldest);

    /// <summary>Default for the recorder edge: 16384 items (many seconds of chunks), fail when full.</summary>
    public static EdgePolicy Recorder { get; } = new(16384, EdgeMode.FailWhenFull);
}
