namespace AcqService.Sources.Tests.Serial;

/// <summary>
/// Tests that measure the process heap or depend on real-time pacing over pseudo-terminals run alone: in parallel with
/// the rest of the project, other tests' allocations would show up in <c>GC.GetTotalMemory</c> and their CPU load
/// would stall the simulator and reader threads.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialIsolation
{
    public const string Name = "serial, not in parallel";
}
