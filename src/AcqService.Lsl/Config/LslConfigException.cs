namespace AcqService.Lsl.Config;

/// <summary>An <c>lsl_api.cfg</c> text is invalid. The message names the source, the line and/or the key.</summary>
public sealed class LslConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="sourceName">File name (or other label) of the configuration text.</param>
    /// <param name="line">1-based line number, or 0 when the error is about a key's value.</param>
    /// <param name="key">Full key (<c>section.key</c>) involved, if any.</param>
    /// <param name="reason">What is wrong.</param>
    public LslConfigException(string sourceName, int line, string? key, string reason)
        : base(Compose(sourceName, line, key, reason))
    {
        SourceName = sourceName;
        Line = line;
        Key = key;
    }

    /// <summary>File name (or label) of the configuration text.</summary>
    public string SourceName { get; }

    /// <summary>1-based line number of the error, 0 when not tied to a line.</summary>
    public int Line { get; }

    /// <summary>The full key involved (<c>section.key</c>), if any.</summary>
    public string? Key { get; }

    private static string Compose(string sourceName, int line, string? key, string reason)
    {
        string where = line > 0 ? $"{sourceName}:{line}" : sourceName;
        return key is null ? $"{where}: {reason}" : $"{where}: key '{key}': {reason}";
    }
}
