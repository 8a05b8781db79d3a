using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AcqService.Sinks;
using AcqService.Core;

namespace AcqService.Catalog;

/// <summary>Upload state of one outbox item (kept beside it in <c>NAME.state</c>, JSON).</summary>
public sealed class OutboxState
{
    /// <summary>When the session was put in the outbox.</summary>
    public DateTimeOffset QueuedUtc { get; set; }

    /// <summary>Upload attempts that failed.</summary>
    public int Attempts { get; set; }

    /// <summary>Last attempt (UTC), or null.</summary>
    public DateTimeOffset? LastAttemptUtc { get; set; }

    /// <summary>Why the last attempt failed, or null.</summary>
    public string? LastError { get; set; }

    /// <summary>Not retried before this time (UTC), or null for at once.</summary>
    public DateTimeOffset? NextAttemptUtc { get; set; }
}

/// <summary>One session waiting in the outbox.</summary>
/// <param name="Name">Item name (file name without extension).</param>
/// <param name="Path">Path of the entry file (<c>NAME.json</c>).</param>
/// <param name="State">Upload state.</param>
public sealed record OutboxItem(string Name, string Path, OutboxState State);

/// <summary>What is waiting to be uploaded, for <c>acq status</c> and <c>acq catalog sync</c>.</summary>
/// <param name="Pending">Sessions waiting for upload.</param>
/// <param name="Conflicts">Sessions refused because different content is stored under their key (in <c>conflicts/</c>; never retried).</param>
/// <param name="OldestQueuedUtc">When the oldest pending session was queued, or null.</param>
/// <param name="LastError">The most recent upload error of a pending session, or null.</param>
/// <param name="LastErrorUtc">When it happened.</param>
/// <param name="NextAttemptUtc">Earliest retry time of the pending sessions, or null.</param>
/// <param name="LastUploadUtc">Last successful upload from this outbox, or null.</param>
public sealed record CatalogBacklog(int Pending, int Conflicts, DateTimeOffset? OldestQueuedUtc, string? LastError, DateTimeOffset? LastErrorUtc,
    DateTimeOffset? NextAttemptUtc, DateTimeOffset? LastUploadUtc)
{
    /// <summary>One line for a status display, e.g. <c>catalogue: 2 waiting (oldest 12:01 UTC), last error: …</c>.</summary>
    public override string ToString()
    {
        if (Pending == 0 && Conflicts == 0)
        {
            return LastUploadUtc is { } last ? $"catalogue: all uploaded (last {last:yyyy-MM-dd HH:mm} UTC)" : "catalogue: nothing to upload";
        }
        var text = new StringBuilder($"catalogue: {Pending} waiting");
        if (OldestQueuedUtc is { } oldest)
        {
            text.Append($" (oldest queued {oldest:yyyy-MM-dd HH:mm} UTC)");
        }
        if (Conflicts > 0)
        {
            text.Append($", {Conflicts} in conflict");
        }
        if (LastError is not null)
        {
            text.Append($", last error: {LastError}");
        }
        return text.ToString();
    }
}

/// <summary>
/// The station's local outbox: a folder with one JSON file per session (<see cref="CatalogEntry"/>), each written
/// atomically, and a small state file beside it (attempts, last error, next retry). Sessions stay here until the
/// catalogue has them, so a station records with the network down and catches up later. Uploaded sessions are listed
/// in <c>sent.log</c>; sessions refused as a conflict go to <c>conflicts/</c>. Safe for several processes at once
/// (the service and <c>acq catalog sync</c>): every change is a rename, and uploads are idempotent.
/// </summary>
public sealed class CatalogOutbox
{
    /// <summary>Sub-folder of refused sessions.</summary>
    public const string ConflictsFolder = "conflicts";

    /// <summary>Log of uploaded sessions (one line each: time, key, content hash, outcome).</summary>
    public const string SentLog = "sent.log";

    private const string EntryExtension = ".json";
    private const string StateExtension = ".state";

    /// <summary>Opens (and creates) the outbox folder.</summary>
    public CatalogOutbox(string folder)
    {
        Folder = System.IO.Path.GetFullPath(folder);
        Directory.CreateDirectory(Folder);
    }

    /// <summary>Full path of the outbox folder.</summary>
    public string Folder { get; }

    /// <summary>The outbox item name of an entry: station and session id, plus a hash of the whole key (names stay unique after cleaning).</summary>
    public static string ItemName(CatalogEntry entry)
    {
        string key = $"{entry.Study}\n{entry.Site}\n{entry.Station}\n{entry.SessionId}";
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..10];
        return $"{Clean(entry.Station)}__{Clean(entry.SessionId)}__{hash}";
    }

    /// <summary>Puts an entry in the outbox (replacing a waiting one with the same key). Returns the item.</summary>
    public OutboxItem Add(CatalogEntry entry, DateTimeOffset now)
    {
        string name = ItemName(entry);
        string path = System.IO.Path.Combine(Folder, name + EntryExtension);
        // State first, then the entry: an entry without state is still pending (defaults), never the other way round.
        var state = new OutboxState { QueuedUtc = now };
        WriteState(name, state);
        SessionOutput.WriteAtomic(path, stream => JsonSerializer.Serialize(stream, entry, CatalogJson.Options.TypeInfo<CatalogEntry>()));
        return new OutboxItem(name, path, state);
    }

    /// <summary>Waiting items, oldest first.</summary>
    public IReadOnlyList<OutboxItem> Pending()
    {
        var items = new List<OutboxItem>();
        foreach (string path in Directory.EnumerateFiles(Folder, "*" + EntryExtension))
        {
            string name = System.IO.Path.GetFileNameWithoutExtension(path);
            OutboxState state = ReadState(name) ?? new OutboxState { QueuedUtc = File.GetLastWriteTimeUtc(path) };
            items.Add(new OutboxItem(name, path, state));
        }
        items.Sort((a, b) => a.State.QueuedUtc != b.State.QueuedUtc ? a.State.QueuedUtc.CompareTo(b.State.QueuedUtc) : string.CompareOrdinal(a.Name, b.Name));
        return items;
    }

    /// <summary>Reads an item's entry (null when it was uploaded meanwhile by another process).</summary>
    /// <exception cref="InvalidDataException">The file is not a catalogue entry.</exception>
    public static CatalogEntry? Load(OutboxItem item)
    {
        try
        {
            using var stream = new FileStream(item.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return JsonSerializer.Deserialize(stream, CatalogJson.Options.TypeInfo<CatalogEntry>()) ?? throw new InvalidDataException($"{item.Path}: empty");
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{item.Path}: not a catalogue entry ({ex.Message})", ex);
        }
    }

    /// <summary>Records a failed attempt and when to retry.</summary>
    public void RecordFailure(OutboxItem item, string error, DateTimeOffset now, DateTimeOffset retryAt)
    {
        item.State.Attempts++;
        item.State.LastAttemptUtc = now;
        item.State.LastError = error;
        item.State.NextAttemptUtc = retryAt;
        if (File.Exists(item.Path))
        {
            WriteState(item.Name, item.State);
        }
    }

    /// <summary>Removes an uploaded item and logs it in <c>sent.log</c>.</summary>
    public void Complete(OutboxItem item, CatalogEntry entry, UploadOutcome outcome, DateTimeOffset now)
    {
        File.AppendAllText(System.IO.Path.Combine(Folder, SentLog),
            $"{now:O}\t{entry.Study}\t{entry.Site}\t{entry.Station}\t{entry.SessionId}\t{entry.ContentHash}\t{outcome}\n", new UTF8Encoding(false));
        File.Delete(item.Path);
        File.Delete(StatePath(item.Name));
    }

    /// <summary>Moves a refused item to <c>conflicts/</c> with the reason in its state; it is not retried.</summary>
    public void MoveToConflicts(OutboxItem item, string reason, DateTimeOffset now)
    {
        string folder = System.IO.Path.Combine(Folder, ConflictsFolder);
        Directory.CreateDirectory(folder);
        item.State.LastAttemptUtc = now;
        item.State.LastError = reason;
        item.State.NextAttemptUtc = null;
        SessionOutput.WriteAtomic(System.IO.Path.Combine(folder, item.Name + StateExtension), JsonSerializer.Serialize(item.State, CatalogJson.Options.TypeInfo<OutboxState>()));
        if (File.Exists(item.Path))
        {
            File.Move(item.Path, System.IO.Path.Combine(folder, item.Name + EntryExtension), overwrite: true);
        }
        File.Delete(StatePath(item.Name));
    }

    /// <summary>Items refused as conflicts, with the reason.</summary>
    public IReadOnlyList<OutboxItem> Conflicts()
    {
        string folder = System.IO.Path.Combine(Folder, ConflictsFolder);
        if (!Directory.Exists(folder))
        {
            return [];
        }
        return [.. Directory.EnumerateFiles(folder, "*" + EntryExtension).Order(StringComparer.Ordinal).Select(path =>
        {
            string name = System.IO.Path.GetFileNameWithoutExtension(path);
            OutboxState state = TryRead(System.IO.Path.Combine(folder, name + StateExtension)) ?? new OutboxState();
            return new OutboxItem(name, path, state);
        })];
    }

    /// <summary>The backlog now (read from the folder, so it also shows what other processes did).</summary>
    public CatalogBacklog Backlog
    {
        get
        {
            IReadOnlyList<OutboxItem> pending = Pending();
            OutboxItem? failed = pending.Where(p => p.State.LastError is not null).MaxBy(p => p.State.LastAttemptUtc);
            return new CatalogBacklog(pending.Count, Conflicts().Count, pending.Count > 0 ? pending.Min(p => p.State.QueuedUtc) : null,
                failed?.State.LastError, failed?.State.LastAttemptUtc, pending.Count > 0 ? pending.Min(p => p.State.NextAttemptUtc ?? p.State.QueuedUtc) : null, LastUpload());
        }
    }

    private DateTimeOffset? LastUpload()
    {
        string log = System.IO.Path.Combine(Folder, SentLog);
        return File.Exists(log) ? new DateTimeOffset(File.GetLastWriteTimeUtc(log), TimeSpan.Zero) : null;
    }

    private string StatePath(string name) => System.IO.Path.Combine(Folder, name + StateExtension);

    private void WriteState(string name, OutboxState state) =>
        SessionOutput.WriteAtomic(StatePath(name), JsonSerializer.Serialize(state, CatalogJson.Options.TypeInfo<OutboxState>()));

    private OutboxState? ReadState(string name) => TryRead(StatePath(name));

    private static OutboxState? TryRead(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), CatalogJson.Options.TypeInfo<OutboxState>());
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            // Missing (uploaded meanwhile, or never written) or damaged: the item counts as new.
            return null;
        }
    }

    private static string Clean(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_');
        }
        return sb.Length == 0 ? "_" : sb.ToString(0, Math.Min(sb.Length, 80));
    }
}
