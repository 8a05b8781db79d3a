using AcqService.Sources.Profiles;

namespace AcqService.Sessions;

/// <summary>The embedded default device profile (<c>device-profiles/simulated-needling.json</c>, compiled into the program).</summary>
public static class DefaultProfile
{
    /// <summary>How the embedded profile is named in messages and metadata.</summary>
    public const string SourceName = "embedded:simulated-needling";

    /// <summary>The embedded profile's JSON text.</summary>
    public static string Json()
    {
        using Stream stream = typeof(DefaultProfile).Assembly.GetManifestResourceStream("default-profile.json")
            ?? throw new InvalidOperationException("the embedded default profile is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Loads <paramref name="path"/>, or the embedded profile when it is null; returns the profile, its name for messages and its text.</summary>
    /// <exception cref="ProfileException">The profile is invalid or unreadable.</exception>
    public static (DeviceProfile Profile, string Source, string Json) Load(string? path, Sources.Drivers.SourceDriverRegistry? drivers = null)
    {
        if (path is null)
        {
            string json = Json();
            return (ProfileLoader.Parse(json, SourceName, drivers), SourceName, json);
        }
        DeviceProfile profile = ProfileLoader.LoadFile(path, drivers);
        return (profile, path, File.ReadAllText(path));
    }
}
