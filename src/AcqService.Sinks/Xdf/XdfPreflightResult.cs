namespace AcqService.Sinks.Xdf;

/// <summary>Outcome of <see cref="XdfRecorderSink.Preflight"/>: the recording can start at <see cref="Path"/>.</summary>
/// <param name="Path">Full path of the file to record to (free now).</param>
/// <param name="RenamedExisting">Where an existing file at <see cref="Path"/> was moved (<c>name_oldN.xdf</c>), or null.</param>
/// <param name="FreeBytes">Free space in the folder.</param>
/// <param name="RequiredBytes">Space the recording needs (expected size + margin).</param>
public sealed record XdfPreflightResult(string Path, string? RenamedExisting, long FreeBytes, long RequiredBytes)
{
    /// <summary>One line for the log or the console.</summary>
    public string ToText() => FormattableString.Invariant(
        $"recording to '{Path}' ({RequiredBytes / 1048576.0:F0} MB needed, {FreeBytes / 1048576.0:F0} MB free)")
        + (RenamedExisting is null ? "" : $"; the existing file was renamed to '{RenamedExisting}'");
}
