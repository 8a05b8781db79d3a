using System.Diagnostics;
using System.Text.Json;
using AcqService.Core.Analysis;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sinks;

namespace AcqService.Sessions.Tests;

/// <summary>No ending is silent: whatever stops a session, the summary says what was received, what is complete and why it ended.</summary>
public sealed class SessionEndingTests
{
    [SkippableFact]
    public async Task DiskFullMidSession_SummarySaysSoAndListsWhatIsComplete()
    {
        string mount = Path.Combine(Path.GetTempPath(), "acq-full-disk-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(mount);
        // 80 MB passes the recorder's pre-flight (64 MB reserve + the estimate for 60 s); the test then fills it.
        Skip.IfNot(Run("mount", "-t", "tmpfs", "-o", "size=80m", "tmpfs", mount) == 0, "needs root to mount a small tmpfs (CI runs as root)");
        try
        {
            string folder = Path.Combine(mount, "session");
            await using Session session = await Sessions.Factory().CreateAsync(Sessions.Simulated(folder, 60));
            // The disk fills up after the checks: leave 1.5 MB, less than the recording needs (~4 MB for 60 s).
            using (var filler = new FileStream(Path.Combine(mount, "filler"), FileMode.Create))
            {
                byte[] block = new byte[1 << 20];
                while (new DriveInfo(mount).AvailableFreeSpace > (1536 * 1024) + block.Length)
                {
                    filler.Write(block);
                    filler.Flush(flushToDisk: true);
                }
            }

            SessionSummary summary = await session.RunAsync(CancellationToken.None);

            Assert.Equal(SessionEndKind.RecordingFailed, summary.Ended!.Kind);
            Assert.Contains("No space left on device", summary.Ended.Reason);
            // Whichever file met the full disk first, acquisition stopped and the summary lists what is incomplete.
            Assert.Contains(summary.Files, f => !f.Complete && f.Error is not null);
            Assert.True(File.Exists(Path.Combine(folder, "recording.xdf")));
            // The few-kB summaries survive the full disk (their space was claimed at the start).
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")));
            Assert.Equal("recordingFailed", json.RootElement.GetProperty("ended").GetProperty("kind").GetString());
            string text = File.ReadAllText(Path.Combine(folder, "summary.txt"));
            Assert.Contains("Ended: the recording could not be written", text);
            Assert.Contains(": INCOMPLETE", text);
            Assert.True(summary.Streams.Single().Samples > 0);
        }
        finally
        {
            Run("umount", "-l", mount);
        }
    }

    [Fact]
    public async Task PipelineThatDoesNotDrain_EndsAfterTheShutdownTimeoutAndSaysWhichStage()
    {
        string folder = Sessions.NewFolder();
        await using Session session = await Sessions.Factory().CreateAsync(Sessions.Simulated(folder, 20, s => s.Session.ShutdownTimeoutSeconds = 1, record: false));
        session.Pipeline.AddResultSink(new StuckSink());
        var watch = Stopwatch.StartNew();
        SessionSummary summary = await session.RunAsync(CancellationToken.None);

        Assert.Equal(SessionEndKind.ShutdownTimeout, summary.Ended!.Kind);
        Assert.Contains("within the shutdown timeout (1 s)", summary.Ended.Reason);
        Assert.Contains("stuck sink", summary.Ended.Reason);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
        Assert.Contains("Ended: the pipeline did not drain", File.ReadAllText(Path.Combine(folder, "summary.txt")));
        // Everything else was still written.
        Assert.True(File.Exists(Path.Combine(folder, "erp_averages.json")));
    }

    [Fact]
    public async Task OperatorStop_SummarySaysWhoAndWhen()
    {
        string folder = Sessions.NewFolder();
        SessionRequest request = Sessions.Simulated(folder, 600, record: false);
        await using Session session = await Sessions.Factory().CreateAsync(new SessionRequest
        {
            Input = request.Input, Settings = request.Settings, OutputFolder = folder, DurationSeconds = null, Pace = Sources.Simulation.SimulationPace.Live,
        });
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        SessionSummary summary = await session.RunAsync(stop.Token);
        Assert.Equal(SessionEndKind.OperatorStop, summary.Ended!.Kind);
        Assert.InRange(summary.Ended.SessionSeconds, 1.5, 20);
        Assert.Contains("Ended: stopped by the operator", File.ReadAllText(Path.Combine(folder, "summary.txt")));
    }

    [Fact]
    public async Task SourceFailure_EndsAsSourceFailedWithTheMessage()
    {
        string folder = Sessions.NewFolder();
        var stream = new StreamDescriptor("eeg", StreamKind.Signal, "x", "EEG", [new ChannelDescriptor("Cz", "uV", "EEG")], 250, ChannelFormat.Float32, "x");
        var session = new AcquisitionSession([new ThrowingSource(stream)], new SessionPlan { Regions = [] }, folder, new SessionMetadata(), LocalClock.Now);
        SessionSummary summary = await session.RunAsync(CancellationToken.None);
        Assert.Equal(SessionEndKind.SourceFailed, summary.Ended!.Kind);
        Assert.Contains("source 'broken amplifier' failed: cable pulled", summary.Errors);
        Assert.Contains("Ended: every source failed", File.ReadAllText(Path.Combine(folder, "summary.txt")));
    }

    private static int Run(string file, params string[] args)
    {
        try
        {
            using Process p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit(10_000);
            return p.HasExited ? p.ExitCode : -1;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }

    /// <summary>A result sink that never finishes until aborted: the shutdown timeout must end the session anyway.</summary>
    private sealed class StuckSink : IResultSink
    {
        public string Name => "stuck sink";

        public Task RunAsync(Edge<AlphaUpdate> alpha, Edge<EpochOutcome> epochs, CancellationToken cancellationToken) =>
            Task.Delay(Timeout.Infinite, cancellationToken);
    }

    private sealed class ThrowingSource(StreamDescriptor stream) : ISource
    {
        public string Name => "broken amplifier";

        public IReadOnlyList<StreamDescriptor> Streams { get; } = [stream];

        public async Task RunAsync(Edge<SourceItem> output, CancellationToken cancellationToken)
        {
            await Task.Yield();
            throw new IOException("cable pulled");
        }
    }
}
