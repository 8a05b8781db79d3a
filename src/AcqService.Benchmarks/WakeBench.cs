using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;

namespace AcqService.Benchmarks;

/// <summary>
/// <c>bench wake</c>: how late this machine wakes a waiting thread, with no work at all. It bounds from below the tail
/// of every pipeline hop: a live result passes through several hops (inlet → aligner → analyzer → writer), each of which
/// is a thread woken by the previous one, so a machine that now and then wakes a thread milliseconds late puts those
/// milliseconds into the results' p99 whatever the pipeline does.
/// </summary>
internal static class WakeBench
{
    private static readonly CultureInfo s_ci = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(string[] args)
    {
        double seconds = 20;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--seconds" && i + 1 < args.Length && double.TryParse(args[i + 1], NumberStyles.Float, s_ci, out double s) && s > 0)
            {
                seconds = s;
                i++;
            }
            else
            {
                Console.Error.WriteLine("usage: bench wake [--seconds 20]");
                return 2;
            }
        }
        Console.WriteLine($"machine: {BenchMachine.Description}; load average {BenchMachine.LoadAverage()}");
        Console.WriteLine(string.Create(s_ci, $"{seconds:0} s per test, 1 kHz; latencies in ms"));
        Console.WriteLine("| test | n | p50 | p90 | p99 | p99.9 | max |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        Print("Thread.Sleep(1): time beyond 1 ms", SleepOvershoot(seconds));
        Print("channel hop: dedicated writer thread → awaiting reader (thread pool)", await ChannelHopAsync(seconds).ConfigureAwait(false));
        return 0;
    }

    private static double[] SleepOvershoot(double seconds)
    {
        var late = new List<double>();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed.TotalSeconds < seconds)
        {
            long before = Stopwatch.GetTimestamp();
            Thread.Sleep(1);
            late.Add(Stopwatch.GetElapsedTime(before).TotalMilliseconds - 1);
        }
        return [.. late];
    }

    /// <summary>
    /// A dedicated thread writes its timestamp into an unbounded channel every millisecond (as an inlet's receive thread
    /// hands a chunk on); an async reader on the thread pool records how long after the write it got the item.
    /// </summary>
    private static async Task<double[]> ChannelHopAsync(double seconds)
    {
        Channel<long> channel = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var late = new List<double>();
        Task reader = Task.Run(async () =>
        {
            while (await channel.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out long written))
                {
                    late.Add(Stopwatch.GetElapsedTime(written).TotalMilliseconds);
                }
            }
        });
        var writer = new Thread(() =>
        {
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed.TotalSeconds < seconds)
            {
                Thread.Sleep(1);
                channel.Writer.TryWrite(Stopwatch.GetTimestamp());
            }
            channel.Writer.Complete();
        }) { IsBackground = true, Name = "wake writer" };
        writer.Start();
        await reader.ConfigureAwait(false);
        writer.Join(TimeSpan.FromSeconds(5));
        return [.. late];
    }

    private static void Print(string name, double[] values)
    {
        Array.Sort(values);
        double P(double q) => values.Length == 0 ? double.NaN : values[Math.Min(values.Length - 1, (int)(q * values.Length))];
        Console.WriteLine(string.Create(s_ci, $"| {name} | {values.Length:N0} | {P(0.5):F3} | {P(0.9):F3} | {P(0.99):F3} | {P(0.999):F3} | {values[^1]:F3} |"));
    }
}
