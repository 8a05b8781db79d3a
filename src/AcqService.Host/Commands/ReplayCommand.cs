using System.Globalization;
using System.Runtime.InteropServices;
using AcqService.Core.Model;
using AcqService.Sources.Profiles;
using AcqService.Sources.Lsl;
using AcqService.Sources.Xdf;
using AcqService.Host.Cli;
using AcqService.Host.Hosting;
using AcqService.Sessions;
using AcqService.Lsl;
using AcqService.Xdf;
using Microsoft.Extensions.Configuration;

namespace AcqService.Host.Commands;

/// <summary>
/// <c>acq replay FILE.xdf</c>: publishes a recording's EEG and marker streams as LSL outlets with their original
/// relative timing (live pace, optionally faster or slower), so the service, LabRecorder or any LSL tool can receive
/// a session again. Original timestamps by default; <c>--restamp</c> shifts every stream by one common offset to now;
/// <c>--loop</c> starts again at the end, each further pass restamped so timestamps keep increasing.
/// </summary>
internal sealed class ReplayCommand : ICommand
{
    /// <summary>How long the outlets stay open after the last pass, so receivers get the last chunk before the end.</summary>
    private static readonly TimeSpan s_linger = TimeSpan.FromSeconds(1);

    public string Name => "replay";

    public string Summary => "Publish an XDF recording's EEG and marker streams as LSL outlets at the recorded pace.";

    public string Usage => "./acq replay FILE.xdf [--speed X] [--loop] [--restamp] [--duration SECONDS] [--signal-type EEG] [--marker-type Markers] [--signal-stream NAME] [--marker-stream NAME] [--settings FILE] [--Lsl:Key=value ...]";

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("speed", "X", "playback speed: 2 = twice as fast as recorded, 0.5 = half (default 1)"),
        new("loop", null, "start again at the end (until Ctrl+C or --duration); each further pass is restamped"),
        new("restamp", null, "shift all streams by one offset so the recording starts now (default: original timestamps)"),
        new("duration", "SECONDS", "stop after this many seconds (default: end of the file, or Ctrl+C with --loop)"),
        .. RecordingArguments.StreamSelection("publish"),
        new("settings", "FILE", "extra settings JSON (same layout as appsettings.json; section Lsl)"),
    ];

    public bool AcceptsSettings => true;

    public async Task<int> RunAsync(ParsedArguments arguments, CancellationToken cancellationToken)
    {
        if (RecordingArguments.File(arguments, this) is not string file)
        {
            return ExitCodes.Usage;
        }
        double speed = arguments.Number("speed", 0.01, 1000) ?? 1;
        double? duration = arguments.Number("duration", 0.1, 30 * 24 * 3600);
        bool loop = arguments.Flag("loop");
        bool restamp = arguments.Flag("restamp");

        IConfigurationRoot configuration = SettingsLoader.Build(arguments.Value("settings"), arguments.ConfigurationOverrides);
        // Only section Lsl matters here, but a typo in a checked section is still an error rather than ignored.
        (DeviceProfile profile, string profileSource, _) = DefaultProfile.Load(null);
        (_, List<string> problems) = SettingsLoader.Bind(configuration, profile, profileSource);
        if (SessionLauncher.ReportProblems(problems, Name))
        {
            return ExitCodes.Usage;
        }

        if (LslHost.TryCreate(configuration, Name) is not ILslBackend backend)
        {
            return ExitCodes.Failure;
        }
        using (backend)
        {
            XdfReplaySource source;
            SourceLslPublisher publisher;
            try
            {
                (source, publisher) = DeviceOutlets.Replay(file, RecordingArguments.ReplayOptions(arguments, ReplayPace.Live, speed), restamp, backend);
            }
            catch (SessionSetupException ex)
            {
                Console.Error.WriteLine($"acq {Name}: {ex.Message}");
                return ExitCodes.Failure;
            }
            using (publisher)
            {
                return await PublishAsync(publisher, source, file, speed, loop, restamp, duration, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task<int> PublishAsync(SourceLslPublisher publisher, XdfReplaySource source, string file, double speed, bool loop, bool restamp,
        double? duration, CancellationToken cancellationToken)
    {
        string until = duration is double d ? d.ToString(CultureInfo.InvariantCulture) + " s" : loop ? "Ctrl+C" : "the end of the file";
        Console.Out.WriteLine($"AcqService {CommandLineApp.Version}: replaying {file} to LSL at speed {speed.ToString(CultureInfo.InvariantCulture)}, "
            + $"{(restamp ? "restamped to now" : "original timestamps")}{(loop ? ", looping (later passes restamped)" : "")}, until {until}");
        Console.Out.WriteLine("Outlets:");
        foreach (StreamDescriptor stream in publisher.Streams)
        {
            Console.Out.WriteLine($"  {(stream.Kind == StreamKind.Signal ? "signal: " : "markers:")} {LslDiscoveryHelp.Describe(publisher.OutletInfo(stream))}");
        }
        Console.Out.WriteLine("Stop with Ctrl+C. See them with: ./acq streams");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (duration is double seconds)
        {
            stop.CancelAfter(TimeSpan.FromSeconds(seconds));
        }
        bool interrupted = false;
        void OnSignal(PosixSignalContext context)
        {
            // Stop publishing cleanly (outlets closed, receivers see the end) instead of killing the process.
            context.Cancel = true;
            interrupted = true;
            stop.Cancel();
        }
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var progressStop = new CancellationTokenSource();
        Task progress = ReportProgressAsync(publisher, watch, progressStop.Token);
        int code = ExitCodes.Ok;
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal))
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal))
        {
            try
            {
                do
                {
                    await publisher.RunAsync(stop.Token).ConfigureAwait(false);
                }
                while (loop && !stop.IsCancellationRequested);
                if (!stop.IsCancellationRequested)
                {
                    await Task.Delay(s_linger, stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Ctrl+C or --duration.
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A file that breaks mid-way (I/O error, unreadable chunk): what was published stays published.
                Console.Error.WriteLine($"acq replay: replaying {file} failed: {ex.Message}");
                code = ExitCodes.Failure;
            }
            finally
            {
                await progressStop.CancelAsync().ConfigureAwait(false);
                await progress.ConfigureAwait(false);
            }
        }
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Published {publisher.SamplesPushed} samples and {publisher.MarkersPushed} markers in {publisher.Passes} pass(es), {watch.Elapsed.TotalSeconds:0.0} s."));
        if (source.Diagnostics.Count > 0)
        {
            Console.Error.WriteLine($"acq replay: the file has {source.Diagnostics.Count} problem(s); everything readable was published. First: {source.Diagnostics[0]}");
        }
        // Ctrl+C is the normal way to end an endless replay; it only counts as an interruption when the replay had an end of its own.
        return code == ExitCodes.Ok && interrupted && (!loop || duration is not null) ? ExitCodes.Interrupted : code;
    }

    private static async Task ReportProgressAsync(SourceLslPublisher publisher, System.Diagnostics.Stopwatch watch, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                // Rounded: the timer fires a hair before each full second.
                TimeSpan t = TimeSpan.FromSeconds(Math.Round(watch.Elapsed.TotalSeconds));
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{(int)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00}] pass {publisher.Passes} | {publisher.SamplesPushed} samples | {publisher.MarkersPushed} markers"));
            }
        }
        catch (OperationCanceledException)
        {
            // Replay over.
        }
    }
}
