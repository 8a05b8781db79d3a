namespace AcqService.Sources.Profiles;

/// <summary>A device profile could not be loaded; <see cref="Exception.Message"/> names the file, the field and the problem of each error.</summary>
public sealed class ProfileException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ProfileException(string source, IReadOnlyList<string> problems)
        : base($"device profile {source} is invalid:\n  " + string.Join("\n  ", problems))
    {
        Source = source;
        Problems = problems;
    }

    /// <summary>File (or <c>embedded:…</c>) the profile came from.</summary>
    public new string Source { get; }

    /// <summary>Each problem as "$.path: what is wrong".</summary>
    public IReadOnlyList<string> Problems { get; }
}
