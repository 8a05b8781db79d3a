using System.Globalization;

namespace AcqService.Sinks.Bids;

/// <summary>
/// The BIDS entities that name one recording: <c>sub-</c>, <c>ses-</c>, <c>task-</c> and <c>run-</c>. Labels follow the
/// BIDS entity rule (letters and digits only, no <c>-</c>, <c>_</c> or spaces, which BIDS uses as separators); the run
/// is a non-negative integer index. Invalid values are refused, never silently cleaned, so two subjects can never be
/// merged into one by a cleaning rule.
/// </summary>
public sealed record BidsEntities
{
    /// <summary>Creates the entities after checking them.</summary>
    /// <param name="subject">Subject label (required), e.g. <c>P001</c>.</param>
    /// <param name="session">Session label, or null/empty for a dataset without sessions.</param>
    /// <param name="task">Task label (BIDS requires one), e.g. <c>needling</c>.</param>
    /// <param name="run">Run index, or null.</param>
    /// <exception cref="ArgumentException">A value breaks the BIDS entity rules; the message names the entity and the value.</exception>
    public BidsEntities(string subject, string? session, string task, int? run)
    {
        Subject = CheckLabel("subject", subject, required: true)!;
        Session = CheckLabel("session", session, required: false);
        Task = CheckLabel("task", task, required: true)!;
        if (run is < 0)
        {
            throw new ArgumentException($"run '{run}' is not a valid BIDS index: it must be a non-negative integer");
        }
        Run = run;
    }

    /// <summary>Subject label (without <c>sub-</c>).</summary>
    public string Subject { get; }

    /// <summary>Session label (without <c>ses-</c>), or null.</summary>
    public string? Session { get; }

    /// <summary>Task label (without <c>task-</c>).</summary>
    public string Task { get; }

    /// <summary>Run index, or null.</summary>
    public int? Run { get; }

    /// <summary>Acquisition label (<c>acq-</c>), used when a recording has several EEG streams; null otherwise.</summary>
    public string? Acquisition
    {
        get;
        init => field = CheckLabel("acquisition", value, required: false);
    }

    /// <summary>The file name stem, e.g. <c>sub-P001_ses-S01_task-needling_run-1</c>.</summary>
    public string Stem =>
        $"sub-{Subject}" + (Session is null ? "" : $"_ses-{Session}") + $"_task-{Task}" + (Acquisition is null ? "" : $"_acq-{Acquisition}") + (Run is int r ? "_run-" + r.ToString(CultureInfo.InvariantCulture) : "");

    /// <summary>The folder of a datatype relative to the dataset root, e.g. <c>sub-P001/ses-S01/eeg</c>.</summary>
    public string Folder(string datatype) =>
        Session is null ? Path.Combine($"sub-{Subject}", datatype) : Path.Combine($"sub-{Subject}", $"ses-{Session}", datatype);

    /// <summary>True when <paramref name="value"/> is a valid BIDS label (one or more ASCII letters or digits).</summary>
    public static bool IsValidLabel(string value) => value.Length > 0 && value.All(char.IsAsciiLetterOrDigit);

    /// <summary>Parses a run option: an integer ≥ 0 (leading zeros are kept out: BIDS compares runs as numbers).</summary>
    /// <exception cref="ArgumentException">Not a non-negative integer.</exception>
    public static int ParseRun(string text)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int run))
        {
            throw new ArgumentException($"run '{text}' is not a valid BIDS index: it must be a non-negative integer");
        }
        return run;
    }

    private static string? CheckLabel(string entity, string? value, bool required)
    {
        if (string.IsNullOrEmpty(value))
        {
            if (required)
            {
                throw new ArgumentException($"the {entity} label is missing (BIDS requires it); give it with --{entity}");
            }
            return null;
        }
        if (!IsValidLabel(value))
        {
            char bad = value.First(c => !char.IsAsciiLetterOrDigit(c));
            string shown = char.IsWhiteSpace(bad) ? "a space" : $"'{bad}'";
            throw new ArgumentException(
                $"{entity} '{value}' is not a valid BIDS label: only letters and digits are allowed (it contains {shown}); give a clean one with --{entity}");
        }
        return value;
    }
}
