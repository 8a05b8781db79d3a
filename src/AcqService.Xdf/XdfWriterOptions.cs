using System.Xml.Linq;

namespace AcqService.Xdf;

/// <summary>Options for <see cref="XdfWriter"/>.</summary>
public sealed record XdfWriterOptions
{
    /// <summary>Clock for the FileHeader <c>datetime</c> element; defaults to the system clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Extra elements appended to the FileHeader <c>info</c> element (session metadata such as participant or task).</summary>
    public IReadOnlyList<XElement> HeaderElements { get; init; } = [];

    /// <summary>
    /// When set, written verbatim as the FileHeader content instead of the generated <c>info</c> document
    /// (used by <c>XdfRepair</c> to preserve the original header).
    /// </summary>
    public string? FileHeaderXml { get; init; }

    /// <summary>
    /// Omit a sample's timestamp when it equals the previous one + 1/nominal_srate exactly (LabRecorder's rule).
    /// Decoding is exact either way; omission saves 8 bytes per regular sample.
    /// </summary>
    public bool OmitDeducibleTimestamps { get; init; } = true;
}
