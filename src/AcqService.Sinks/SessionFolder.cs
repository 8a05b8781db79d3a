using System.Text.Json;
using AcqService.Core.Analysis;
using AcqService.Core;

namespace AcqService.Sinks;

/// <summary>
/// The session folder and the files in it. Created first thing, it claims room for the summaries, then hands out the
/// incremental writers (drop log, alpha CSV); at the end it writes the results smallest first — summary, alpha
/// summary, ERP averages, metadata — each on its own, so one failure (a full disk) never costs the others, and the
/// summary lists what is complete.
/// </summary>
public sealed class SessionFolder : IDisposable
{
    /// <summary>Room claimed for each summary file at start (a summary of many conditions and regions is ~20 kB).</summary>
    public const int SummaryReserveBytes = 256 * 1024;

    private readonly ReservedTextFile _summaryJson;
    private readonly ReservedTextFile _summaryText;
    private readonly List<OutputFileStatus> _files = [];

    /// <summary>Creates the folder (a folder that already holds a session is refused), checks it is writable and reserves the summaries.</summary>
    /// <exception cref="IOException">Not writable, no room for the summaries, or already a session folder (message names the folder).</exception>
    /// <exception cref="UnauthorizedAccessException">No permission.</exception>
    public SessionFolder(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(Path);
        if (File.Exists(System.IO.Path.Combine(Path, SessionOutput.MetadataFile)))
        {
            throw new IOException($"'{Path}' already holds a session (session.json exists); choose another output folder");
        }
        _summaryJson = new ReservedTextFile(System.IO.Path.Combine(Path, SessionOutput.SummaryJsonFile), SummaryReserveBytes, "{}");
        try
        {
            _summaryText = new ReservedTextFile(System.IO.Path.Combine(Path, SessionOutput.SummaryTextFile), SummaryReserveBytes, "AcqService session starting\n");
        }
        catch
        {
            _summaryJson.Dispose();
            throw;
        }
    }

    /// <summary>Full path of the folder.</summary>
    public string Path { get; }

    /// <summary>Files written at the end and whether each is complete (in the order they were written).</summary>
    public IReadOnlyList<OutputFileStatus> Files => _files;

    /// <summary>Writes <c>session.json</c> (atomically).</summary>
    public void WriteMetadata(SessionMetadata metadata) => SessionOutput.WriteMetadata(Path, metadata);

    /// <summary>Opens the drop log.</summary>
    public DropLogWriter OpenDropLog(double sessionStartClock) => new(Path, sessionStartClock);

    /// <summary>Opens the alpha CSV writer.</summary>
    public AlphaCsvWriter OpenAlphaCsv(double sessionStartClock, Func<string, IReadOnlyList<string>> channelLabels, IReadOnlyList<string> regions) =>
        new(Path, sessionStartClock, channelLabels, regions);

    /// <summary>Rewrites the summaries in their reserved space (a running session's snapshot). Returns the error, or null.</summary>
    public string? UpdateSummary(SessionSummary summary)
    {
        try
        {
            _summaryJson.Write(JsonSerializer.Serialize(summary, SessionOutput.JsonOptions.TypeInfo<SessionSummary>()));
            _summaryText.Write(summary.ToText());
            return null;
        }
        catch (IOException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>
    /// Writes the end-of-session files smallest first, then the final summary listing each file's state.
    /// Never throws for I/O: what failed is in <see cref="Files"/> and in the summary.
    /// </summary>
    /// <param name="summary">The summary (its <see cref="SessionSummary.Files"/> is filled here).</param>
    /// <param name="alpha">Alpha pre/post table.</param>
    /// <param name="averages">ERP averages.</param>
    /// <param name="metadata">Metadata with the end time.</param>
    /// <param name="incremental">Files written during the session (drop log, alpha CSV, recording) and their state.</param>
    /// <param name="haemodynamic">fNIRS haemodynamic averages and their unit, when the session had fNIRS streams.</param>
    public void Finish(SessionSummary summary, IReadOnlyList<AlphaConditionSummary> alpha, IReadOnlyList<ConditionAverage> averages, SessionMetadata metadata,
        IEnumerable<OutputFileStatus> incremental, (IReadOnlyList<ConditionAverage> Averages, string Unit)? haemodynamic = null)
    {
        Finish(summary, alpha, averages, metadata, incremental, haemodynamic is { } h ? (h.Averages, h.Unit, [], new Dictionary<string, int>()) : null);
    }

    /// <summary>Writes the final summary and the result files, as the other overload, with the haemodynamic pre/post summaries and drop counts.</summary>
    /// <param name="summary">The final summary.</param>
    /// <param name="alpha">Alpha pre/post table.</param>
    /// <param name="averages">ERP averages.</param>
    /// <param name="metadata">Metadata with the end time.</param>
    /// <param name="incremental">Files written during the session and their state.</param>
    /// <param name="haemodynamic">fNIRS averages, unit, pre/post summaries and drops by category.</param>
    public void Finish(SessionSummary summary, IReadOnlyList<AlphaConditionSummary> alpha, IReadOnlyList<ConditionAverage> averages, SessionMetadata metadata,
        IEnumerable<OutputFileStatus> incremental, (IReadOnlyList<ConditionAverage> Averages, string Unit, IReadOnlyList<HaemodynamicConditionSummary> Summaries, IReadOnlyDictionary<string, int> Dropped)? haemodynamic)
    {
        _files.AddRange(incremental);
        // The summary first (in its reserved space): whatever fails after this, the folder already says why the session ended.
        summary.Files = [.. _files, new OutputFileStatus(SessionOutput.AlphaSummaryFile, false, "not written yet"), new OutputFileStatus(SessionOutput.ErpJsonFile, false, "not written yet")];
        _ = UpdateSummary(summary);
        Attempt(SessionOutput.AlphaSummaryFile, () => SessionOutput.WriteAlphaSummary(Path, alpha));
        if (haemodynamic is { } hrf)
        {
            Attempt(SessionOutput.HrfJsonFile + ", " + SessionOutput.HrfCsvFile, () => SessionOutput.WriteHaemodynamicAverages(Path, hrf.Averages, hrf.Unit, hrf.Summaries, hrf.Dropped));
        }
        Attempt(SessionOutput.ErpJsonFile + ", " + SessionOutput.ErpCsvFile, () => SessionOutput.WriteErpAverages(Path, averages));
        Attempt(SessionOutput.MetadataFile, () => SessionOutput.WriteMetadata(Path, metadata));
        summary.Files = [.. _files];
        try
        {
            _summaryJson.Finish(JsonSerializer.Serialize(summary, SessionOutput.JsonOptions.TypeInfo<SessionSummary>()));
            _summaryText.Finish(summary.ToText());
        }
        catch (IOException)
        {
            // Only the summary's own growth past its reservation can fail here; the snapshot written above stays.
        }
    }

    private void Attempt(string name, Action write)
    {
        try
        {
            write();
            _files.Add(new OutputFileStatus(name, true, null));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _files.Add(new OutputFileStatus(name, false, ex.Message));
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _summaryJson.Dispose();
        _summaryText.Dispose();
    }
}
