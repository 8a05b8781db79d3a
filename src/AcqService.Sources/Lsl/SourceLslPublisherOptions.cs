using AcqService.Core.Model;
using AcqService.Lsl;

namespace AcqService.Sources.Lsl;

/// <summary>How a <see cref="SourceLslPublisher"/> creates its outlets and stamps what it pushes.</summary>
public sealed class SourceLslPublisherOptions
{
    /// <summary>
    /// False (default): the sources' raw timestamps are pushed unchanged. True: the first pass is RESTAMPED to now —
    /// every stream is shifted by one common offset (local clock at the first pushed item − that item's timestamp),
    /// so the relative timing between streams is kept exactly. Passes after the first are always restamped (see
    /// <see cref="SourceLslPublisher.RunAsync"/>).
    /// </summary>
    public bool Restamp { get; set; }

    /// <summary>Per-consumer outlet buffer in seconds of data (LSL drops the oldest beyond it).</summary>
    public int MaxBufferedSeconds { get; set; } = 360;

    /// <summary>
    /// When set, each pass first waits this long for a consumer on every outlet and fails with
    /// <see cref="TimeoutException"/> otherwise. Needed when the sources run faster than real time: LSL keeps no
    /// history, so data pushed before an inlet connects is lost. Null (default): push like a device, listeners or not.
    /// </summary>
    public TimeSpan? ConsumerTimeout { get; set; }

    /// <summary>Adds to an outlet's info (e.g. <c>desc/acquisition</c>) before the outlet is created.</summary>
    public Action<StreamDescriptor, LslStreamInfo>? Describe { get; set; }
}
