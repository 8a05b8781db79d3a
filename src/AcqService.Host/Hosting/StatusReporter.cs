using System.Globalization;
using System.Text;
using AcqService.Core.Model;
using AcqService.Core.Pipeline;
using AcqService.Sessions;

namespace AcqService.Host.Hosting;

/// <summary>
/// Prints a compact live status line: per stream sample rate and count (with the analysis lag when it is behind, or
/// "no data for N s" when the stream has gone quiet), markers, epochs per condition, drops, current alpha. On a
/// terminal the line is rewritten in place; when output is redirected (service logs) one line is written per interval.
/// It only reads counters, so it never slows the pipeline.
/// </summary>
internal sealed class StatusReporter(AcquisitionSession session, double intervalSeconds)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        bool terminal = !Console.IsOutputRedirected;
        var previous = new long[session.Streams.Count];
        double start = LocalClock.Now(), last = start;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(intervalSeconds));
        using CancellationTokenRegistration stop = timer.StopOn(cancellationToken);
        while (await timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            double now = LocalClock.Now();
            string line = Format(now - start, now - last, previous);
            last = now;
            if (terminal)
            {
                int width = Math.Max(40, SafeWidth() - 1);
                Console.Out.Write("\r" + (line.Length > width ? line[..width] : line.PadRight(width)));
            }
            else
            {
                Console.Out.WriteLine(line);
            }
        }
        if (terminal)
        {
            Console.Out.WriteLine();
        }
    }

    private string Format(double elapsed, double interval, long[] previous)
    {
        var sb = new StringBuilder();
        IFormatProvider ci = CultureInfo.InvariantCulture;
        sb.Append(string.Create(ci, $"[{TimeSpan.FromSeconds(elapsed):hh\\:mm\\:ss}]"));
        LagStatus? lag = session.Lag.Latest;
        foreach (StreamDescriptor stream in session.Streams.Streams)
        {
            (long samples, _, _, int gaps, int markers) = session.Aligner.Statistics(stream.Index);
            if (stream.Kind == StreamKind.Signal)
            {
                double rate = interval > 0 ? (samples - previous[stream.Index]) / interval : 0;
                previous[stream.Index] = samples;
                StreamLag? streamLag = lag?.Streams.FirstOrDefault(s => s.StreamKey == stream.Key);
                string problem = streamLag?.ToStatus(session.Lag.Options) ?? "";
                if (streamLag is not null && streamLag.IsSilent(session.Lag.Options))
                {
                    sb.Append(string.Create(ci, $" {stream.Key}: {problem} ({samples} smp{(gaps > 0 ? $", {gaps} gaps" : "")})"));
                }
                else
                {
                    sb.Append(string.Create(ci, $" {stream.Key} {rate:F0} Hz ({samples} smp{(gaps > 0 ? $", {gaps} gaps" : "")}{(problem.Length > 0 ? ", " + problem : "")})"));
                }
            }
            else
            {
                sb.Append(string.Create(ci, $" | {stream.Key} {markers} markers"));
            }
        }
        IReadOnlyDictionary<string, int> counts = session.Erp.CountsByCondition;
        sb.Append(string.Create(ci, $" | epochs {session.Erp.Accepted}"));
        if (counts.Count > 0)
        {
            sb.Append(" (").Append(string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}"))).Append(')');
        }
        sb.Append(string.Create(ci, $" drops {session.Erp.Dropped}"));
        if (session.LatestAlpha is { } alpha)
        {
            sb.Append(" | ").Append(alpha.ToStatus());
        }
        if (lag?.Verdict is not null)
        {
            sb.Append(" | OVERLOADED, stopping");
        }
        return sb.ToString();
    }

    private static int SafeWidth()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 160;
        }
        catch (IOException)
        {
            return 160;
        }
    }
}
