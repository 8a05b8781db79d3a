using AcqService.Core.Pipeline;
using AcqService.Sources.Profiles;
using AcqService.Sources.Simulation;

namespace AcqService.Sources.Drivers;

/// <summary>
/// The simulated devices: <c>simulated-eeg</c> and <c>simulated-needle</c> (always as a pair, since the EEG carries the
/// responses to the needle schedule) and the optional <c>simulated-nirs</c> on the same schedule. The one place that
/// states the pair rule.
/// </summary>
public sealed class SimulationDriver : SourceDriver
{
    /// <summary>Simulated EEG amplifier.</summary>
    public const string Eeg = "simulated-eeg";

    /// <summary>Simulated needle-marker source.</summary>
    public const string Needle = "simulated-needle";

    /// <summary>Simulated fNIRS device.</summary>
    public const string Nirs = "simulated-nirs";

    /// <inheritdoc />
    public override IReadOnlyList<string> Names { get; } = [Eeg, Needle, Nirs];

    /// <inheritdoc />
    public override string Description => "simulated EEG amplifier, needle markers and fNIRS device (no hardware; see README 'Simulated devices')";

    /// <inheritdoc />
    public override bool IsSimulated => true;

    /// <inheritdoc />
    public override IEnumerable<string> ValidateSet(IReadOnlyList<StreamProfile> streams)
    {
        int eeg = streams.Count(s => s.Source.Driver == Eeg), needle = streams.Count(s => s.Source.Driver == Needle);
        StreamProfile[] nirs = [.. streams.Where(s => s.Source.Driver == Nirs)];
        if (eeg != 1 || needle != 1)
        {
            yield return eeg > 1 || needle > 1
                ? "$.streams: a profile can have only one simulated EEG and one simulated needle stream"
                : nirs.Length > 0
                    ? $"$.streams: stream '{nirs[0].Key}': the '{Nirs}' driver needs a '{Eeg}' and a '{Needle}' stream in the same profile"
                    : $"$.streams: the simulated drivers come as a pair: one '{Eeg}' stream and one '{Needle}' stream";
        }
        if (nirs.Length > 1)
        {
            yield return "$.streams: a profile can have only one simulated NIRS stream";
        }
        foreach (StreamProfile s in streams)
        {
            string expected = s.Source.Driver == Needle ? "markers" : "signal";
            if (s.Kind != expected)
            {
                yield return $"$.streams: stream '{s.Key}': the '{s.Source.Driver}' driver produces a {(expected == "signal" ? "signal" : "marker")} stream";
            }
        }
    }

    /// <inheritdoc />
    public override Task<IReadOnlyList<ISource>> CreateAsync(IReadOnlyList<StreamProfile> streams, SourceContext context, CancellationToken cancellationToken)
    {
        StreamProfile eeg = streams.Single(s => s.Source.Driver == Eeg);
        StreamProfile needle = streams.Single(s => s.Source.Driver == Needle);
        StreamProfile? nirs = streams.SingleOrDefault(s => s.Source.Driver == Nirs);
        var rig = new SimulationRig(context.Simulation, ProfileLoader.ToDescriptor(eeg), ProfileLoader.ToDescriptor(needle), nirs is null ? null : ProfileLoader.ToDescriptor(nirs),
            context.Pace, context.DurationSeconds, context.Clock);
        context.Rig = rig;
        return Task.FromResult(rig.Sources);
    }
}
