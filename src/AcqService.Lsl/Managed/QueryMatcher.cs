using System.Collections.Concurrent;
using System.Xml;
using System.Xml.XPath;

namespace AcqService.Lsl.Managed;

/// <summary>
/// Evaluates discovery queries like liblsl: <c>boolean(&lt;query&gt;)</c> with the outlet's <c>&lt;info&gt;</c> element
/// (full document, <c>desc</c> included) as context; an empty query matches everything; any XPath error is no match.
/// Results are cached per query text (<c>tuning.MaxCachedQueries</c>) because the info never changes.
/// </summary>
internal sealed class QueryMatcher
{
    private readonly XPathDocument _document;
    private readonly ConcurrentDictionary<string, bool> _cache = new(StringComparer.Ordinal);
    private readonly int _maxCached;

    public QueryMatcher(string fullInfoXml, int maxCachedQueries)
    {
        var settings = new XmlReaderSettings { CheckCharacters = false, DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
        using var reader = XmlReader.Create(new StringReader(fullInfoXml), settings);
        _document = new XPathDocument(reader);
        _maxCached = Math.Max(0, maxCachedQueries);
    }

    /// <summary>True if <paramref name="query"/> matches this outlet's info.</summary>
    public bool Matches(string query)
    {
        if (query.Length == 0)
        {
            return true;
        }
        if (_cache.TryGetValue(query, out bool cached))
        {
            return cached;
        }
        bool result = Evaluate(_document, query);
        if (_cache.Count >= _maxCached)
        {
            // Plain reset instead of LRU bookkeeping: queries are few and cheap to re-evaluate.
            _cache.Clear();
        }
        if (_maxCached > 0)
        {
            _cache[query] = result;
        }
        return result;
    }

    /// <summary>Evaluates <paramref name="query"/> against a stream-info XML text (used by tests and resolvers).</summary>
    public static bool Matches(string infoXml, string query) => new QueryMatcher(infoXml, 0).Matches(query);

    private static bool Evaluate(XPathDocument document, string query)
    {
        try
        {
            XPathNavigator navigator = document.CreateNavigator();
            if (!navigator.MoveToChild("info", ""))
            {
                return false;
            }
            return navigator.Evaluate("boolean(" + query + ")") is true;
        }
        catch (Exception ex) when (ex is XPathException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            return false;
        }
    }
}
