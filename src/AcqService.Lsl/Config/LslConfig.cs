using System.Net;
using System.Net.Sockets;

namespace AcqService.Lsl.Config;

/// <summary>
/// The settings of liblsl's <c>lsl_api.cfg</c> (all keys, liblsl's defaults, liblsl's INI dialect and file lookup
/// order). Immutable; derive variants with <c>with { … }</c>.
/// </summary>
public sealed record LslConfig
{
    /// <summary>liblsl's protocol version; <see cref="UseProtocolVersion"/> is capped at it.</summary>
    public const int MaxProtocolVersion = 110;

    /// <summary>Where the values came from: a file path, a source name given to <see cref="Parse"/>, or <c>(defaults)</c>.</summary>
    public string SourceName { get; init; } = "(defaults)";

    /// <summary><c>ports.MulticastPort</c>: UDP discovery port (default 16571).</summary>
    public int MulticastPort { get; init; } = 16571;
    /// <summary><c>ports.BasePort</c>: first port of the range for data, service and resolver sockets (default 16572).</summary>
    public int BasePort { get; init; } = 16572;
    /// <summary><c>ports.PortRange</c>: number of ports in the range (default 32).</summary>
    public int PortRange { get; init; } = 32;
    /// <summary><c>ports.AllowRandomPorts</c>: bind to an OS-chosen port when the range is full (default true).</summary>
    public bool AllowRandomPorts { get; init; } = true;
    /// <summary><c>ports.IPv6</c>: which IP families are used (default allow; disable on macOS, like liblsl).</summary>
    public LslIPv6Mode IPv6 { get; init; } = OperatingSystem.IsMacOS() ? LslIPv6Mode.Disable : LslIPv6Mode.Allow;

    /// <summary><c>multicast.ResolveScope</c> (default site).</summary>
    public LslResolveScope ResolveScope { get; init; } = LslResolveScope.Site;
    /// <summary><c>multicast.ListenAddress</c>: local address every socket binds to (empty = any).</summary>
    public string ListenAddress { get; init; } = "";
    /// <summary><c>multicast.IPv6MulticastGroup</c>: suffix appended to <c>FF0x:</c>.</summary>
    public string IPv6MulticastGroup { get; init; } = "113D:6FDD:2C17:A643:FFE2:1BD1:3CD2";
    /// <summary><c>multicast.MachineAddresses</c> (default {127.0.0.1}).</summary>
    public IReadOnlyList<string> MachineAddresses { get; init; } = ["127.0.0.1"];
    /// <summary><c>multicast.LinkAddresses</c> (default {255.255.255.255, 224.0.0.1, 224.0.0.183}).</summary>
    public IReadOnlyList<string> LinkAddresses { get; init; } = ["255.255.255.255", "224.0.0.1", "224.0.0.183"];
    /// <summary><c>multicast.SiteAddresses</c> (default {239.255.172.215}).</summary>
    public IReadOnlyList<string> SiteAddresses { get; init; } = ["239.255.172.215"];
    /// <summary><c>multicast.OrganizationAddresses</c> (default empty).</summary>
    public IReadOnlyList<string> OrganizationAddresses { get; init; } = [];
    /// <summary><c>multicast.GlobalAddresses</c> (default empty).</summary>
    public IReadOnlyList<string> GlobalAddresses { get; init; } = [];
    /// <summary><c>multicast.TTLOverride</c>: ≥ 0 replaces the scope's TTL (default -1).</summary>
    public int TTLOverride { get; init; } = -1;
    /// <summary><c>multicast.AddressesOverride</c>: non-empty replaces the computed discovery address list.</summary>
    public IReadOnlyList<string> AddressesOverride { get; init; } = [];
    /// <summary><c>multicast.Interfaces</c>: local interface addresses for multicast (empty = all multicast-capable).</summary>
    public IReadOnlyList<string> Interfaces { get; init; } = [];

    /// <summary><c>lab.KnownPeers</c>: hosts swept by unicast discovery over the whole port range.</summary>
    public IReadOnlyList<string> KnownPeers { get; init; } = [];
    /// <summary><c>lab.SessionID</c>: written into outlets' XML and prepended to every resolver query (default <c>default</c>).</summary>
    public string SessionId { get; init; } = "default";

    /// <summary><c>tuning.UseProtocolVersion</c>, capped at 110.</summary>
    public int UseProtocolVersion { get; init; } = MaxProtocolVersion;
    /// <summary><c>tuning.WatchdogCheckInterval</c> in seconds (default 15).</summary>
    public double WatchdogCheckInterval { get; init; } = 15.0;
    /// <summary><c>tuning.WatchdogTimeThreshold</c> in seconds (default 15).</summary>
    public double WatchdogTimeThreshold { get; init; } = 15.0;
    /// <summary><c>tuning.MulticastMinRTT</c> in seconds (default 0.5).</summary>
    public double MulticastMinRtt { get; init; } = 0.5;
    /// <summary><c>tuning.MulticastMaxRTT</c> in seconds (default 3).</summary>
    public double MulticastMaxRtt { get; init; } = 3.0;
    /// <summary><c>tuning.UnicastMinRTT</c> in seconds (default 0.75).</summary>
    public double UnicastMinRtt { get; init; } = 0.75;
    /// <summary><c>tuning.UnicastMaxRTT</c> in seconds (default 5).</summary>
    public double UnicastMaxRtt { get; init; } = 5.0;
    /// <summary><c>tuning.ContinuousResolveInterval</c> in seconds (default 0.5).</summary>
    public double ContinuousResolveInterval { get; init; } = 0.5;
    /// <summary><c>tuning.TimerResolution</c> in ms (Windows only in liblsl; unused by the managed backend).</summary>
    public int TimerResolution { get; init; } = 1;
    /// <summary><c>tuning.MaxCachedQueries</c>: outlet-side cache of query results (default 100).</summary>
    public int MaxCachedQueries { get; init; } = 100;
    /// <summary><c>tuning.TimeUpdateInterval</c> in seconds between clock-offset bursts (default 2).</summary>
    public double TimeUpdateInterval { get; init; } = 2.0;
    /// <summary><c>tuning.TimeUpdateMinProbes</c>: replies needed for a burst to count (default 6).</summary>
    public int TimeUpdateMinProbes { get; init; } = 6;
    /// <summary><c>tuning.TimeProbeCount</c>: probes per burst (default 8).</summary>
    public int TimeProbeCount { get; init; } = 8;
    /// <summary><c>tuning.TimeProbeInterval</c> in seconds between probes (default 0.064).</summary>
    public double TimeProbeInterval { get; init; } = 0.064;
    /// <summary><c>tuning.TimeProbeMaxRTT</c>: extra wait after the last probe, seconds (default 0.128).</summary>
    public double TimeProbeMaxRtt { get; init; } = 0.128;
    /// <summary><c>tuning.OutletBufferReserveMs</c> (preallocation only).</summary>
    public int OutletBufferReserveMs { get; init; } = 5000;
    /// <summary><c>tuning.OutletBufferReserveSamples</c> (preallocation only).</summary>
    public int OutletBufferReserveSamples { get; init; } = 128;
    /// <summary><c>tuning.InletBufferReserveMs</c> (preallocation only).</summary>
    public int InletBufferReserveMs { get; init; } = 5000;
    /// <summary><c>tuning.InletBufferReserveSamples</c> (preallocation only).</summary>
    public int InletBufferReserveSamples { get; init; } = 128;
    /// <summary><c>tuning.SendSocketBufferSize</c>: SO_SNDBUF on data sockets when &gt; 0.</summary>
    public int SendSocketBufferSize { get; init; }
    /// <summary><c>tuning.ReceiveSocketBufferSize</c>: SO_RCVBUF on data sockets when &gt; 0.</summary>
    public int ReceiveSocketBufferSize { get; init; }
    /// <summary><c>tuning.SmoothingHalftime</c> in seconds (dejitter; default 90).</summary>
    public double SmoothingHalftime { get; init; } = 90.0;
    /// <summary><c>tuning.ForceDefaultTimestamps</c>: outlets ignore user timestamps and stamp at push time.</summary>
    public bool ForceDefaultTimestamps { get; init; }
    /// <summary><c>log.level</c> (-3..9, default 0).</summary>
    public int LogLevel { get; init; }
    /// <summary><c>log.file</c> (empty = none).</summary>
    public string LogFile { get; init; } = "";

    /// <summary>Multicast TTL / hop limit of the scope, or <see cref="TTLOverride"/> when ≥ 0.</summary>
    public int MulticastTtl => TTLOverride >= 0 ? TTLOverride : ResolveScope switch
    {
        LslResolveScope.Machine => 0,
        LslResolveScope.Link => 1,
        LslResolveScope.Site => 24,
        LslResolveScope.Organization => 32,
        _ => 255,
    };

    /// <summary>True when IPv4 sockets may be opened.</summary>
    public bool AllowIPv4 => IPv6 != LslIPv6Mode.Force;

    /// <summary>True when IPv6 sockets may be opened.</summary>
    public bool AllowIPv6 => IPv6 != LslIPv6Mode.Disable;

    /// <summary>
    /// The discovery address list of the scope, as text, in liblsl's order (cumulative per scope, each level adding
    /// its IPv4 list then <c>FF0x:&lt;group&gt;</c>), or <see cref="AddressesOverride"/> when non-empty.
    /// </summary>
    public IReadOnlyList<string> DiscoveryAddressText
    {
        get
        {
            if (AddressesOverride.Count > 0)
            {
                return AddressesOverride;
            }
            var list = new List<string>(MachineAddresses);
            if (ResolveScope >= LslResolveScope.Link)
            {
                list.AddRange(LinkAddresses);
                list.Add("FF02:" + IPv6MulticastGroup);
            }
            if (ResolveScope >= LslResolveScope.Site)
            {
                list.AddRange(SiteAddresses);
                list.Add("FF05:" + IPv6MulticastGroup);
            }
            if (ResolveScope >= LslResolveScope.Organization)
            {
                list.AddRange(OrganizationAddresses);
                list.Add("FF08:" + IPv6MulticastGroup);
            }
            if (ResolveScope >= LslResolveScope.Global)
            {
                list.AddRange(GlobalAddresses);
                list.Add("FF0E:" + IPv6MulticastGroup);
            }
            return list;
        }
    }

    /// <summary>
    /// <see cref="DiscoveryAddressText"/> parsed, with addresses of a disabled IP family (and unparsable entries) dropped.
    /// With <see cref="LslIPv6Mode.Disable"/> no IPv6 address is ever returned.
    /// </summary>
    public IReadOnlyList<IPAddress> DiscoveryAddresses =>
        DiscoveryAddressText
            .Select(text => IPAddress.TryParse(text, out IPAddress? address) ? address : null)
            .Where(address => address is not null && IsFamilyAllowed(address.AddressFamily))
            .Select(address => address!)
            .ToArray();

    /// <summary>True when sockets of <paramref name="family"/> may be used.</summary>
    public bool IsFamilyAllowed(AddressFamily family) =>
        family == AddressFamily.InterNetwork ? AllowIPv4 : family == AddressFamily.InterNetworkV6 && AllowIPv6;

    /// <summary>
    /// The preset every test and loopback-only deployment uses: machine scope, KnownPeers {127.0.0.1}, IPv4 only,
    /// every socket bound to 127.0.0.1. Nothing is ever sent to a non-loopback address with it.
    /// </summary>
    public static LslConfig Loopback() => new()
    {
        SourceName = "(loopback preset)",
        IPv6 = LslIPv6Mode.Disable,
        ResolveScope = LslResolveScope.Machine,
        ListenAddress = "127.0.0.1",
        KnownPeers = ["127.0.0.1"],
    };

    /// <summary>
    /// Loads the configuration the way liblsl does: the file named by <c>LSLAPICFG</c>, then <c>lsl_api.cfg</c> in the
    /// working directory, then <c>~/lsl_api/lsl_api.cfg</c>, then <c>/etc/lsl_api/lsl_api.cfg</c>, then defaults.
    /// The first readable file that parses wins; unreadable or invalid files are reported and skipped.
    /// </summary>
    /// <param name="diagnostics">Receives one message per skipped candidate (why it was skipped).</param>
    public static LslConfig Load(Action<string>? diagnostics = null) =>
        Load(Environment.GetEnvironmentVariable, Environment.CurrentDirectory, diagnostics);

    /// <summary>Testable core of <see cref="Load(Action{string}?)"/>: the environment and working directory are injected.</summary>
    internal static LslConfig Load(Func<string, string?> getEnvironment, string currentDirectory, Action<string>? diagnostics)
    {
        foreach (string path in CandidateFiles(getEnvironment, currentDirectory, diagnostics))
        {
            string text;
            try
            {
                if (!File.Exists(path))
                {
                    continue;
                }
                text = File.ReadAllText(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                diagnostics?.Invoke($"LSL config {path} is not readable: {ex.Message}");
                continue;
            }
            try
            {
                return Parse(text, path);
            }
            catch (LslConfigException ex)
            {
                diagnostics?.Invoke($"LSL config skipped: {ex.Message}");
            }
        }
        return new LslConfig();
    }

    /// <summary>The candidate files in lookup order (the environment variable only if it names an existing file).</summary>
    internal static IReadOnlyList<string> CandidateFiles(Func<string, string?> getEnvironment, string currentDirectory, Action<string>? diagnostics)
    {
        var files = new List<string>();
        string? fromEnvironment = getEnvironment("LSLAPICFG");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            if (File.Exists(fromEnvironment))
            {
                files.Add(fromEnvironment);
            }
            else
            {
                diagnostics?.Invoke($"LSLAPICFG file {fromEnvironment} not found");
            }
        }
        files.Add(Path.Combine(currentDirectory, "lsl_api.cfg"));
        string? home = getEnvironment("HOME");
        if (string.IsNullOrEmpty(home))
        {
            home = getEnvironment("USERPROFILE");
        }
        if (string.IsNullOrEmpty(home) && !string.IsNullOrEmpty(getEnvironment("HOMEDRIVE")) && !string.IsNullOrEmpty(getEnvironment("HOMEPATH")))
        {
            home = getEnvironment("HOMEDRIVE") + getEnvironment("HOMEPATH");
        }
        if (!string.IsNullOrEmpty(home))
        {
            files.Add(home + "/lsl_api/lsl_api.cfg");
        }
        files.Add("/etc/lsl_api/lsl_api.cfg");
        return files;
    }

    /// <summary>Parses an <c>lsl_api.cfg</c> text (liblsl's dialect); missing keys keep liblsl's defaults.</summary>
    /// <param name="text">The file content.</param>
    /// <param name="sourceName">Label used in error messages (normally the file path).</param>
    /// <exception cref="LslConfigException">The text breaks the dialect or a value is unsupported; the message names the source, line and key.</exception>
    public static LslConfig Parse(string text, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(sourceName);
        Dictionary<string, (string Value, int Line)> ini = IniFile.Parse(text, sourceName);
        var defaults = new LslConfig();

        string Str(string key, string fallback) => ini.TryGetValue(key, out var v) ? v.Value : fallback;
        int Int(string key, int fallback) => ini.TryGetValue(key, out var v) ? IniFile.ParseInt(v.Value) : fallback;
        double Dbl(string key, double fallback) => ini.TryGetValue(key, out var v) ? IniFile.ParseDouble(v.Value) : fallback;
        // liblsl reads bools with istream >> bool: only an integer 1 is true ("true"/"yes" fail and read as false).
        bool Bool(string key, bool fallback) => ini.TryGetValue(key, out var v) ? IniFile.ParseInt(v.Value) == 1 : fallback;
        IReadOnlyList<string> Set(string key, IReadOnlyList<string> fallback) => ini.TryGetValue(key, out var v) ? IniFile.ParseSet(v.Value) : fallback;
        LslConfigException Bad(string key, string reason) => new(sourceName, ini.TryGetValue(key, out var v) ? v.Line : 0, key, reason);

        LslIPv6Mode ipv6 = defaults.IPv6;
        if (ini.TryGetValue("ports.IPv6", out var ipv6Text))
        {
            ipv6 = ipv6Text.Value switch
            {
                "disable" or "disabled" => LslIPv6Mode.Disable,
                "allow" or "allowed" => LslIPv6Mode.Allow,
                "force" or "forced" => LslIPv6Mode.Force,
                _ => throw Bad("ports.IPv6", $"unsupported value '{ipv6Text.Value}' (disable, allow or force)"),
            };
        }
        LslResolveScope scope = defaults.ResolveScope;
        if (ini.TryGetValue("multicast.ResolveScope", out var scopeText))
        {
            scope = scopeText.Value switch
            {
                "machine" => LslResolveScope.Machine,
                "link" => LslResolveScope.Link,
                "site" => LslResolveScope.Site,
                "organization" => LslResolveScope.Organization,
                "global" => LslResolveScope.Global,
                _ => throw Bad("multicast.ResolveScope", $"unsupported value '{scopeText.Value}' (machine, link, site, organization or global)"),
            };
        }
        int logLevel = Int("log.level", 0);
        if (logLevel is < -3 or > 9)
        {
            throw Bad("log.level", $"{logLevel} is outside -3..9");
        }
        int multicastPort = Int("ports.MulticastPort", defaults.MulticastPort);
        int basePort = Int("ports.BasePort", defaults.BasePort);
        int portRange = Int("ports.PortRange", defaults.PortRange);
        if (multicastPort is < 0 or > 65535)
        {
            throw Bad("ports.MulticastPort", $"{multicastPort} is not a port number");
        }
        if (basePort is < 0 or > 65535 || portRange < 0 || basePort + portRange - 1 > 65535)
        {
            throw Bad(ini.ContainsKey("ports.BasePort") ? "ports.BasePort" : "ports.PortRange", $"port range {basePort}+{portRange} leaves 0..65535");
        }

        return new LslConfig
        {
            SourceName = sourceName,
            MulticastPort = multicastPort,
            BasePort = basePort,
            PortRange = portRange,
            AllowRandomPorts = Bool("ports.AllowRandomPorts", defaults.AllowRandomPorts),
            IPv6 = ipv6,
            ResolveScope = scope,
            ListenAddress = Str("multicast.ListenAddress", defaults.ListenAddress),
            IPv6MulticastGroup = Str("multicast.IPv6MulticastGroup", defaults.IPv6MulticastGroup),
            MachineAddresses = Set("multicast.MachineAddresses", defaults.MachineAddresses),
            LinkAddresses = Set("multicast.LinkAddresses", defaults.LinkAddresses),
            SiteAddresses = Set("multicast.SiteAddresses", defaults.SiteAddresses),
            OrganizationAddresses = Set("multicast.OrganizationAddresses", defaults.OrganizationAddresses),
            GlobalAddresses = Set("multicast.GlobalAddresses", defaults.GlobalAddresses),
            TTLOverride = Int("multicast.TTLOverride", defaults.TTLOverride),
            AddressesOverride = Set("multicast.AddressesOverride", defaults.AddressesOverride),
            Interfaces = Set("multicast.Interfaces", defaults.Interfaces),
            KnownPeers = Set("lab.KnownPeers", defaults.KnownPeers),
            SessionId = Str("lab.SessionID", defaults.SessionId),
            UseProtocolVersion = Math.Min(MaxProtocolVersion, Int("tuning.UseProtocolVersion", MaxProtocolVersion)),
            WatchdogCheckInterval = Dbl("tuning.WatchdogCheckInterval", defaults.WatchdogCheckInterval),
            WatchdogTimeThreshold = Dbl("tuning.WatchdogTimeThreshold", defaults.WatchdogTimeThreshold),
            MulticastMinRtt = Dbl("tuning.MulticastMinRTT", defaults.MulticastMinRtt),
            MulticastMaxRtt = Dbl("tuning.MulticastMaxRTT", defaults.MulticastMaxRtt),
            UnicastMinRtt = Dbl("tuning.UnicastMinRTT", defaults.UnicastMinRtt),
            UnicastMaxRtt = Dbl("tuning.UnicastMaxRTT", defaults.UnicastMaxRtt),
            ContinuousResolveInterval = Dbl("tuning.ContinuousResolveInterval", defaults.ContinuousResolveInterval),
            TimerResolution = Int("tuning.TimerResolution", defaults.TimerResolution),
            MaxCachedQueries = Int("tuning.MaxCachedQueries", defaults.MaxCachedQueries),
            TimeUpdateInterval = Dbl("tuning.TimeUpdateInterval", defaults.TimeUpdateInterval),
            TimeUpdateMinProbes = Int("tuning.TimeUpdateMinProbes", defaults.TimeUpdateMinProbes),
            TimeProbeCount = Int("tuning.TimeProbeCount", defaults.TimeProbeCount),
            TimeProbeInterval = Dbl("tuning.TimeProbeInterval", defaults.TimeProbeInterval),
            TimeProbeMaxRtt = Dbl("tuning.TimeProbeMaxRTT", defaults.TimeProbeMaxRtt),
            OutletBufferReserveMs = Int("tuning.OutletBufferReserveMs", defaults.OutletBufferReserveMs),
            OutletBufferReserveSamples = Int("tuning.OutletBufferReserveSamples", defaults.OutletBufferReserveSamples),
            InletBufferReserveMs = Int("tuning.InletBufferReserveMs", defaults.InletBufferReserveMs),
            InletBufferReserveSamples = Int("tuning.InletBufferReserveSamples", defaults.InletBufferReserveSamples),
            SendSocketBufferSize = Int("tuning.SendSocketBufferSize", defaults.SendSocketBufferSize),
            ReceiveSocketBufferSize = Int("tuning.ReceiveSocketBufferSize", defaults.ReceiveSocketBufferSize),
            SmoothingHalftime = Dbl("tuning.SmoothingHalftime", defaults.SmoothingHalftime),
            ForceDefaultTimestamps = Bool("tuning.ForceDefaultTimestamps", defaults.ForceDefaultTimestamps),
            LogLevel = logLevel,
            LogFile = Str("log.file", defaults.LogFile),
        };
    }
}
