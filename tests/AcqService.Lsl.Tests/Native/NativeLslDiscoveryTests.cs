using System.Diagnostics;
using AcqService.Lsl.Native;

namespace AcqService.Lsl.Tests.Native;

/// <summary>Serialises the native test classes among themselves: fewer concurrent outlets in liblsl's 32-port range.</summary>
[CollectionDefinition(Name)]
public sealed class NativeLslCollection
{
    public const string Name = "native-lsl";
}

[Collection(NativeLslCollection.Name)]
public sealed class NativeLslDiscoveryTests
{
    [SkippableFact]
    public void LoadsLiblslAndReportsVersion()
    {
        NativeLslBackend backend = NativeLslFixture.Require();

        Assert.Equal("native", backend.Name);
        Assert.True(backend.LibraryVersion >= NativeLslBackend.MinimumLibraryVersion, $"library version {backend.LibraryVersion}");
        Assert.True(backend.ProtocolVersion >= 110, $"protocol version {backend.ProtocolVersion}");
        Assert.StartsWith($"liblsl {backend.LibraryVersion / 100}.{backend.LibraryVersion % 100}", backend.Version);
        Assert.False(string.IsNullOrEmpty(backend.LibraryPath));
        Assert.False(string.IsNullOrEmpty(backend.LibraryInfo));
    }

    [SkippableFact]
    public void LocalClockIsTheMonotonicClockStopwatchUses()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        Skip.IfNot(OperatingSystem.IsLinux(), "the CLOCK_MONOTONIC equivalence is only asserted on Linux");

        double managed = Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
        double native = backend.LocalClock();

        Assert.InRange(native - managed, -0.05, 0.05);
    }

    [SkippableFact]
    public void DirectoryAsExplicitPathFindsTheSameLibrary()
    {
        NativeLslBackend backend = NativeLslFixture.Require();
        Skip.IfNot(Path.IsPathRooted(backend.LibraryPath), "library was found by bare name; its directory is unknown");

        bool ok = NativeLslBackend.TryLoad(Path.GetDirectoryName(backend.LibraryPath), out NativeLslBackend? again, out string reason);

        Assert.True(ok, reason);
        Assert.Equal(backend.LibraryVersion, again!.LibraryVersion);
    }

    [Fact]
    public void BogusExplicitPathGivesAMessageNamingThePath()
    {
        string bogus = Path.Combine(Path.GetTempPath(), $"no-such-dir-{Guid.NewGuid():N}", "liblsl.so");

        bool ok = NativeLslBackend.TryLoad(bogus, out NativeLslBackend? backend, out string reason);

        Assert.False(ok);
        Assert.Null(backend);
        Assert.StartsWith("liblsl not found: searched", reason);
        Assert.Contains(bogus, reason);
        Assert.Contains("ACQ_LIBLSL_PATH", reason);
        Assert.Contains("Lsl:NativeLibraryPath", reason);
    }

    [Fact]
    public void FileThatIsNotLiblslIsRejectedWithoutThrowing()
    {
        string notALibrary = Path.Combine(Path.GetTempPath(), $"not-liblsl-{Guid.NewGuid():N}.so");
        File.WriteAllText(notALibrary, "this is not an ELF file");
        try
        {
            bool ok = NativeLslBackend.TryLoad(notALibrary, out NativeLslBackend? backend, out string reason);

            Assert.False(ok);
            Assert.Null(backend);
            Assert.Contains(notALibrary, reason);
        }
        finally
        {
            File.Delete(notALibrary);
        }
    }

    [SkippableFact]
    public void ConfigurationFromLslapicfgIsImposed()
    {
        NativeLslBackend backend = NativeLslFixture.Require();

        // The fixture loads liblsl before any other test can (every native test requires it first), so the file
        // applied is LSLAPICFG's, whatever order the tests run in.
        string expected = Path.GetFullPath(Environment.GetEnvironmentVariable(NativeLslBackend.ConfigEnvironmentVariable)!);
        Assert.Equal(expected, backend.ConfigurationFile);
        Assert.Contains(expected, backend.ConfigurationSource);
        // lsl_set_config_content on >= 1.17.7, lsl_set_config_filename before that.
        Assert.Contains("lsl_set_config_", backend.ConfigurationSource);
    }

    [SkippableFact]
    public void ADifferentConfigurationIsRefusedOnceLiblslIsInitialised()
    {
        NativeLslBackend loaded = NativeLslFixture.Require();
        // Still loopback-only, but a different session: different settings, so liblsl cannot take it any more.
        string other = Path.Combine(Path.GetTempPath(), $"other-{Guid.NewGuid():N}.cfg");
        File.WriteAllText(other, File.ReadAllText(loaded.ConfigurationFile!) + "\n[lab]\nSessionID = other-" + Guid.NewGuid().ToString("N") + "\n");
        string missing = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.cfg");
        try
        {
            bool ok = NativeLslBackend.TryLoad(null, other, out NativeLslBackend? backend, out string reason);

            Assert.False(ok);
            Assert.Null(backend);
            Assert.Contains("already initialised", reason);
            Assert.Contains("settings differ", reason);
            Assert.False(NativeLslBackend.TryLoad(null, missing, out _, out reason));
            Assert.Contains("not readable", reason);
        }
        finally
        {
            File.Delete(other);
        }
    }

    [SkippableFact]
    public void TheSameSettingsInAnotherFileAreAccepted()
    {
        NativeLslBackend loaded = NativeLslFixture.Require();
        // Another path, other comments and spacing, same settings (e.g. a lab's LSLAPICFG and the loopback preset file).
        string same = Path.Combine(Path.GetTempPath(), $"same-{Guid.NewGuid():N}.cfg");
        string text = File.ReadAllText(loaded.ConfigurationFile!);
        File.WriteAllText(same, "; copied\n" + text.Replace(" = ", "=", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal));
        try
        {
            bool ok = NativeLslBackend.TryLoad(null, same, out NativeLslBackend? backend, out string reason);

            Assert.True(ok, reason);
            Assert.Equal(loaded.LibraryPath, backend!.LibraryPath);
            Assert.Equal(loaded.ConfigurationFile, backend.ConfigurationFile);
        }
        finally
        {
            File.Delete(same);
        }
    }
}
