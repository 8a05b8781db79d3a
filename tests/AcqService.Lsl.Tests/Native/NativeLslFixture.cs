using AcqService.Lsl.Native;

namespace AcqService.Lsl.Tests.Native;

/// <summary>
/// Loads the native backend once per test run, loopback-only. If <c>LSLAPICFG</c> is unset it is pointed at a
/// loopback configuration before the first liblsl call (the binding forwards it with <c>lsl_set_config_content</c>),
/// and whatever <c>LSLAPICFG</c> names must be loopback-only, or every native test is skipped rather than risk traffic
/// beyond 127.0.0.1. Without liblsl (no <c>ACQ_LIBLSL_PATH</c>, nothing on the standard paths) every native test is
/// skipped with the loader's explanation.
/// </summary>
internal static class NativeLslFixture
{
    /// <summary>Same settings as the lab's shared test config: machine scope, 127.0.0.1 only, no IPv6.</summary>
    internal const string LoopbackConfig = LslBackends.LoopbackConfigContent;

    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static readonly Lazy<(NativeLslBackend? Backend, string Reason)> s_load = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    internal static NativeLslBackend? Backend => s_load.Value.Backend;

    internal static string Reason => s_load.Value.Reason;

    /// <summary>The backend, or a skip carrying the reason it is absent.</summary>
    internal static NativeLslBackend Require()
    {
        Skip.If(Backend is null, Reason);
        return Backend!;
    }

    internal static string UniqueName(string prefix) => $"acq-native-{prefix}-{Guid.NewGuid():N}";

    private static (NativeLslBackend?, string) Load()
    {
        string? config = Environment.GetEnvironmentVariable(NativeLslBackend.ConfigEnvironmentVariable);
        if (string.IsNullOrWhiteSpace(config))
        {
            // The factory's per-process file: liblsl takes one configuration per process, so the factory tests
            // (LslOptions.Loopback) and these tests must impose the same file.
            config = LslBackends.WriteLoopbackConfigFile();
            Environment.SetEnvironmentVariable(NativeLslBackend.ConfigEnvironmentVariable, config);
        }
        string content;
        try
        {
            content = File.ReadAllText(config);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, $"LSLAPICFG '{config}' is not readable ({ex.Message}); native LSL tests need a loopback-only config");
        }
        if (!LslConfigCheck.IsLoopbackOnly(content, out string why))
        {
            return (null, $"LSLAPICFG '{config}' is not loopback-only ({why}); native LSL tests refuse to run");
        }
        return NativeLslBackend.TryLoad(null, out NativeLslBackend? backend, out string reason) ? (backend, reason) : (null, reason);
    }

    /// <summary>Creates an outlet, resolves it by name and opens a connected inlet.</summary>
    internal static (ILslOutlet Outlet, ILslInlet Inlet) Connect(NativeLslBackend backend, LslStreamInfo info, bool recover = false)
    {
        ILslOutlet outlet = backend.CreateOutlet(info);
        try
        {
            IReadOnlyList<LslStreamInfo> found = backend.Resolve($"name='{info.Name}'", 1, Timeout);
            Assert.Single(found);
            ILslInlet inlet = backend.CreateInlet(found[0], recover: recover);
            inlet.Open(Timeout);
            Assert.True(outlet.WaitForConsumers(Timeout), "outlet saw no consumer");
            return (outlet, inlet);
        }
        catch
        {
            outlet.Dispose();
            throw;
        }
    }

    /// <summary>Pulls until <paramref name="samples"/> samples arrived or the deadline passed.</summary>
    internal static int PullAll<T>(Func<Memory<T>, Memory<double>, int> pull, T[] data, double[] timestamps, int channels, int samples)
    {
        int got = 0;
        DateTime deadline = DateTime.UtcNow + Timeout;
        while (got < samples && DateTime.UtcNow < deadline)
        {
            got += pull(data.AsMemory(got * channels), timestamps.AsMemory(got, samples - got));
        }
        return got;
    }
}

/// <summary>Minimal reading of liblsl's INI dialect, enough to refuse anything that could leave the machine.</summary>
internal static class LslConfigCheck
{
    internal static bool IsLoopbackOnly(string content, out string why)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        string section = "";
        foreach (string raw in content.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith(';'))
            {
                continue;
            }
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                section = line[1..^1].Trim();
                continue;
            }
            int eq = line.IndexOf('=');
            if (eq > 0)
            {
                values[$"{section}.{line[..eq].Trim()}"] = line[(eq + 1)..].Trim();
            }
        }
        string Get(string key) => values.TryGetValue(key, out string? v) ? v : "";
        if (Get("multicast.ResolveScope") != "machine")
        {
            why = "multicast.ResolveScope is not machine";
            return false;
        }
        if (Get("ports.IPv6") is not ("disable" or "disabled"))
        {
            why = "ports.IPv6 is not disabled";
            return false;
        }
        if (Get("multicast.ListenAddress") != "127.0.0.1")
        {
            why = "multicast.ListenAddress is not 127.0.0.1";
            return false;
        }
        string peers = Get("lab.KnownPeers").Trim('{', '}');
        if (peers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Any(p => p is not ("127.0.0.1" or "localhost")))
        {
            why = "lab.KnownPeers lists a non-loopback host";
            return false;
        }
        if (Get("multicast.AddressesOverride").Trim('{', '}').Trim().Length > 0 || Get("multicast.MachineAddresses").Trim('{', '}').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Any(a => a != "127.0.0.1"))
        {
            why = "discovery addresses are overridden";
            return false;
        }
        why = "";
        return true;
    }
}
