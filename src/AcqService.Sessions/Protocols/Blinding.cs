using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;

namespace AcqService.Sessions.Protocols;

/// <summary>
/// The blinding key of a locked protocol: which word (<c>real</c>, <c>sham</c>) is shown as which neutral code
/// (<c>A</c>, <c>B</c>). A word or code is replaced where it is a field value — right after <c>/</c> or <c>=</c> and
/// not followed by a letter or digit — which is where AcqService puts it: condition names (<c>insert/real</c>),
/// marker fields (<c>kind=real</c>) and the condition rules' patterns. Blinding and unblinding use the same rule, so
/// unblinding restores exactly what blinding replaced. The key file holds a random salt, so its SHA-256 (stored in the
/// lock to recognise the right key) cannot be matched by trying the possible assignments.
/// </summary>
public sealed class Blinding
{
    private readonly Regex _blind;
    private readonly Regex _unblind;

    /// <summary>Creates a key.</summary>
    /// <param name="map">Word → code (e.g. real → A, sham → B); words and codes distinct, letters and digits only.</param>
    /// <param name="salt">Random hex salt of the key file.</param>
    /// <exception cref="ArgumentException">Empty, non-alphanumeric, or overlapping words and codes.</exception>
    public Blinding(IReadOnlyDictionary<string, string> map, string salt)
    {
        if (map.Count == 0)
        {
            throw new ArgumentException("blinding: the map is empty");
        }
        foreach ((string word, string code) in map)
        {
            if (word.Length == 0 || code.Length == 0 || !word.All(char.IsAsciiLetterOrDigit) || !code.All(char.IsAsciiLetterOrDigit))
            {
                throw new ArgumentException($"blinding: '{word}' → '{code}': words and codes must be letters and digits");
            }
        }
        var codes = map.Values.ToList();
        if (codes.Distinct(StringComparer.OrdinalIgnoreCase).Count() != codes.Count || map.Keys.Intersect(codes, StringComparer.OrdinalIgnoreCase).Any())
        {
            throw new ArgumentException("blinding: every word needs its own code, and no code may be one of the words");
        }
        Map = new SortedDictionary<string, string>(map.ToDictionary(kv => kv.Key.ToLowerInvariant(), kv => kv.Value), StringComparer.Ordinal);
        Salt = salt;
        _blind = new Regex($"(?<=[/=])({string.Join('|', Map.Keys.Select(Regex.Escape))})(?![A-Za-z0-9])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        _unblind = new Regex($"(?<=[/=])({string.Join('|', Map.Values.Select(Regex.Escape))})(?![A-Za-z0-9])", RegexOptions.CultureInvariant);
    }

    /// <summary>Word (lower case) → code.</summary>
    public IReadOnlyDictionary<string, string> Map { get; }

    /// <summary>The key's random salt.</summary>
    public string Salt { get; }

    /// <summary>The codes, sorted (what the lock may show).</summary>
    public IReadOnlyList<string> Codes => [.. Map.Values.Order(StringComparer.Ordinal)];

    /// <summary>The blinded words, sorted (what the lock may show).</summary>
    public IReadOnlyList<string> Words => [.. Map.Keys];

    /// <summary>SHA-256 of the key's canonical form.</summary>
    public string Sha256 => CanonicalJson.Sha256(ToJson());

    /// <summary>Replaces the words by their codes.</summary>
    public string Blind(string text) => _blind.Replace(text, m => Map[m.Value.ToLowerInvariant()]);

    /// <summary>
    /// Replaces the words wherever they stand as words (free text such as a profile's description, which names both
    /// and could name them in key order); used for the device profile embedded in <c>session.json</c>. Unblinding
    /// restores only field values, so such text stays in codes in the unblinded copies.
    /// </summary>
    public string BlindText(string text) =>
        Regex.Replace(Blind(text), $"\\b({string.Join('|', Map.Keys.Select(Regex.Escape))})\\b", m => Map[m.Value.ToLowerInvariant()], RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <summary>Replaces the codes by their words.</summary>
    public string Unblind(string text) => _unblind.Replace(text, m => Map.First(kv => kv.Value == m.Value).Key);

    /// <summary>The key file's content.</summary>
    public JsonObject ToJson() => new()
    {
        ["format"] = "acqservice-blinding-key/1",
        ["salt"] = Salt,
        ["map"] = new JsonObject([.. Map.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, kv.Value))]),
    };

    /// <summary>A key with a fresh random salt.</summary>
    public static Blinding Create(IReadOnlyDictionary<string, string> map) =>
        new(map, Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)));

    /// <summary>Reads a key file.</summary>
    /// <exception cref="InvalidDataException">Not a blinding key.</exception>
    public static Blinding Read(string path)
    {
        try
        {
            JsonObject json = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"{path} is empty");
            JsonObject map = json["map"]?.AsObject() ?? throw new InvalidDataException($"{path}: no \"map\" (is it a blinding key written by 'acq protocol lock'?)");
            return new Blinding(map.ToDictionary(kv => kv.Key, kv => (string?)kv.Value ?? ""), (string?)json["salt"] ?? "");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            throw new InvalidDataException($"{path} is not a blinding key: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Wraps a source so its marker labels leave it blinded. Every source is wrapped, not only those that declare marker
    /// streams: a source may write another's markers (the simulated EEG source emits the simulated needle markers).
    /// </summary>
    public ISource Wrap(ISource source) => new BlindedSource(source, this);

    /// <summary>
    /// Passes a source's items on, with marker labels blinded, before anything else in the session (aligner, recorder,
    /// drop log) sees them. Markers are rare, so the per-marker string is no hot-path cost; samples pass untouched.
    /// </summary>
    private sealed class BlindedSource(ISource inner, Blinding blinding) : ISource
    {
        public string Name => inner.Name;

        public IReadOnlyList<StreamDescriptor> Streams => inner.Streams;

        public async Task RunAsync(Edge<SourceItem> output, CancellationToken cancellationToken)
        {
            Edge<SourceItem> own = new EdgeFactory(new PipelineOptions()).Data<SourceItem>($"{inner.Name}→blinding");
            Task run = RunInnerAsync(own, cancellationToken);
            // Reads until the inner source is done (its edge completes), so nothing it produced is lost on a stop.
            await foreach (SourceItem item in own.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                SourceItem pass = item.Kind == SourceItemKind.Marker
                    ? SourceItem.ForMarker(item.Marker with { Label = blinding.Blind(item.Marker.Label) })
                    : item;
                await output.WriteAsync(pass, cancellationToken).ConfigureAwait(false);
            }
            await run.ConfigureAwait(false);
        }

        private async Task RunInnerAsync(Edge<SourceItem> own, CancellationToken cancellationToken)
        {
            try
            {
                await inner.RunAsync(own, cancellationToken).ConfigureAwait(false);
                own.Complete();
            }
            catch (Exception ex)
            {
                own.Complete(ex);
                throw;
            }
        }
    }
}
