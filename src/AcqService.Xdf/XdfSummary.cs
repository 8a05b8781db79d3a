using System.Globalization;
using System.Text;
using AcqService.Core.Model;

namespace AcqService.Xdf;

/// <summary>Result of <see cref="XdfInspector.Inspect(string, XdfReaderOptions?)"/>.</summary>
public sealed record XdfSummary
{
    /// <summary>File length in bytes (-1 for non-seekable input).</summary>
    public long FileLength { get; init; }

    /// <summary>Chunks decoded.</summary>
    public long ChunkCount { get; init; }

    /// <summary>The FileHeader XML, or null.</summary>
    public string? FileHeaderXml { get; init; }

    /// <summary>Streams in header order.</summary>
    public IReadOnlyList<XdfStreamSummary> Streams { get; init; } = [];

    /// <summary>Reader diagnostics.</summary>
    public IReadOnlyList<XdfDiagnostic> Diagnostics { get; init; } = [];

    /// <summary>Renders a human-readable multi-line report (invariant culture).</summary>
    /// <returns>The report.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"XDF: {FileLength} bytes, {ChunkCount} chunks, {Streams.Count} streams, {Diagnostics.Count} diagnostics");
        foreach (var s in Streams)
        {
            var h = s.Header;
            text.AppendLine(c, $"- stream {h.StreamId} '{h.Name}' type={h.Type} ch={h.ChannelCount} fmt={ChannelFormats.ToName(h.ChannelFormat)} nominal={h.NominalSrate:G6} Hz effective={s.EffectiveSrate:F3} Hz");
            text.AppendLine(c, $"  samples={s.SampleCount} first={s.FirstTimestamp:F6} last={s.LastTimestamp:F6} duration={s.Duration:F3} s gaps={s.GapCount} largest_dt={s.LargestInterval:G6} s backward={s.BackwardStepCount}");
            if (h.ChannelFormat == ChannelFormat.String)
            {
                text.AppendLine(c, $"  markers={s.MarkerCount} labels=[{string.Join(", ", s.FirstDistinctLabels)}]");
            }

            text.AppendLine(c, $"  clock_offsets={s.ClockOffsetCount} mean={s.ClockOffsetMean:G6} range=[{s.ClockOffsetMin:G6}, {s.ClockOffsetMax:G6}] footer={(s.Footer is null ? "none" : $"sample_count={s.Footer.SampleCount}")}");
        }

        foreach (var d in Diagnostics)
        {
            text.AppendLine(c, $"! {d}");
        }

        return text.ToString();
    }
}
