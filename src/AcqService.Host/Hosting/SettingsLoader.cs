using System.Collections;
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
    private static readonly Dictionary<string, Type> s_checked = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Session"] = typeof(SessionOptions),
        ["Epochs"] = typeof(AcqService.Core.Analysis.EpochOptions),
        ["Alpha"] = typeof(AcqService.Core.Analysis.AlphaOptions),
        ["Aligner"] = typeof(AcqService.Core.Pipeline.AlignerOptions),
        ["Simulation"] = typeof(SimulationSettings),
        ["Haemoglobin"] = typeof(AcqService.Core.Analysis.HaemoglobinOptions),
        ["Haemodynamic"] = typeof(AcqService.Core.Analysis.HaemodynamicWindow),
        ["Lsl"] = typeof(AcqService.Lsl.LslOptions),
        ["Check"] = typeof(AcqService.Core.Analysis.Quality.CheckThresholds),
        ["Station"] = typeof(AcqService.Host.Service.StationOptions),
        ["Study"] = typeof(AcqService.Catalog.StudyOptions),
    };

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
            if (s_checked.TryGetValue(section.Key, out Type? type))
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
            configuration.Bind(settings, o => o.ErrorOnUnknownConfiguration = false);
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

    private static void CheckKeys(IConfigurationSection section, Type type, string path, List<string> problems)
    {
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
            if (!leaf && t.IsClass)
            {
                CheckKeys(child, t, $"{path}:{child.Key}", problems);
            }
        }
    }

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
