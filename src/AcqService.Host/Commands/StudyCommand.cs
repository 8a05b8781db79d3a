using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AcqService.Catalog;
using AcqService.Host.Cli;
using AcqService.Host.Hosting;
using AcqService.Sinks;
using Microsoft.Extensions.Configuration;
using Npgsql;
using AcqService.Core;

namespace AcqService.Host.Commands;

/// <summary>
/// <c>acq study [--query alpha-change|epochs|sessions] [--study NAME] [--json]</c>: pooled results of a study from the
/// catalogue, per site and over all sites (the grand average): alpha change per condition and region, epochs kept and
/// dropped per condition, sessions per site and station.
/// </summary>
internal sealed class StudyCommand : ICommand
{
    public string Name => "study";

    public string Summary => "Pooled results of a multi-site study from the catalogue: alpha change and epochs per site and condition.";

    public string Usage => "./acq study [--query alpha-change|epochs|erp|sessions] [--channel NAME] [--study NAME] [--json] [--settings FILE]";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("query", "alpha-change|epochs|erp|sessions", "what to show (default alpha-change)"),
        new("channel", "NAME", "erp: the channel of the grand-average ERP (default Cz)"),
        new("study", "NAME", "the study (default Study:Name)"),
        new("json", null, "print the rows as JSON"),
        new("settings", "FILE", "settings JSON with the Study section (ConnectionString)"),
    ];

    public bool AcceptsSettings => true;

    public async Task<int> RunAsync(ParsedArguments arguments, CancellationToken cancellationToken)
    {
        if (arguments.Positionals.Count > 0)
        {
            throw new UsageException($"unexpected argument '{arguments.Positionals[0]}'");
        }
        string query = arguments.Choice("query", "alpha-change", "epochs", "erp", "sessions") ?? "alpha-change";
        IConfigurationRoot configuration = SettingsLoader.Build(arguments.Value("settings"), arguments.ConfigurationOverrides);
        StudyOptions options = CatalogSettings.Study(configuration);
        string study = arguments.Value("study") ?? options.Name;
        if (study.Length == 0)
        {
            throw new UsageException("which study? give --study NAME or set Study:Name");
        }
        if (options.ConnectionString.Length == 0)
        {
            throw new UsageException("Study:ConnectionString is empty (the catalogue database)");
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.ConnectTimeoutSeconds + options.CommandTimeoutSeconds * 2));
        try
        {
            await using var store = new CatalogStore(options.ConnectionString, options.ConnectTimeoutSeconds, options.CommandTimeoutSeconds);
            bool json = arguments.Flag("json");
            string text = query switch
            {
                "epochs" => Render(await store.EpochsAsync(study, timeout.Token).ConfigureAwait(false), json, study, EpochTable),
                "sessions" => Render(await store.SessionsAsync(study, timeout.Token).ConfigureAwait(false), json, study, SessionTable),
                "erp" => await ErpAsync(store, study, arguments.Value("channel") ?? "Cz", json, timeout.Token).ConfigureAwait(false),
                _ => Render(await store.AlphaChangeAsync(study, timeout.Token).ConfigureAwait(false), json, study, AlphaTable),
            };
            Console.Out.Write(text);
            return ExitCodes.Ok;
        }
        catch (InvalidDataException ex)
        {
            Console.Error.WriteLine($"acq {Name}: {ex.Message}");
            return ExitCodes.Failure;
        }
        catch (PostgresException ex) when (ex.SqlState == "42P01")
        {
            Console.Error.WriteLine($"acq {Name}: the catalogue has no study tables yet (schema too old or empty); run './acq catalog migrate'");
            return ExitCodes.Failure;
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentException or TimeoutException || ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine($"acq {Name}: catalogue not reachable: {ex.Message}");
            return ExitCodes.Failure;
        }
    }

    private static async Task<string> ErpAsync(CatalogStore store, string study, string channel, bool json, CancellationToken cancellationToken)
    {
        IReadOnlyList<ErpGrandAverageRow> rows = await store.ErpGrandAverageAsync(study, channel, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 && !json ? $"study '{study}': no ERP averages with a channel '{channel}' (catalogued sessions with epochs: see --query epochs){Environment.NewLine}"
            : Render(rows, json, study, ErpTable);
    }

    private static string Render<T>(IReadOnlyList<T> rows, bool json, string study, Func<IReadOnlyList<T>, string, string> table) =>
        json ? JsonSerializer.Serialize(rows, CatalogJson.Options.TypeInfo<IReadOnlyList<T>>()) + Environment.NewLine
            : rows.Count == 0 ? $"study '{study}': nothing catalogued yet{Environment.NewLine}" : table(rows, study);

    private static string AlphaTable(IReadOnlyList<AlphaChangeRow> rows, string study)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Study '{study}': alpha change after each condition's events (% of the pre-event power), mean over sessions ± SEM");
        sb.AppendLine("site '(all)' = every site pooled (the grand average)");
        Table(sb, ["site", "stream", "condition", "region", "sessions", "events", "change %", "SEM"],
            rows.Select(r => new[] { r.Site, r.Stream, r.Condition, r.Region, Int(r.Sessions), Int(r.Events), Num(r.MeanChangePercent), r.SemChangePercent is double s ? Num(s) : "-" }));
        return sb.ToString();
    }

    private static string EpochTable(IReadOnlyList<EpochRow> rows, string study)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Study '{study}': epochs kept and markers dropped per condition");
        Table(sb, ["site", "stream", "condition", "sessions", "epochs", "dropped"],
            rows.Select(r => new[] { r.Site, r.Stream, r.Condition, Int(r.Sessions), Int(r.Epochs), Int(r.Dropped) }));
        return sb.ToString();
    }

    private static string ErpTable(IReadOnlyList<ErpGrandAverageRow> rows, string study)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Study '{study}': grand-average ERP at {rows[0].Channel} (mean over sessions of each session's average; --json for the waveforms)");
        Table(sb, ["site", "stream", "condition", "sessions", "epochs", "min µV", "at s", "max µV", "at s"], rows.Select(r =>
        {
            (double min, double tMin, double max, double tMax) = Extremes(r);
            return new[] { r.Site, r.Stream, r.Condition, Int(r.Sessions), Int(r.Epochs), Num(min), Time(tMin), Num(max), Time(tMax) };
        }));
        return sb.ToString();
    }

    private static (double Min, double TMin, double Max, double TMax) Extremes(ErpGrandAverageRow row)
    {
        (double min, double tMin, double max, double tMax) = (double.NaN, double.NaN, double.NaN, double.NaN);
        for (int k = 0; k < row.MeanUv.Count; k++)
        {
            if (row.MeanUv[k] is not double v)
            {
                continue;
            }
            if (double.IsNaN(min) || v < min)
            {
                (min, tMin) = (v, row.TimesS[k]);
            }
            if (double.IsNaN(max) || v > max)
            {
                (max, tMax) = (v, row.TimesS[k]);
            }
        }
        return (min, tMin, max, tMax);
    }

    private static string Time(double seconds) => seconds.ToString("0.000", CultureInfo.InvariantCulture);

    private static string SessionTable(IReadOnlyList<SessionCountRow> rows, string study)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Study '{study}': sessions per site and station");
        Table(sb, ["site", "station", "sessions", "subjects", "first (UTC)", "last (UTC)", "protocol hashes"],
            rows.Select(r => new[] { r.Site, r.Station, Int(r.Sessions), Int(r.Subjects), r.First.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                r.Last.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), Int(r.ProtocolHashes) }));
        if (rows.Any(r => r.ProtocolHashes > 1))
        {
            sb.AppendLine("warning: sessions of one station ran under different locked protocols");
        }
        return sb.ToString();
    }

    private static void Table(StringBuilder sb, string[] header, IEnumerable<string[]> rows)
    {
        List<string[]> all = [header, .. rows];
        int[] widths = [.. Enumerable.Range(0, header.Length).Select(c => all.Max(r => r[c].Length))];
        foreach (string[] row in all)
        {
            sb.AppendLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
        }
    }

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Num(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);
}
