using System.Globalization;
using AcqService.Sources.Profiles;
using AcqService.Lsl;

namespace AcqService.Sources.Lsl;

/// <summary>
/// Which LSL stream a profile entry means. The profile's predicate is narrowed by <c>source.sourceId</c> and
/// <c>source.hostname</c>; when more than one stream still matches (two computers' amplifiers, a second simulator)
/// the stream is never picked silently: <c>choose: "only"</c> (default) refuses with the candidates, and
/// <c>choose: "newest"</c> takes the largest <c>created_at</c>, but only among streams of one computer, because
/// <c>created_at</c> is each computer's own clock and cannot order streams of different computers.
/// </summary>
internal static class LslStreamChoice
{
    /// <summary>Default rule: exactly one stream must match.</summary>
    public const string Only = "only";

    /// <summary>Rule: the stream created last (one computer only).</summary>
    public const string Newest = "newest";

    /// <summary>The resolve query: the predicate, and the pinned source_id/hostname if any.</summary>
    public static string Query(SourceProfile source)
    {
        ArgumentNullException.ThrowIfNull(source);
        string query = source.Predicate ?? "";
        if (source.SourceId is null && source.Hostname is null)
        {
            return query;
        }
        var parts = new List<string>(3);
        if (!string.IsNullOrWhiteSpace(query))
        {
            parts.Add("(" + query + ")");
        }
        if (source.SourceId is string id)
        {
            parts.Add("source_id=" + Literal(id));
        }
        if (source.Hostname is string host)
        {
            parts.Add("hostname=" + Literal(host));
        }
        return string.Join(" and ", parts);
    }

    /// <summary>
    /// Picks the stream among <paramref name="candidates"/> (all matching <see cref="Query"/>, distinct by uid) or
    /// throws <see cref="LslSourceException"/> listing them. Returns the stream and a sentence saying how it was chosen.
    /// </summary>
    public static (LslStreamInfo Stream, string Selection) Choose(StreamProfile profile, string query, IReadOnlyList<LslStreamInfo> candidates)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(candidates);
        // The backend already applied the pins; checking again keeps a backend whose matcher differs from being trusted blindly.
        LslStreamInfo[] matching = [.. candidates.Where(c => Pinned(profile.Source, c))];
        if (matching.Length == 0)
        {
            throw new LslSourceException($"stream '{profile.Key}': no stream matching \"{query}\" has the pinned source_id/hostname");
        }
        if (matching.Length == 1)
        {
            return (matching[0], "the only stream matching");
        }
        string rule = profile.Source.Choose ?? Only;
        string list = string.Join("\n", matching.OrderBy(c => c.Hostname, StringComparer.Ordinal).ThenBy(c => c.CreatedAt).Select(c => "  " + Candidate(c)));
        if (rule == Newest)
        {
            string[] hosts = [.. matching.Select(c => c.Hostname).Distinct(StringComparer.Ordinal)];
            if (hosts.Length > 1)
            {
                throw new LslSourceException($"stream '{profile.Key}': the predicate \"{query}\" matches {matching.Length} LSL streams on {hosts.Length} computers:\n{list}\n"
                    + "choose \"newest\" compares created_at, which is each computer's own clock, so it cannot pick between computers. "
                    + "Pin the computer with source.hostname, or the device with source.sourceId.");
            }
            LslStreamInfo[] byAge = [.. matching.OrderByDescending(c => c.CreatedAt)];
            if (byAge[0].CreatedAt == byAge[1].CreatedAt)
            {
                throw new LslSourceException($"stream '{profile.Key}': the predicate \"{query}\" matches {matching.Length} LSL streams and the newest two were created at the same instant:\n{list}\n"
                    + "Pin the device with source.sourceId.");
            }
            return (byAge[0], string.Create(CultureInfo.InvariantCulture,
                $"the newest of {matching.Length} streams matching (choose \"newest\"; created_at {byAge[0].CreatedAt:0.000}, next {byAge[1].CreatedAt:0.000}; not chosen: {string.Join(", ", byAge.Skip(1).Select(c => "source_id '" + c.SourceId + "'"))})"));
        }
        throw new LslSourceException($"stream '{profile.Key}': the predicate \"{query}\" matches {matching.Length} LSL streams, so it is ambiguous and none is used:\n{list}\n"
            + "Pin one in the profile with source.sourceId (the device) or source.hostname (the computer), "
            + "or set source.choose to \"newest\" to take the stream created last on one computer.");
    }

    /// <summary>One candidate line: name, type, source_id, hostname, created_at (the outlet computer's clock) and uid.</summary>
    public static string Candidate(LslStreamInfo info) => string.Create(CultureInfo.InvariantCulture,
        $"'{info.Name}' type '{info.Type}', source_id '{info.SourceId}', hostname '{info.Hostname}', created_at {info.CreatedAt:0.000} (that computer's clock), uid {info.Uid}");

    private static bool Pinned(SourceProfile source, LslStreamInfo info) =>
        (source.SourceId is null || string.Equals(source.SourceId, info.SourceId, StringComparison.Ordinal))
        && (source.Hostname is null || string.Equals(source.Hostname, info.Hostname, StringComparison.Ordinal));

    /// <summary>An XPath string literal (the profile loader refuses values with both quote kinds).</summary>
    private static string Literal(string value) => value.Contains('\'', StringComparison.Ordinal) ? "\"" + value + "\"" : "'" + value + "'";
}
