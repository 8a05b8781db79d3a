using AcqService.Catalog;
using AcqService.Host.Cli;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace AcqService.Host.Commands;

/// <summary>
/// The study catalogue's settings from the configuration: section <c>Study</c>, the station name (<c>Station:Name</c>,
/// default the computer's name) and the outbox (<c>Study:Outbox</c>, default <c>&lt;Session:OutputRoot&gt;/.outbox</c>).
/// Used by the <c>catalog</c> and <c>study</c> commands and by the lab service.
/// </summary>
internal static class CatalogSettings
{
    /// <summary>Binds section <c>Study</c>; an unknown key is a usage error naming it.</summary>
    public static StudyOptions Study(IConfiguration configuration)
    {
        var options = new StudyOptions();
        string[] known = [.. typeof(StudyOptions).GetProperties().Select(p => p.Name)];
        foreach (IConfigurationSection key in configuration.GetSection("Study").GetChildren())
        {
            if (!known.Contains(key.Key, StringComparer.OrdinalIgnoreCase))
            {
                // A typo must not silently leave the catalogue unconfigured.
                throw new UsageException($"unknown setting 'Study:{key.Key}' (Study settings: {string.Join(", ", known)})");
            }
        }
        try
        {
            configuration.GetSection("Study").Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            throw new UsageException($"settings section Study: {ex.Message}{(ex.InnerException is null ? "" : " — " + ex.InnerException.Message)}");
        }
        return options;
    }

    /// <summary>This station's name: <c>Station:Name</c>, else the computer's name (the lab service's default).</summary>
    public static string Station(IConfiguration configuration) =>
        configuration[StudyOptions.StationNameKey] is { Length: > 0 } name ? name : Environment.MachineName;

    /// <summary>The outbox folder.</summary>
    public static string Outbox(IConfiguration configuration, StudyOptions options) =>
        Path.GetFullPath(options.Outbox.Length > 0 ? options.Outbox : Path.Combine(configuration["Session:OutputRoot"] is { Length: > 0 } root ? root : "sessions", ".outbox"));

    /// <summary>
    /// The station's publisher, or null when no study is configured (<c>Study:Name</c> empty): the lab service then
    /// publishes nothing. Throws <see cref="UsageException"/> for invalid study settings.
    /// </summary>
    public static CatalogPublisher? CreatePublisher(IConfiguration configuration, ILogger? logger = null)
    {
        StudyOptions options = Study(configuration);
        if (options.Name.Length == 0)
        {
            return null;
        }
        try
        {
            return new CatalogPublisher(options, Station(configuration), Outbox(configuration, options), logger);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message);
        }
    }
}
