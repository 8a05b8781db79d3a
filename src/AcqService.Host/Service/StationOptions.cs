using System.Net;

namespace AcqService.Host.Service;

/// <summary>
/// Settings section <c>Station</c>: what the lab service (<c>acq serve</c>) watches and records, and where it listens.
/// </summary>
public sealed class StationOptions
{
    /// <summary>Name of this acquisition station (written into every session's metadata).</summary>
    public string Name { get; set; } = Environment.MachineName;

    /// <summary>Device profile of the station; empty for the embedded simulated one.</summary>
    public string Profile { get; set; } = "";

    /// <summary>
    /// Publish the profile's simulated devices as LSL outlets in the service, so they run continuously like a real
    /// amplifier and sessions receive them over LSL (auto: when the profile has simulated devices).
    /// </summary>
    public bool? SimulateOverLsl { get; set; }

    /// <summary>Subject used when a start request gives none.</summary>
    public string DefaultSubject { get; set; } = "P001";

    /// <summary>Session label used when a start request gives none.</summary>
    public string DefaultSession { get; set; } = "S001";

    /// <summary>Task used when a start request gives none.</summary>
    public string DefaultTask { get; set; } = "needling";

    /// <summary>Protocol used when a start request gives none.</summary>
    public string DefaultProtocol { get; set; } = "";

    /// <summary>A signal stream that delivers nothing for this long during a session ends it as "source failed" (its device vanished).</summary>
    public double SourceLostSeconds { get; set; } = 10;

    /// <summary>Seconds between attempts to find a watched stream that is absent.</summary>
    public double WatchRetrySeconds { get; set; } = 3;

    /// <summary>Control API (HTTP).</summary>
    public ApiOptions Api { get; set; } = new();

    /// <summary>LabRecorder-compatible remote-control port.</summary>
    public RemoteControlOptions RemoteControl { get; set; } = new();

    /// <summary>Every problem, with its setting name.</summary>
    public IEnumerable<string> Validate()
    {
        if (!(SourceLostSeconds > 0))
        {
            yield return $"Station:SourceLostSeconds must be positive (was {SourceLostSeconds})";
        }
        if (!(WatchRetrySeconds > 0))
        {
            yield return $"Station:WatchRetrySeconds must be positive (was {WatchRetrySeconds})";
        }
        foreach (string p in Api.Validate())
        {
            yield return p;
        }
        foreach (string p in RemoteControl.Validate())
        {
            yield return p;
        }
    }
}

/// <summary>Settings section <c>Station:Api</c>.</summary>
public sealed class ApiOptions
{
    /// <summary>Address the control API binds (loopback by default; anything else needs <see cref="Token"/>).</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>TCP port (0 = any free port, printed at start).</summary>
    public int Port { get; set; } = 5180;

    /// <summary>Shared secret: <c>Authorization: Bearer &lt;token&gt;</c> (or <c>?token=</c> for the live feed in a browser).</summary>
    public string Token { get; set; } = "";

    /// <summary>Require the token even on loopback (set it when other users of this computer must not drive the station).</summary>
    public bool RequireToken { get; set; }

    /// <summary>The parsed address.</summary>
    /// <remarks>
    /// A method, not a property: the configuration binding generator treats every property as a key and, unable to
    /// create an <see cref="IPAddress"/>, would leave the whole <c>Station:Api</c> section unbound.
    /// </remarks>
    public IPAddress ParseAddress() => IPAddress.Parse(Address);

    /// <summary>True when requests must carry the token.</summary>
    public bool TokenRequired => RequireToken || !IPAddress.IsLoopback(ParseAddress());

    /// <summary>Every problem, with its setting name.</summary>
    public IEnumerable<string> Validate()
    {
        if (!IPAddress.TryParse(Address, out IPAddress? address))
        {
            yield return $"Station:Api:Address must be an IP address such as 127.0.0.1 (was '{Address}')";
        }
        else if ((RequireToken || !IPAddress.IsLoopback(address)) && string.IsNullOrEmpty(Token))
        {
            yield return RequireToken
                ? "Station:Api:RequireToken is set but Station:Api:Token is empty"
                : $"Station:Api:Address {Address} is not a loopback address: set Station:Api:Token (for example through ACQ_Station__Api__Token) so that nobody else on the network can drive the station";
        }
        if (Port is < 0 or > 65535)
        {
            yield return $"Station:Api:Port must be 0..65535 (was {Port})";
        }
    }
}

/// <summary>Settings section <c>Station:RemoteControl</c>: LabRecorder's remote-control socket protocol.</summary>
public sealed class RemoteControlOptions
{
    /// <summary>Listen for LabRecorder-style commands.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Address (loopback by default). The protocol has no authentication: bind beyond loopback only on a closed lab network.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>TCP port (LabRecorder's default 22345; 0 = any free port).</summary>
    public int Port { get; set; } = 22345;

    /// <summary>Study root when a <c>filename</c> command gives none (empty: <c>Session:OutputRoot</c>).</summary>
    public string Root { get; set; } = "";

    /// <summary>Every problem, with its setting name.</summary>
    public IEnumerable<string> Validate()
    {
        if (!IPAddress.TryParse(Address, out _))
        {
            yield return $"Station:RemoteControl:Address must be an IP address such as 127.0.0.1 (was '{Address}')";
        }
        if (Port is < 0 or > 65535)
        {
            yield return $"Station:RemoteControl:Port must be 0..65535 (was {Port})";
        }
    }
}
