using AcqService.Core.Profiles;

namespace AcqService.Host.Hosting;

/// <summary>The embedded default device profile (<c>device-profiles/simulated-needling.json</c>, compiled into the program).</summary>
internal static class DefaultProfile
{
    public const string SourceName = "embedded:simulated-needling";

    public static string Json()
    {
        using Stream stream = typeof(DefaultProfile).Assembly.GetManifestResourceStream("default-profile.json")
            ?? throw new InvalidOperationException("the embedded default profile is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static (DeviceProfile Profile, string Source, string Json) Load(string? path)
    {
        if (path is null)
        {
            string json = Json();
            return (ProfileLoader.Parse(json, SourceName), SourceName, json);
        }
        DeviceProfile profile = ProfileLoader.LoadFile(path);
        return (profile, path, File.ReadAllText(path));
    }
}
