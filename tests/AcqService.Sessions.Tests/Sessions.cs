using AcqService.Lsl;
using AcqService.Sources.Simulation;

namespace AcqService.Sessions.Tests;

/// <summary>Builds sessions on the embedded simulated profile through the factory, as the CLI and the service do.</summary>
internal static class Sessions
{
    public static string NewFolder() => Path.Combine(Path.GetTempPath(), "acq-session-tests", Guid.NewGuid().ToString("N"));

    /// <summary>A factory whose LSL backend, if ever asked for, is the managed one on loopback.</summary>
    public static SessionFactory Factory() => new(null, () => LslBackends.Create(new LslOptions { Backend = LslBackendKind.Managed, Loopback = true }, _ => { }, out _), softwareVersion: "test");

    /// <summary>A fast-paced simulated session request (default profile, fixed seed).</summary>
    public static SessionRequest Simulated(string folder, double seconds, Action<AppSettings>? configure = null, bool record = true)
    {
        (var profile, string source, string json) = DefaultProfile.Load(null);
        var settings = new AppSettings();
        settings.Simulation.Seed = 7;
        settings.Session.Record = record;
        configure?.Invoke(settings);
        return new SessionRequest
        {
            Input = new SessionInput.Devices(profile, source, json),
            Settings = settings,
            OutputFolder = folder,
            DurationSeconds = seconds,
            Pace = SimulationPace.Fast,
        };
    }
}
