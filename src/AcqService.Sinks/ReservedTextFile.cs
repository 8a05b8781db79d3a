using System.Text;

namespace AcqService.Sinks;

/// <summary>
/// A small text file whose disk space is claimed when the session starts, so it can still be rewritten when the disk
/// is full later: every rewrite overwrites the same blocks in place and pads with spaces to the reserved size (valid
/// trailing whitespace for JSON and text); <see cref="Finish"/> writes the last content and truncates the padding,
/// which frees blocks and never needs new ones. This is what lets <c>summary.json</c>/<c>summary.txt</c> say why a
/// session ended even when a full disk ended it.
/// </summary>
public sealed class ReservedTextFile : IDisposable
{
    private readonly FileStream _file;
    private readonly byte[] _padding;
    /// <summary>Bytes the file occupies: the reservation, or more once a content outgrew it.</summary>
    private long _extent;

    /// <summary>Creates (or replaces) the file and claims <paramref name="reservedBytes"/> on disk.</summary>
    /// <exception cref="IOException">The file cannot be created or the space is not available.</exception>
    public ReservedTextFile(string path, int reservedBytes, string initialContent)
    {
        Path = path;
        _extent = reservedBytes;
        _padding = new byte[4096];
        _padding.AsSpan().Fill((byte)' ');
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1);
        try
        {
            Write(initialContent);
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    /// <summary>Full path.</summary>
    public string Path { get; }

    /// <summary>Rewrites the file in place (content, then spaces up to the reserved size) and flushes it to disk.</summary>
    public void Write(string content) => WriteCore(content, truncate: false);

    /// <summary>Writes the final content and removes the padding.</summary>
    public void Finish(string content) => WriteCore(content, truncate: true);

    private void WriteCore(string content, bool truncate)
    {
        byte[] bytes = new UTF8Encoding(false).GetBytes(content);
        _file.Position = 0;
        _file.Write(bytes);
        if (truncate)
        {
            _file.SetLength(bytes.Length);
        }
        else
        {
            // Content larger than the reservation grows the file (may fail on a full disk; the caller reports it), and
            // later, shorter contents pad over the whole extent so no stale text is left behind.
            _extent = Math.Max(_extent, bytes.Length);
            for (long left = _extent - bytes.Length; left > 0; left -= _padding.Length)
            {
                _file.Write(_padding, 0, (int)Math.Min(left, _padding.Length));
            }
        }
        _file.Flush(flushToDisk: true);
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}
