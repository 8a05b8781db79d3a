using AcqService.Sources.Drivers;
using AcqService.Sources.Profiles;

namespace AcqService.Sessions.Tests;

/// <summary>Every profile shipped in <c>device-profiles/</c> loads with the built-in drivers (each driver checks its own section).</summary>
public sealed class ShippedProfilesTests
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (string file in ProfileFiles())
        {
            data.Add(file);
        }
        return data;
    }

    private static IEnumerable<string> ProfileFiles()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "AcqService.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }
        return Directory.GetFiles(Path.Combine(dir!, "device-profiles"), "*.json").Where(f => !f.EndsWith(".schema.json", StringComparison.Ordinal)).Order();
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void ShippedProfile_LoadsAndEveryDriverIsRegistered(string file)
    {
        DeviceProfile profile = ProfileLoader.LoadFile(file);
        Assert.All(profile.Streams, s => Assert.NotNull(SourceDriverRegistry.Default.Find(s.Source.Driver)));
    }

    [Fact]
    public void SerialProfile_WrongPortSettings_AreReportedWithTheirPaths()
    {
        string text = File.ReadAllText(ProfileFiles().Single(f => f.EndsWith("openbci-cyton.json", StringComparison.Ordinal)));
        string bad = text.Replace("\"driver\": \"openbci-cyton\"", "\"driver\": \"openbci-cyton\", \"baudrate\": 9600, \"predicate\": \"x\"", StringComparison.Ordinal);
        Assert.NotEqual(text, bad);
        var ex = Assert.Throws<ProfileException>(() => ProfileLoader.Parse(bad, "cyton.json"));
        Assert.Contains(ex.Problems, p => p.Contains("baudrate", StringComparison.Ordinal));
        Assert.Contains(ex.Problems, p => p.Contains("predicate: not a field of driver 'openbci-cyton'", StringComparison.Ordinal));
    }
}
