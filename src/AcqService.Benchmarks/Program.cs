using System.Diagnostics;
using System.Globalization;
using AcqService.Benchmarks;

// bench pipeline [--channels 64] [--rate 1000] [--seconds 600] [--chunk 10] [--repetitions 5] [--no-session]
// bench lsl [--configs 64x1000,64x5000,64x20000,256x2000] [--rounds 3] [--round-seconds 2.5] [--chunk-ms 1] [--managed-only] [--liblsl PATH]
// bench latency [--seconds 40] [--configs 64x1000@1,64x1000@10,256x2000@1,256x2000@10] [--marker-interval 0.55] [--warmup 5] [--no-record] [--no-published-averages] [--dir PATH] [--keep]
// bench analyze-vs-reference [--minutes 30] [--rounds 2] [--epocher numpy|mne] [--acq PATH/acq.dll] [--python PATH] [--dir PATH] [--keep]
// bench replay-only FILE.xdf
// bench wake [--seconds 20]
// bench xdf [--parts reader,writer,analyze] [--gigabytes 1] [--small-megabytes 100] [--writer-seconds 120] [--analyze-seconds 3600] [--dir PATH] [--keep]
if (args.Length > 0 && args[0] == "lsl")
{
    return await LslBench.RunAsync(args[1..]);
}
if (args.Length > 0 && args[0] == "latency")
{
    return await LatencyBench.RunAsync(args[1..]);
}
if (args.Length > 0 && args[0] == "xdf")
{
    return await XdfBench.RunAsync(args[1..]);
}
if (args.Length > 0 && args[0] == "analyze-vs-reference")
{
    return await AnalyzeReferenceBench.RunAsync(args[1..]);
}
if (args.Length > 0 && args[0] == "wake")
{
    return await WakeBench.RunAsync(args[1..]);
}
if (args.Length > 0 && args[0] == "replay-only" && args.Length == 2)
{
    // The replay source alone (reader → edge, chunks released): the part of `analyze` before the analyzers.
    for (int round = 1; round <= 3; round++)
    {
        var watch = Stopwatch.StartNew();
        long items = await XdfBench.ReplayOnlyAsync(args[1]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"replay only, round {round}: {watch.Elapsed.TotalSeconds:F2} s, {items:N0} items"));
    }
    return 0;
}
if (args.Length > 0 && args[0] == "xdf-read")
{
    // Child process of "xdf": its peak working set is the reader's alone.
    return XdfBench.ReadChild(args[1..]);
}
if (args.Length == 0 || args[0] is not "pipeline")
{
    Console.Error.WriteLine("usage: bench pipeline [--channels 64] [--rate 1000] [--seconds 600] [--chunk 10] [--repetitions 5] [--no-session]");
    Console.Error.WriteLine("       bench lsl [--configs 64x1000,64x5000,64x20000,256x2000] [--rounds 3] [--round-seconds 2.5] [--chunk-ms 1] [--managed-only] [--liblsl PATH]");
    Console.Error.WriteLine("       bench latency [--seconds 40] [--configs 64x1000@1,64x1000@10,256x2000@1,256x2000@10] [--marker-interval 0.55] [--warmup 5] [--no-record] [--no-published-averages] [--dir PATH] [--keep]");
    Console.Error.WriteLine("       bench xdf [--parts reader,writer,analyze] [--gigabytes 1] [--small-megabytes 100] [--writer-seconds 120] [--writer-channels 256] [--writer-rate 2000] [--writer-chunk 20] [--analyze-seconds 3600] [--dir PATH] [--keep]");
    Console.Error.WriteLine("       bench analyze-vs-reference [--minutes 30] [--rounds 2] [--epocher numpy|mne] [--acq PATH/acq.dll] [--python PATH] [--dir PATH] [--keep]");
    Console.Error.WriteLine("       bench replay-only FILE.xdf");
    Console.Error.WriteLine("       bench wake [--seconds 20]");
    return 2;
}

var settings = new PipelineBenchmark.Settings();
for (int i = 1; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--channels":
            settings.Channels = int.Parse(Value(), CultureInfo.InvariantCulture);
            break;
        case "--rate":
            settings.Rate = double.Parse(Value(), CultureInfo.InvariantCulture);
            break;
        case "--seconds":
            settings.Seconds = double.Parse(Value(), CultureInfo.InvariantCulture);
            break;
        case "--chunk":
            settings.ChunkFrames = int.Parse(Value(), CultureInfo.InvariantCulture);
            break;
        case "--repetitions":
            settings.Repetitions = int.Parse(Value(), CultureInfo.InvariantCulture);
            break;
        case "--no-session":
            settings.Session = false;
            break;
        default:
            Console.Error.WriteLine($"unknown option '{args[i]}'");
            return 2;
    }
}

#if DEBUG
Console.Error.WriteLine("warning: Debug build; run with -c Release for meaningful figures");
#endif
Debug.Assert(settings.Channels > 0);
return await PipelineBenchmark.RunAsync(settings, Console.Out);
