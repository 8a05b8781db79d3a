namespace AcqService.Catalog;

/// <summary>
/// Settings section <c>Study</c>: which study and site this station belongs to and where the study catalogue lives.
/// The station's own name is read from <c>Station:Name</c> (see <see cref="StationNameKey"/>).
/// </summary>
public sealed class StudyOptions
{
    /// <summary>Configuration key of the station name (the lab service's <c>Station</c> section).</summary>
    public const string StationNameKey = "Station:Name";

    /// <summary>Study name (e.g. <c>ST36-needling-2027</c>); every station of one trial uses the same.</summary>
    public string Name { get; set; } = "";

    /// <summary>Site (centre) of this station, e.g. <c>hamburg</c>.</summary>
    public string Site { get; set; } = "";

    /// <summary>
    /// Npgsql connection string of the study catalogue, e.g.
    /// <c>Host=catalog.example.org;Database=study;Username=station;Password=…</c>. Empty: sessions wait in the outbox.
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Outbox folder; empty for <c>&lt;Session:OutputRoot&gt;/.outbox</c>.</summary>
    public string Outbox { get; set; } = "";

    /// <summary>Seconds before the first retry after a failed upload; doubled after each failure up to <see cref="MaxRetrySeconds"/>.</summary>
    public double RetrySeconds { get; set; } = 5;

    /// <summary>Longest wait between upload attempts.</summary>
    public double MaxRetrySeconds { get; set; } = 300;

    /// <summary>Seconds to wait for the database to accept a connection before the attempt counts as failed (offline).</summary>
    public int ConnectTimeoutSeconds { get; set; } = 5;

    /// <summary>Seconds one statement may run (an upload, a migration step, a study query).</summary>
    public int CommandTimeoutSeconds { get; set; } = 30;

    /// <summary>Bring the catalogue schema up to date before the first upload (otherwise only <c>acq catalog migrate</c> does).</summary>
    public bool MigrateOnUpload { get; set; } = true;

    /// <summary>Problems that make the catalogue unusable (empty when fine).</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            yield return "Study:Name is empty (the study this station records for)";
        }
        if (string.IsNullOrWhiteSpace(Site))
        {
            yield return "Study:Site is empty (the site this station belongs to)";
        }
        if (!(RetrySeconds > 0) || !(MaxRetrySeconds >= RetrySeconds))
        {
            yield return "Study:RetrySeconds must be > 0 and Study:MaxRetrySeconds at least as large";
        }
        if (ConnectTimeoutSeconds <= 0 || CommandTimeoutSeconds <= 0)
        {
            yield return "Study:ConnectTimeoutSeconds and Study:CommandTimeoutSeconds must be > 0";
        }
    }
}
