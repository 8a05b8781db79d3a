namespace AcqService.Host.Tests;

internal static class TestPaths
{
    public static string RepoRoot
    {
        get
        {
            string? dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "AcqService.sln")))
            {
                dir = Path.GetDirectoryName(dir);
            }
            return dir ?? throw new InvalidOperationException("repository root (AcqService.sln) not found above " + AppContext.BaseDirectory);
        }
    }

    public static string DefaultProfile => Path.Combine(RepoRoot, "device-profiles", "simulated-needling.json");

    public static string NewFolder() => Path.Combine(Path.GetTempPath(), "acq-host-tests", Guid.NewGuid().ToString("N"));
}
