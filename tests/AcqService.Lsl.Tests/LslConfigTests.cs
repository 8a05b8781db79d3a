using AcqService.Lsl.Config;

namespace AcqService.Lsl.Tests;

public class LslConfigTests
{
    [Fact]
    public void Parse_EmptyText_GivesLiblslDefaults()
    {
        LslConfig config = LslConfig.Parse("", "empty.cfg");
        Assert.Equal(16571, config.MulticastPort);
        Assert.Equal(16572, config.BasePort);
        Assert.Equal(32, config.PortRange);
        Assert.True(config.AllowRandomPorts);
        Assert.Equal(LslResolveScope.Site, config.ResolveScope);
        Assert.Equal("default", config.SessionId);
        Assert.Equal(110, config.UseProtocolVersion);
        Assert.Equal(15.0, config.WatchdogCheckInterval);
        Assert.Equal(0.5, config.MulticastMinRtt);
        Assert.Equal(3.0, config.MulticastMaxRtt);
        Assert.Equal(0.75, config.UnicastMinRtt);
        Assert.Equal(5.0, config.UnicastMaxRtt);
        Assert.Equal(8, config.TimeProbeCount);
        Assert.Equal(0.064, config.TimeProbeInterval);
        Assert.Equal(6, config.TimeUpdateMinProbes);
        Assert.Equal(90.0, config.SmoothingHalftime);
        Assert.Equal(-1, config.TTLOverride);
        Assert.Empty(config.KnownPeers);
        Assert.Equal(24, config.MulticastTtl);
    }

    [Fact]
    public void Parse_SectionsCommentsAndSets_ReadsValues()
    {
        const string text = "; comment in column 0\n[ports]\nBasePort = 17000\nPortRange=8\nIPv6 = disable\n\n[lab]\nKnownPeers = {host1, 10.0.0.2 ,host3}\nSessionID = room2\n[multicast]\nResolveScope = link\n";
        LslConfig config = LslConfig.Parse(text, "a.cfg");
        Assert.Equal(17000, config.BasePort);
        Assert.Equal(8, config.PortRange);
        Assert.Equal(LslIPv6Mode.Disable, config.IPv6);
        Assert.Equal(["host1", "10.0.0.2", "host3"], config.KnownPeers);
        Assert.Equal("room2", config.SessionId);
        Assert.Equal(LslResolveScope.Link, config.ResolveScope);
        Assert.Equal("a.cfg", config.SourceName);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("0", false)]
    [InlineData("true", false)]
    [InlineData("yes", false)]
    public void Parse_BooleanValue_OnlyLiteralOneIsTrue(string value, bool expected)
    {
        LslConfig config = LslConfig.Parse($"[ports]\nAllowRandomPorts = {value}\n[tuning]\nForceDefaultTimestamps = {value}\n", "b.cfg");
        Assert.Equal(expected, config.AllowRandomPorts);
        Assert.Equal(expected, config.ForceDefaultTimestamps);
    }

    [Fact]
    public void Parse_NumberWithTrailingGarbage_UsesNumericPrefix()
    {
        LslConfig config = LslConfig.Parse("[ports]\nBasePort = 17100abc\n[tuning]\nMulticastMinRTT = 0.25s\nTimeProbeInterval = 1e-2x\n", "n.cfg");
        Assert.Equal(17100, config.BasePort);
        Assert.Equal(0.25, config.MulticastMinRtt);
        Assert.Equal(0.01, config.TimeProbeInterval);
    }

    [Fact]
    public void Parse_BareListValue_GivesEmptyList()
    {
        LslConfig config = LslConfig.Parse("[lab]\nKnownPeers = host1, host2\n", "l.cfg");
        Assert.Empty(config.KnownPeers);
    }

    [Fact]
    public void Parse_KeysAreCaseSensitive_WrongCaseIsIgnored()
    {
        LslConfig config = LslConfig.Parse("[ports]\nbaseport = 17000\n", "c.cfg");
        Assert.Equal(16572, config.BasePort);
    }

    [Theory]
    [InlineData("[ports]\n  ; indented comment\n", 2, null)]
    [InlineData("[ports]\n# hash comment\n", 2, null)]
    [InlineData("[ports\nBasePort = 1\n", 1, null)]
    [InlineData("[ports]\nBasePort =\n", 2, "ports.BasePort")]
    [InlineData("[ports]\n = 5\n", 2, null)]
    [InlineData("[ports]\nBasePort = 1\nBasePort = 2\n", 3, "ports.BasePort")]
    [InlineData("[ports]\nIPv6 = sometimes\n", 2, "ports.IPv6")]
    [InlineData("[multicast]\nResolveScope = planet\n", 2, "multicast.ResolveScope")]
    [InlineData("[log]\nlevel = 12\n", 2, "log.level")]
    public void Parse_InvalidText_ThrowsWithFileLineAndKey(string text, int line, string? key)
    {
        LslConfigException ex = Assert.Throws<LslConfigException>(() => LslConfig.Parse(text, "/cfg/bad.cfg"));
        Assert.Equal("/cfg/bad.cfg", ex.SourceName);
        Assert.Equal(line, ex.Line);
        Assert.Equal(key, ex.Key);
        Assert.Contains("/cfg/bad.cfg:" + line, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DiscoveryAddresses_PerScope_AreCumulativeAndHonourIPv6()
    {
        // Only computes the address lists of each scope from the config; no backend is created and nothing is sent.
        LslConfig site = LslConfig.Parse("[ports]\nIPv6 = allow\n", "s.cfg");
        Assert.Equal(
            ["127.0.0.1", "255.255.255.255", "224.0.0.1", "224.0.0.183", "FF02:113D:6FDD:2C17:A643:FFE2:1BD1:3CD2", "239.255.172.215", "FF05:113D:6FDD:2C17:A643:FFE2:1BD1:3CD2"],
            site.DiscoveryAddressText);
        Assert.Equal(7, site.DiscoveryAddresses.Count);
        LslConfig v4 = site with { IPv6 = LslIPv6Mode.Disable };
        Assert.All(v4.DiscoveryAddresses, a => Assert.Equal(System.Net.Sockets.AddressFamily.InterNetwork, a.AddressFamily));
        Assert.Equal(5, v4.DiscoveryAddresses.Count);
        LslConfig machine = site with { ResolveScope = LslResolveScope.Machine };
        Assert.Equal(["127.0.0.1"], machine.DiscoveryAddressText);
        Assert.Equal(0, machine.MulticastTtl);
        LslConfig global = LslConfig.Parse("[multicast]\nResolveScope = global\nTTLOverride = 3\nAddressesOverride = {239.1.1.1}\n", "g.cfg");
        Assert.Equal(3, global.MulticastTtl);
        Assert.Equal(["239.1.1.1"], global.DiscoveryAddressText);
    }

    [Fact]
    public void Loopback_Preset_PinsEverythingTo127()
    {
        LslConfig config = LslConfig.Loopback();
        Assert.Equal(LslResolveScope.Machine, config.ResolveScope);
        Assert.Equal(["127.0.0.1"], config.KnownPeers);
        Assert.Equal(LslIPv6Mode.Disable, config.IPv6);
        Assert.Equal("127.0.0.1", config.ListenAddress);
        Assert.Equal(["127.0.0.1"], config.DiscoveryAddresses.Select(a => a.ToString()));
    }

    [Fact]
    public void Load_LslapicfgSet_WinsOverWorkingDirectoryFile()
    {
        string dir = Directory.CreateTempSubdirectory("lslcfg").FullName;
        try
        {
            string envFile = Path.Combine(dir, "env.cfg");
            File.WriteAllText(envFile, "[lab]\nSessionID = fromenv\n");
            File.WriteAllText(Path.Combine(dir, "lsl_api.cfg"), "[lab]\nSessionID = fromcwd\n");
            var env = new Dictionary<string, string?> { ["LSLAPICFG"] = envFile, ["HOME"] = dir };
            LslConfig config = LslConfig.Load(k => env.GetValueOrDefault(k), dir, null);
            Assert.Equal("fromenv", config.SessionId);
            Assert.Equal(envFile, config.SourceName);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Load_InvalidEnvFile_SkipsToNextCandidateWithDiagnostic()
    {
        string dir = Directory.CreateTempSubdirectory("lslcfg").FullName;
        try
        {
            string envFile = Path.Combine(dir, "env.cfg");
            File.WriteAllText(envFile, "[lab]\nSessionID = a\nSessionID = b\n");
            Directory.CreateDirectory(Path.Combine(dir, "lsl_api"));
            File.WriteAllText(Path.Combine(dir, "lsl_api", "lsl_api.cfg"), "[lab]\nSessionID = fromhome\n");
            var env = new Dictionary<string, string?> { ["LSLAPICFG"] = envFile, ["HOME"] = dir };
            var messages = new List<string>();
            LslConfig config = LslConfig.Load(k => env.GetValueOrDefault(k), Path.Combine(dir, "nocwd"), messages.Add);
            Assert.Equal("fromhome", config.SessionId);
            Assert.Contains(messages, m => m.Contains("duplicate key", StringComparison.Ordinal) && m.Contains("env.cfg:3", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void CandidateFiles_Order_MatchesLiblsl()
    {
        string dir = Directory.CreateTempSubdirectory("lslcfg").FullName;
        try
        {
            string envFile = Path.Combine(dir, "x.cfg");
            File.WriteAllText(envFile, "");
            var env = new Dictionary<string, string?> { ["LSLAPICFG"] = envFile, ["HOME"] = "/home/u" };
            IReadOnlyList<string> files = LslConfig.CandidateFiles(k => env.GetValueOrDefault(k), "/work/cwd", null);
            Assert.Equal([envFile, "/work/cwd/lsl_api.cfg", "/home/u/lsl_api/lsl_api.cfg", "/etc/lsl_api/lsl_api.cfg"], files);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
