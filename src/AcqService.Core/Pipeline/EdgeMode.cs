namespace AcqService.Core.Pipeline;

/// <summary>What an edge does when its consumer falls behind.</summary>
public enum EdgeMode
{
    /// <summary>Lossless: the producer waits (back-pressure). Used for every edge that carries data to analysis.</summary>
    Wait,
    /// <summary>Display: the oldest item is dropped and the drop is counted. Used for status and live views only.</summary>
    DropOldest,
    /// <summary>
    /// Never blocks the producer and never drops silently: a full edge faults the pipeline. Used for the
    /// recorder, which must not slow acquisition and must not lose data without the session failing loudly.
    /// </summary>
    FailWhenFull,
}
