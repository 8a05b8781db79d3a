namespace AcqService.Core.Pipeline;

/// <summary>Edge policies of a session (bound from configuration section <c>Pipeline</c>).</summary>
public sealed class PipelineOptions
{
    /// <summary>Policy of lossless data edges (sources → aligner → analyzers → result sinks).</summary>
    public EdgePolicy DataEdge { get; set; } = EdgePolicy.Lossless;

    /// <summary>Policy of display edges (live status, dashboards).</summary>
    public EdgePolicy DisplayEdge { get; set; } = EdgePolicy.Display;

    /// <summary>Policy of the recorder edge.</summary>
    public EdgePolicy RecorderEdge { get; set; } = EdgePolicy.Recorder;
}
