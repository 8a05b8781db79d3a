using AcqService.Lsl.Config;
using AcqService.Lsl.Managed;
using AcqService.Lsl.Native;
using AcqService.Lsl.Tests.Native;

namespace AcqService.Lsl.Tests;

/// <summary>
/// Backend selection. Every case sets <see cref="LslOptions.Loopback"/> (or a loopback-only file), so no created backend
/// could ever talk beyond 127.0.0.1; none of them opens a socket anyway. "Absent" liblsl is simulated with an explicit
/// path that does not exist, which the loader treats as exclusive even when <c>ACQ_LIBLSL_PATH</c> is set.
/// </summary>
[Collection(NativeLslCollection.Name)]
public sealed class LslBackendsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "acq-lslbackends-" + Guid.NewGuid().ToString("N"));
    private readonly List<string> _log = [];

    public LslBackendsTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string MissingLibrary => Path.Combine(_dir, "no-such-dir", "liblsl.so");

    [Fact]
    public void Auto_NativeAbsent_FallsBackToManagedAndLogsWhy()
    {
        using ILslBackend backend = LslBackends.Create(
            new LslOptions { Backend = LslBackendKind.Auto, NativeLibraryPath = MissingLibrary, Loopback = true }, _log.Add, out string description);

        Assert.IsType<ManagedLslBackend>(backend);
        Assert.StartsWith("managed", description, StringComparison.Ordinal);
        string line = Assert.Single(_log, l => l.StartsWith("LSL backend:", StringComparison.Ordinal));
        Assert.Contains("managed", line, StringComparison.Ordinal);
        Assert.Contains("liblsl is unavailable", line, StringComparison.Ordinal);
        Assert.Contains(MissingLibrary, line, StringComparison.Ordinal);
    }

    [Fact]
    public void Native_Absent_ThrowsNamingWhatWasSearched()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => LslBackends.Create(
            new LslOptions { Backend = LslBackendKind.Native, NativeLibraryPath = MissingLibrary, Loopback = true }, _log.Add, out _));

        Assert.StartsWith("liblsl not found", ex.Message, StringComparison.Ordinal);
        Assert.Contains(MissingLibrary, ex.Message, StringComparison.Ordinal);
        Assert.EndsWith("use Lsl:Backend=managed or set ACQ_LIBLSL_PATH (or Lsl:NativeLibraryPath)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Managed_NeverTouchesLiblsl()
    {
        // A path that cannot load would make Auto/Native report it; Managed must not even look.
        using ILslBackend backend = LslBackends.Create(
            new LslOptions { Backend = LslBackendKind.Managed, NativeLibraryPath = MissingLibrary, Loopback = true }, _log.Add, out string description);

        Assert.IsType<ManagedLslBackend>(backend);
        Assert.Contains("Lsl:Backend=managed", Assert.Single(_log), StringComparison.Ordinal);
        Assert.DoesNotContain(MissingLibrary, description, StringComparison.Ordinal);
    }

    [Fact]
    public void Loopback_OverridesConfigFile()
    {
        string wide = Write("site.cfg", "[multicast]\nResolveScope = site\n[lab]\nSessionID = elsewhere\n");
        using ILslBackend backend = LslBackends.Create(
            new LslOptions { Backend = LslBackendKind.Managed, ConfigFile = wide, Loopback = true }, null, out _);

        LslConfig config = ((ManagedLslBackend)backend).Config;
        AssertLoopback(config);
        Assert.Equal("default", config.SessionId);
    }

    [Fact]
    public void LoopbackFile_ParsesToTheLoopbackPreset()
    {
        // What liblsl is given must mean exactly what the managed backend uses.
        string path = LslBackends.WriteLoopbackConfigFile();
        LslConfig parsed = LslConfig.Parse(File.ReadAllText(path), path);
        AssertLoopback(parsed);
        LslConfig preset = LslConfig.Loopback();
        Assert.Equal(preset.DiscoveryAddressText, parsed.DiscoveryAddressText);
        Assert.Equal(preset.KnownPeers, parsed.KnownPeers);
        Assert.True(LslConfigCheck.IsLoopbackOnly(File.ReadAllText(path), out string why), why);
    }

    [Fact]
    public void ConfigFile_IsParsedForTheManagedBackend()
    {
        string file = Write("lab.cfg", LslBackends.LoopbackConfigContent + "SessionID = bench-42\n[tuning]\nTimeProbeCount = 5\n");
        using ILslBackend backend = LslBackends.Create(
            new LslOptions { Backend = LslBackendKind.Auto, NativeLibraryPath = MissingLibrary, ConfigFile = file }, _log.Add, out string description);

        LslConfig config = ((ManagedLslBackend)backend).Config;
        AssertLoopback(config);
        Assert.Equal("bench-42", config.SessionId);
        Assert.Equal(5, config.TimeProbeCount);
        Assert.Contains(file, description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(LslBackendKind.Auto)]
    [InlineData(LslBackendKind.Managed)]
    public void ConfigFile_InvalidOrMissing_FailsInsteadOfFallingBackToDefaults(LslBackendKind kind)
    {
        string bad = Write("bad.cfg", LslBackends.LoopbackConfigContent + "KnownPeers = {127.0.0.1}\n"); // duplicate key
        Assert.Throws<LslConfigException>(() => LslBackends.Create(new LslOptions { Backend = kind, NativeLibraryPath = MissingLibrary, ConfigFile = bad }, null, out _));
        Assert.Throws<LslConfigException>(() => LslBackends.Create(new LslOptions { Backend = kind, NativeLibraryPath = MissingLibrary, ConfigFile = Path.Combine(_dir, "absent.cfg") }, null, out _));
    }

    [SkippableTheory]
    [InlineData(LslBackendKind.Auto)]
    [InlineData(LslBackendKind.Native)]
    public void NativePresent_IsChosenWithTheLoopbackFile(LslBackendKind kind)
    {
        // The fixture initialises liblsl first, whatever order the tests run in: with the lab's LSLAPICFG when set,
        // else with the same per-process loopback file the factory writes.
        NativeLslBackend fixture = NativeLslFixture.Require();
        string loopback = LslLibraryLoader.NormaliseConfig(LslBackends.LoopbackConfigContent, "loopback preset");
        string inEffect = LslLibraryLoader.NormaliseConfig(File.ReadAllText(fixture.ConfigurationFile!), fixture.ConfigurationFile!);
        Skip.If(inEffect != loopback, $"liblsl runs this process with '{fixture.ConfigurationFile}', whose settings differ from the loopback preset, so the preset is refused by design");

        using ILslBackend backend = LslBackends.Create(new LslOptions { Backend = kind, Loopback = true }, _log.Add, out string description);

        NativeLslBackend native = Assert.IsType<NativeLslBackend>(backend);
        Assert.True(native.LibraryVersion >= 116);
        // Whichever file was applied first (a lab's LSLAPICFG or the loopback file), it says exactly what the preset says.
        Assert.Equal(loopback, LslLibraryLoader.NormaliseConfig(File.ReadAllText(native.ConfigurationFile!), native.ConfigurationFile!));
        Assert.StartsWith("native", description, StringComparison.Ordinal);
        Assert.Contains("native", Assert.Single(_log), StringComparison.Ordinal);
    }

    [Fact]
    public void NormaliseConfig_SameSettingsWrittenDifferently_AreEqual()
    {
        string lab = "; lab machine\r\n[lab]\r\nKnownPeers={127.0.0.1}\r\n\r\n[multicast]\r\nListenAddress   =  127.0.0.1\r\nResolveScope=machine\r\n[ports]\r\nIPv6 = disable";

        Assert.Equal(LslLibraryLoader.NormaliseConfig(LslBackends.LoopbackConfigContent, "a"), LslLibraryLoader.NormaliseConfig(lab, "b"));
        Assert.Equal(
            LslLibraryLoader.NormaliseConfig("[lab]\nKnownPeers = {127.0.0.1,localhost}\n", "a"),
            LslLibraryLoader.NormaliseConfig("[lab]\nKnownPeers = { 127.0.0.1 , localhost }\n", "b"));
    }

    [Theory]
    [InlineData("ResolveScope = machine", "ResolveScope = site")]
    [InlineData("[lab]", "[lab]\nSessionID = other")]
    [InlineData("KnownPeers = {127.0.0.1}", "KnownPeers = {127.0.0.1, 10.0.0.5}")]
    [InlineData("[multicast]", "[Multicast]")]
    public void NormaliseConfig_DifferentSettings_Differ(string from, string to)
    {
        string other = LslBackends.LoopbackConfigContent.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(LslBackends.LoopbackConfigContent, other);

        Assert.NotEqual(LslLibraryLoader.NormaliseConfig(LslBackends.LoopbackConfigContent, "a"), LslLibraryLoader.NormaliseConfig(other, "b"));
    }

    [Fact]
    public void NormaliseConfig_TextLiblslRejects_MatchesOnlyItself()
    {
        const string broken = "[lab\nKnownPeers = {127.0.0.1}\n";
        Assert.Equal(LslLibraryLoader.NormaliseConfig(broken, "a"), LslLibraryLoader.NormaliseConfig(broken, "b"));
        Assert.NotEqual(LslLibraryLoader.NormaliseConfig(LslBackends.LoopbackConfigContent, "a"), LslLibraryLoader.NormaliseConfig(broken, "b"));
    }

    private string Write(string name, string content)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static void AssertLoopback(LslConfig config)
    {
        Assert.Equal(LslResolveScope.Machine, config.ResolveScope);
        Assert.Equal("127.0.0.1", config.ListenAddress);
        Assert.Equal(LslIPv6Mode.Disable, config.IPv6);
        Assert.Equal(["127.0.0.1"], config.KnownPeers);
    }
}
