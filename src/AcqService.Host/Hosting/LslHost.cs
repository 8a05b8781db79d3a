using AcqService.Lsl;
using Microsoft.Extensions.Configuration;

namespace AcqService.Host.Hosting;

/// <summary>
/// Creates the LSL backend from configuration section <c>Lsl</c> (Backend auto|managed|native, NativeLibraryPath,
/// ConfigFile, Loopback). appsettings.json sets <c>Lsl:Loopback=true</c>, so demos and tests never leave this
/// computer unless an operator turns it off.
/// </summary>
internal static class LslHost
{
    /// <summary>The bound options (defaults of <see cref="LslOptions"/> for missing keys).</summary>
    public static LslOptions Options(IConfiguration configuration)
    {
        // Loopback unless configuration says otherwise: the network rule must not depend on appsettings.json being present.
        var options = new LslOptions { Loopback = true };
        configuration.GetSection("Lsl").Bind(options);
        return options;
    }

    /// <summary>Creates the backend; backend choice and skipped config files are written to stderr.</summary>
    /// <exception cref="InvalidOperationException">Native requested but unavailable.</exception>
    /// <exception cref="AcqService.Lsl.Config.LslConfigException">The configured lsl_api.cfg is invalid.</exception>
    public static ILslBackend Create(IConfiguration configuration, out string description) =>
        LslBackends.Create(Options(configuration), line => Console.Error.WriteLine(line), out description);

    /// <summary>Creates the backend, or prints why it cannot be created (prefixed with the command) and returns null.</summary>
    public static ILslBackend? TryCreate(IConfiguration configuration, string command)
    {
        try
        {
            return Create(configuration, out _);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or AcqService.Lsl.Config.LslConfigException)
        {
            Console.Error.WriteLine($"acq {command}: LSL: {ex.Message}");
            return null;
        }
    }
}
