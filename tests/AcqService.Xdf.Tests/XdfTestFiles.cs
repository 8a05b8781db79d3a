namespace AcqService.Xdf.Tests;

/// <summary>Locates the shared real XDF files (../shared/data/xdf relative to the repository root).</summary>
internal static class XdfTestFiles
{
    private static readonly Lazy<string> RepositoryRoot = new(FindRepositoryRoot);

    public static string RepositoryRootPath => RepositoryRoot.Value;

    public static string DataDirectory => Path.Combine(RepositoryRoot.Value, "..", "shared", "data", "xdf");

    public static string Get(string name)
    {
        var path = Path.GetFullPath(Path.Combine(DataDirectory, name));
        Assert.True(File.Exists(path), $"Missing test file {path}; shared/ must sit beside the checkout.");
        return path;
    }

    public static string TempPath(string name) =>
        Path.Combine(Path.GetTempPath(), "acqservice-xdf-tests", Guid.NewGuid().ToString("N"), name);

    public static string NewTempFile(string name)
    {
        var path = TempPath(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    public static (List<XdfChunk> Chunks, IReadOnlyList<XdfDiagnostic> Diagnostics) ReadAll(Stream stream)
    {
        using var reader = new XdfReader(stream, leaveOpen: true);
        var chunks = reader.ReadChunks().ToList();
        return (chunks, reader.Diagnostics);
    }

    public static (List<XdfChunk> Chunks, IReadOnlyList<XdfDiagnostic> Diagnostics) ReadAll(string path)
    {
        using var file = File.OpenRead(path);
        return ReadAll(file);
    }

    public static (List<XdfChunk> Chunks, IReadOnlyList<XdfDiagnostic> Diagnostics) ReadAll(byte[] bytes) =>
        ReadAll(new MemoryStream(bytes, writable: false));

    private static string FindRepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "AcqService.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("AcqService.sln not found above the test assembly.");
    }
}
