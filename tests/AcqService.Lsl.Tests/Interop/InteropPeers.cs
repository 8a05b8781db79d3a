using AcqService.Core.Model;
using System.Xml.Linq;
using AcqService.Lsl.Config;
using AcqService.Lsl.Managed;
using AcqService.Lsl.Native;
using AcqService.Lsl.Tests.Native;
using Xunit.Abstractions;

namespace AcqService.Lsl.Tests.Interop;

/// <summary>
/// The two peers of every interop test, both loopback-only: liblsl through <see cref="NativeLslFixture"/> (which
/// imposes the loopback <c>lsl_api.cfg</c>, or skips with the loader's reason) and a managed backend with
/// <see cref="LslConfig.Loopback"/>. Managed diagnostics go to the test output so a wire mismatch is visible.
/// </summary>
internal sealed class InteropPeers : IDisposable
{
    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly ITestOutputHelper _output;

    private InteropPeers(NativeLslBackend native, ITestOutputHelper output)
    {
        _output = output;
        Native = native;
        Managed = new ManagedLslBackend(LslConfig.Loopback());
        Managed.Diagnostic += OnDiagnostic;
    }

    public NativeLslBackend Native { get; }

    public ManagedLslBackend Managed { get; }

    /// <summary>Both peers, or a skip that carries why liblsl is unavailable.</summary>
    public static InteropPeers Require(ITestOutputHelper output) => new(NativeLslFixture.Require(), output);

    public static LslStreamInfo Info(string prefix, ChannelFormat format, int channels, double srate, string type = "EEG") => new()
    {
        Name = $"acq-interop-{prefix}-{Guid.NewGuid():N}",
        Type = type,
        ChannelCount = channels,
        NominalSrate = srate,
        ChannelFormat = format,
        SourceId = "src-" + Guid.NewGuid().ToString("N"),
    };

    /// <summary>Adds a manufacturer and per-channel labels to <c>desc</c>.</summary>
    public static LslStreamInfo Describe(LslStreamInfo info, string manufacturer)
    {
        info.Desc.Add(new XElement("manufacturer", manufacturer));
        return info.WithChannels(Enumerable.Range(0, info.ChannelCount).Select(k => ($"Ch{k + 1}-µ", "microvolts", "EEG")));
    }

    /// <summary>Outlet on one backend, resolved by name and connected from the other.</summary>
    public static (ILslOutlet Outlet, ILslInlet Inlet) Connect(ILslBackend outletSide, ILslBackend inletSide, LslStreamInfo info)
    {
        ILslOutlet outlet = outletSide.CreateOutlet(info);
        try
        {
            IReadOnlyList<LslStreamInfo> found = inletSide.Resolve($"name='{info.Name}'", 1, Timeout);
            Assert.Single(found);
            ILslInlet inlet = inletSide.CreateInlet(found[0], recover: false);
            try
            {
                inlet.Open(Timeout);
                Assert.True(outlet.WaitForConsumers(Timeout), $"{outletSide.Name} outlet saw no {inletSide.Name} consumer");
                return (outlet, inlet);
            }
            catch
            {
                inlet.Dispose();
                throw;
            }
        }
        catch
        {
            outlet.Dispose();
            throw;
        }
    }

    /// <summary>Pulls strings until <paramref name="count"/> samples arrived or the deadline passed.</summary>
    public static (string[] Data, double[] Timestamps) PullStrings(ILslInlet inlet, int channels, int count)
    {
        string[] data = new string[count * channels];
        double[] timestamps = new double[count];
        int have = 0;
        long deadline = Environment.TickCount64 + (long)Timeout.TotalMilliseconds;
        while (have < count && Environment.TickCount64 < deadline)
        {
            have += inlet.PullChunk(data.AsSpan(have * channels), timestamps.AsSpan(have), TimeSpan.FromMilliseconds(200));
        }
        Assert.Equal(count, have);
        return (data, timestamps);
    }

    /// <summary>Polls a continuous resolver until a stream with <paramref name="name"/> shows up.</summary>
    public static LslStreamInfo AwaitContinuous(ILslContinuousResolver resolver, string name)
    {
        long deadline = Environment.TickCount64 + (long)(Timeout.TotalMilliseconds * 2);
        while (Environment.TickCount64 < deadline)
        {
            LslStreamInfo? hit = resolver.Results().FirstOrDefault(r => r.Name == name);
            if (hit is not null)
            {
                return hit;
            }
            Thread.Sleep(100);
        }
        throw new TimeoutException($"continuous resolver did not find '{name}'");
    }

    private void OnDiagnostic(object? sender, string message)
    {
        try
        {
            _output.WriteLine("managed: " + message);
        }
        catch (InvalidOperationException)
        {
            // Background loops may report after the test finished; the output helper refuses then.
        }
    }

    public void Dispose()
    {
        Managed.Diagnostic -= OnDiagnostic;
        Managed.Dispose();
    }
}
