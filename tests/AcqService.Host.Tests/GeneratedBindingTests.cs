using System.Collections;
using System.Reflection;
using System.Text.Json;
using AcqService.Catalog;
using AcqService.Host.Commands;
using AcqService.Host.Hosting;
using AcqService.Lsl;
using AcqService.Sessions;
using AcqService.Sources.Profiles;
using Microsoft.Extensions.Configuration;

namespace AcqService.Host.Tests;

/// <summary>
/// The Host binds settings through the configuration binding generator (Native AOT has no reflection binder). This
/// test project is compiled without the generator, so its own Bind calls are the reflection binder the Host used
/// before: the Host's results must equal them, and the unknown-key check must still name the key.
/// </summary>
public sealed class GeneratedBindingTests
{
    private static (DeviceProfile Profile, string Source) Profile()
    {
        (DeviceProfile profile, string source, _) = DefaultProfile.Load(null);
        return (profile, source);
    }

    private static string Json(object value) => JsonSerializer.Serialize(value, value.GetType(), new JsonSerializerOptions { IncludeFields = false });

    private static readonly string[] s_nestedValues =
    [
        "--Session:SubjectId=P042",
        "--Epochs:TminSeconds=-0.5", "--Epochs:Streams:0=eeg", "--Epochs:Filter:HighPassHz=0.5", "--Epochs:Filter:NotchHz=60", "--Epochs:Filter:Enabled=false",
        "--Alpha:Window=hamming", "--Alpha:Detrend=Linear", "--Alpha:Regions:frontal:0=Fz", "--Alpha:Regions:frontal:1=F3", "--Alpha:Regions:occipital:0=O1",
        "--Haemoglobin:Convention=ModifiedBeerLambert", "--Haemoglobin:ShortPairs:S1-D1=S1-D8",
        "--Simulation:Sites:0=GB20", "--Simulation:Evoked:0:AmplitudeMicrovolts=-3", "--Simulation:Evoked:0:LatencySeconds=0.12", "--Simulation:Evoked:0:WidthSeconds=0.02", "--Simulation:Seed=7",
        "--Check:MainsHz=60",
    ];

    [Fact]
    public void BindSections_CoversEverySectionOfAppSettings_ButTheProtocolSetFromTheLock()
    {
        string[] sections = [.. typeof(AppSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.Name != nameof(AppSettings.Protocol)).Select(p => p.Name).Order(StringComparer.Ordinal)];
        Assert.Equal(sections, SettingsLoader.BoundSections.Select(b => b.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AppSettings_BindExactlyAsTheReflectionBinderDid()
    {
        (DeviceProfile profile, string source) = Profile();
        IConfigurationRoot configuration = SettingsLoader.Build(null, s_nestedValues);
        (AppSettings bound, List<string> problems) = SettingsLoader.Bind(configuration, profile, source);
        Assert.True(problems.Count == 0, string.Join("\n", problems));

        var expected = new AppSettings { Simulation = SourceBuilder.SimulationSettingsOf(profile, source) };
        configuration.Bind(expected, o => o.ErrorOnUnknownConfiguration = false);
        Assert.Equal(Json(expected), Json(bound));

        // And the values arrived (nested object, arrays, dictionaries of lists, enums by name in any case).
        Assert.Equal(0.5, bound.Epochs.Filter.HighPassHz);
        Assert.False(bound.Epochs.Filter.Enabled);
        Assert.Equal(AcqService.Dsp.WindowKind.Hamming, bound.Alpha.Window);
        Assert.Equal(["Fz", "F3"], bound.Alpha.Regions["frontal"]);
        Assert.Equal("S1-D8", bound.Haemoglobin.ShortPairs["S1-D1"]);
        Assert.Contains("GB20", bound.Simulation.Sites);
        Assert.Equal(7UL, bound.Simulation.Seed);
    }

    [Fact]
    public void InvalidValue_IsReportedWithTheReflectionBindersMessage_AndTheValue()
    {
        (DeviceProfile profile, string source) = Profile();
        IConfigurationRoot configuration = SettingsLoader.Build(null, ["--Alpha:Window=triangle"]);
        (_, List<string> problems) = SettingsLoader.Bind(configuration, profile, source);

        // The outer message (key and type) is the reflection binder's; the inner reason is Enum.Parse's wording
        // ("Requested value 'triangle' was not found.") instead of the TypeConverter's ("triangle is not a valid value
        // for WindowKind."): both name the value.
        InvalidOperationException ex = Assert.Throws<InvalidOperationException>(() => configuration.Bind(new AppSettings(), o => o.ErrorOnUnknownConfiguration = false));
        string problem = Assert.Single(problems, p => p.StartsWith("settings: ", StringComparison.Ordinal));
        Assert.StartsWith($"settings: {ex.Message} — ", problem, StringComparison.Ordinal);
        Assert.Contains("'Alpha:Window'", problem, StringComparison.Ordinal);
        Assert.Contains("triangle", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Simulation:Evoked:3:LatencySeconds=0.12", "EvokedComponent")]
    [InlineData("--Simulation:ActionGains:3=lots", "Simulation:ActionGains:3")]
    public void InvalidListElement_IsReported_WhereTheReflectionBinderDroppedIt(string argument, string named)
    {
        // The one binding difference of the generator: the reflection binder skipped a list element it could not
        // build or convert, without a word; the generated binder throws, so the setting is reported as a problem.
        (DeviceProfile profile, string source) = Profile();
        IConfigurationRoot configuration = SettingsLoader.Build(null, [argument]);
        (_, List<string> problems) = SettingsLoader.Bind(configuration, profile, source);
        Assert.Contains(problems, p => p.StartsWith("settings: ", StringComparison.Ordinal) && p.Contains(named, StringComparison.Ordinal));

        var reflection = new AppSettings { Simulation = SourceBuilder.SimulationSettingsOf(profile, source) };
        int before = reflection.Simulation.Evoked.Count + reflection.Simulation.ActionGains.Length;
        configuration.Bind(reflection, o => o.ErrorOnUnknownConfiguration = false);
        Assert.Equal(before, reflection.Simulation.Evoked.Count + reflection.Simulation.ActionGains.Length);
    }

    [Fact]
    public void UnknownSettings_AreNamed_InSectionsAndNestedClasses()
    {
        (DeviceProfile profile, string source) = Profile();
        IConfigurationRoot configuration = SettingsLoader.Build(null,
            ["--Lsl:Backnd=managed", "--Station:Api:Prot=0", "--Epochs:Filter:HighPasHz=1", "--Session:SubjectId=P001"]);
        (_, List<string> problems) = SettingsLoader.Bind(configuration, profile, source);
        Assert.Contains("unknown setting 'Lsl:Backnd' (did you mean 'Lsl:Backend'?)", problems);
        Assert.Contains("unknown setting 'Station:Api:Prot' (did you mean 'Station:Api:Port'?)", problems);
        Assert.Contains("unknown setting 'Epochs:Filter:HighPasHz' (did you mean 'Epochs:Filter:HighPassHz'?)", problems);
        Assert.Equal(3, problems.Count);

        // The same keys spelt right are accepted.
        configuration = SettingsLoader.Build(null, ["--Lsl:Backend=managed", "--Station:Api:Port=0", "--Station:RemoteControl:Enabled=false", "--Epochs:Filter:HighPassHz=1"]);
        Assert.Empty(SettingsLoader.Bind(configuration, profile, source).Problems);
    }

    [Fact]
    public void EveryNestedSettingsClass_IsListedForTheUnknownKeyCheck()
    {
        // Trimming keeps the properties only of the classes SettingsLoader names; a nested class missing from
        // SettingsLoader.Nested would have its keys go unchecked.
        var missing = new List<string>();
        void Walk(Type type, string path)
        {
            foreach (PropertyInfo p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                Type t = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
                bool leaf = t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || typeof(IEnumerable).IsAssignableFrom(t) || t.Name.StartsWith("EdgePolicy", StringComparison.Ordinal);
                if (leaf || !t.IsClass || !p.CanWrite && !p.PropertyType.IsClass)
                {
                    continue;
                }
                if (!SettingsLoader.Nested.ContainsKey(t))
                {
                    missing.Add($"{path}:{p.Name} ({t.Name})");
                    continue;
                }
                Walk(t, $"{path}:{p.Name}");
            }
        }
        foreach ((string section, SettingsLoader.SettingsType type) in SettingsLoader.CheckedSections)
        {
            Walk(type.Type, section);
        }
        Assert.Empty(missing);
    }

    [Fact]
    public void LslAndStudySections_BindAsTheReflectionBinderDid()
    {
        IConfigurationRoot configuration = SettingsLoader.Build(null,
            ["--Lsl:Backend=managed", "--Lsl:ConfigFile=/etc/lsl_api.cfg", "--Study:Name=acupuncture", "--Study:ConnectTimeoutSeconds=9"]);
        var lsl = new LslOptions { Loopback = true };
        configuration.GetSection("Lsl").Bind(lsl);
        Assert.Equal(Json(lsl), Json(LslHost.Options(configuration)));
        Assert.Equal(LslBackendKind.Managed, LslHost.Options(configuration).Backend);

        var study = new StudyOptions();
        configuration.GetSection("Study").Bind(study);
        Assert.Equal(Json(study), Json(CatalogSettings.Study(configuration)));
        Assert.Equal(9, CatalogSettings.Study(configuration).ConnectTimeoutSeconds);

        // Study still names an unknown key.
        Cli.UsageException ex = Assert.Throws<Cli.UsageException>(() => CatalogSettings.Study(SettingsLoader.Build(null, ["--Study:Nmae=x"])));
        Assert.Contains("unknown setting 'Study:Nmae'", ex.Message, StringComparison.Ordinal);
    }
}
