using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using AcqService.Sources.Profiles;
using AcqService.Sources.Simulation;
using AcqService.Host.Cli;
using AcqService.Sessions;
using AcqService.Sessions.Protocols;
using Microsoft.Extensions.Configuration;

namespace AcqService.Host.Hosting;

/// <summary>
/// Builds the configuration (appsettings.json beside the program, then <c>--settings FILE</c>, then <c>ACQ_</c>
/// environment variables, then <c>--Section:Key=value</c> arguments — later wins), rejects unknown keys in the
/// known sections (a typo must not be silently ignored) and binds the typed settings.
/// </summary>
internal static class SettingsLoader
{
    /// <summary>Sections checked against the typed settings; others (Logging…) belong to their owners.</summary>
    private static readonly Dictionary<string, SettingsType> s_checked = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Session"] = new(typeof(SessionOptions)),
        ["Epochs"] = new(typeof(AcqService.Core.Analysis.EpochOptions)),
        ["Alpha"] = new(typeof(AcqService.Core.Analysis.AlphaOptions)),
        ["Aligner"] = new(typeof(AcqService.Core.Pipeline.AlignerOptions)),
        ["Simulation"] = new(typeof(SimulationSettings)),
        ["Haemoglobin"] = new(typeof(AcqService.Core.Analysis.HaemoglobinOptions)),
        ["Haemodynamic"] = new(typeof(AcqService.Core.Analysis.HaemodynamicWindow)),
        ["Lsl"] = new(typeof(AcqService.Lsl.LslOptions)),
        ["Check"] = new(typeof(AcqService.Core.Analysis.Quality.CheckThresholds)),
        ["Station"] = new(typeof(AcqService.Host.Service.StationOptions)),
        ["Study"] = new(typeof(AcqService.Catalog.StudyOptions)),
    };

    /// <summary>The checked sections and their classes (tests walk them to find every nested settings class).</summary>
    internal static IReadOnlyDictionary<string, SettingsType> CheckedSections => s_checked;

    /// <summary>
    /// Settings classes nested in the sections above (a property whose value is itself a group of keys). Listed
    /// because trimming keeps the properties of a type only where the type is named statically, not where it is
    /// reached through <see cref="PropertyInfo.PropertyType"/>; a test fails when a nested class is missing.
    /// </summary>
    internal static readonly Dictionary<Type, SettingsType> Nested = new[]
    {
        new SettingsType(typeof(AcqService.Core.Analysis.FilterOptions)),
        new SettingsType(typeof(AcqService.Host.Service.ApiOptions)),
        new SettingsType(typeof(AcqService.Host.Service.RemoteControlOptions)),
    }.ToDictionary(t => t.Type);

    /// <summary>Sections that belong to the framework (their keys are checked by their owners).</summary>
    private static readonly HashSet<string> s_owned = new(StringComparer.OrdinalIgnoreCase) { "Logging" };

    public static IConfigurationRoot Build(string? settingsFile, IEnumerable<string> overrides)
    {
        var builder = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true, reloadOnChange: false);
        if (settingsFile is not null)
        {
            string full = Path.GetFullPath(settingsFile);
            if (!File.Exists(full))
            {
                throw new UsageException($"--settings: file '{settingsFile}' does not exist");
            }
            builder.AddJsonFile(full, optional: false, reloadOnChange: false);
        }
        builder.AddEnvironmentVariables("ACQ_");
        builder.AddCommandLine([.. overrides]);
        try
        {
            return builder.Build();
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            throw new UsageException($"settings could not be read: {ex.Message}");
        }
    }

    /// <summary>Binds and validates; returns the settings or the list of problems.</summary>
    public static (AppSettings Settings, List<string> Problems) Bind(IConfiguration configuration, DeviceProfile profile, string profileSource)
    {
        var problems = new List<string>();
        foreach (IConfigurationSection section in configuration.GetChildren())
        {
            if (s_checked.TryGetValue(section.Key, out SettingsType? type))
            {
                CheckKeys(section, type, section.Key, problems);
            }
            else if (!s_owned.Contains(section.Key) && section.GetChildren().Any())
            {
                // A misspelt section would otherwise be ignored: --Sesion:SubjectId=P001 would record an empty subject. (Plain
                // values such as ACQ_LIBLSL_PATH are not sections and belong to whoever reads them.)
                string near = s_checked.Keys.Concat(s_owned).OrderBy(n => Distance(n.ToLowerInvariant(), section.Key.ToLowerInvariant())).First();
                problems.Add($"unknown settings section '{section.Key}' (in '{section.Key}:{section.GetChildren().FirstOrDefault()?.Key}'; did you mean '{near}'?)");
            }
        }
        var settings = new AppSettings();
        try
        {
            settings.Simulation = SourceBuilder.SimulationSettingsOf(profile, profileSource);
        }
        catch (ProfileException ex)
        {
            problems.AddRange(ex.Problems.Select(p => $"{profileSource}: {p}"));
        }
        try
        {
            BindSections(configuration, settings);
        }
        catch (InvalidOperationException ex)
        {
            problems.Add($"settings: {ex.Message}{(ex.InnerException is null ? "" : " — " + ex.InnerException.Message)}");
        }
        problems.AddRange(settings.Session.Validate());
        problems.AddRange(settings.Simulation.Validate().Select(p => "Simulation: " + p));
        if (problems.Count == 0 && settings.Session.ProtocolLock is { Length: > 0 } lockFile)
        {
            problems.AddRange(ProtocolLock.ApplyTo(settings, lockFile, OverriddenKeys(configuration)));
        }
        return (settings, problems);
    }

    /// <summary>
    /// Binds each section of <see cref="AppSettings"/> into its existing object, in the order of its properties (the
    /// order in which binding the whole object met them, so the first invalid value reported is the same). Section by
    /// section because the configuration binding generator cannot bind <see cref="AppSettings.Protocol"/> (no public
    /// constructor) and reports it on a whole-object bind; that property is set from <c>Session:ProtocolLock</c>,
    /// never from keys, and a <c>Protocol</c> section is already reported as unknown.
    /// </summary>
    internal static void BindSections(IConfiguration configuration, AppSettings settings)
    {
        foreach ((string name, Action<IConfigurationSection, AppSettings> bind) in BoundSections)
        {
            bind(configuration.GetSection(name), settings);
        }
    }

    /// <summary>
    /// The sections <see cref="BindSections"/> binds, one generated binding each (a test checks that every property of
    /// <see cref="AppSettings"/> but <see cref="AppSettings.Protocol"/> is here, so a new section cannot go unbound).
    /// </summary>
    internal static readonly (string Name, Action<IConfigurationSection, AppSettings> Bind)[] BoundSections =
    [
        (nameof(AppSettings.Session), (c, s) => c.Bind(s.Session, Lenient)),
        (nameof(AppSettings.Epochs), (c, s) => c.Bind(s.Epochs, Lenient)),
        (nameof(AppSettings.Alpha), (c, s) => c.Bind(s.Alpha, Lenient)),
        (nameof(AppSettings.Aligner), (c, s) => c.Bind(s.Aligner, Lenient)),
        (nameof(AppSettings.Haemoglobin), (c, s) => c.Bind(s.Haemoglobin, Lenient)),
        (nameof(AppSettings.Haemodynamic), (c, s) => c.Bind(s.Haemodynamic, Lenient)),
        (nameof(AppSettings.Simulation), (c, s) => c.Bind(s.Simulation, Lenient)),
        (nameof(AppSettings.Check), (c, s) => c.Bind(s.Check, Lenient)),
    ];

    private static void Lenient(BinderOptions options) => options.ErrorOnUnknownConfiguration = false;

    /// <summary>Keys set by anything but the shipped appsettings.json (--settings FILE, ACQ_ variables, --Section:Key).</summary>
    private static IEnumerable<string> OverriddenKeys(IConfiguration configuration)
    {
        if (configuration is not IConfigurationRoot root)
        {
            yield break;
        }
        foreach (IConfigurationProvider provider in root.Providers.Where(p => p is not Microsoft.Extensions.Configuration.Json.JsonConfigurationProvider j || j.Source.Path != "appsettings.json"))
        {
            var pending = new Stack<string?>([null]);
            while (pending.TryPop(out string? parent))
            {
                foreach (string key in provider.GetChildKeys([], parent).Distinct(StringComparer.OrdinalIgnoreCase))
                {
                    string path = parent is null ? key : ConfigurationPath.Combine(parent, key);
                    if (provider.TryGet(path, out _))
                    {
                        yield return path;
                    }
                    pending.Push(path);
                }
            }
        }
    }

    private static void CheckKeys(IConfigurationSection section, SettingsType settings, string path, List<string> problems)
    {
        Type type = settings.Type;
        foreach (IConfigurationSection child in section.GetChildren())
        {
            PropertyInfo? property = type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
            {
                string? near = type.GetProperties().Select(p => p.Name).OrderBy(n => Distance(n.ToLowerInvariant(), child.Key.ToLowerInvariant())).FirstOrDefault();
                problems.Add($"unknown setting '{path}:{child.Key}'" + (near is null ? "" : $" (did you mean '{path}:{near}'?)"));
                continue;
            }
            Type t = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            bool leaf = t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || typeof(IEnumerable).IsAssignableFrom(t) || t.Name.StartsWith("EdgePolicy", StringComparison.Ordinal);
            if (!leaf && t.IsClass && Nested.TryGetValue(t, out SettingsType? nested))
            {
                CheckKeys(child, nested, $"{path}:{child.Key}", problems);
            }
        }
    }

    /// <summary>
    /// A settings class whose public properties are its keys. The annotation makes trimming (and Native AOT) keep
    /// those properties for the reflection in <see cref="CheckKeys"/>; without it every key would be "unknown".
    /// </summary>
    internal sealed class SettingsType([DynamicallyAccessedMembers(KeyMembers)] Type type)
    {
        /// <summary>The class.</summary>
        [DynamicallyAccessedMembers(KeyMembers)]
        public Type Type { get; } = type;
    }

    /// <summary>What <see cref="CheckKeys"/> reads: the public properties, looked up by name ignoring case (the trim analysis asks for the non-public ones too for that lookup).</summary>
    private const DynamicallyAccessedMemberTypes KeyMembers = DynamicallyAccessedMemberTypes.PublicProperties | DynamicallyAccessedMemberTypes.NonPublicProperties;

    internal static int Distance(string a, string b)
    {
        int[,] d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
        }
        return d[a.Length, b.Length];
    }
}
