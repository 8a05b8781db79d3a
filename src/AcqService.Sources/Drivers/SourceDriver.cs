using AcqService.Core.Pipeline;
using AcqService.Sources.Profiles;

namespace AcqService.Sources.Drivers;

/// <summary>
/// A kind of source a device profile can name in <c>source.driver</c>. A driver checks its own part of the profile
/// (the stream's <c>source</c> object, and rules across its streams such as "the simulated devices come as a pair")
/// and turns its streams into pipeline sources. Register new drivers (serial amplifiers, trigger boxes…) in
/// <see cref="SourceDriverRegistry"/>; nothing else in the service compares driver names.
/// </summary>
public abstract class SourceDriver
{
    /// <summary>The <c>source.driver</c> names this driver handles (one driver may serve a family, e.g. the simulators).</summary>
    public abstract IReadOnlyList<string> Names { get; }

    /// <summary>One line for people (listed by <c>acq --help</c>, the profile README and errors naming known drivers).</summary>
    public abstract string Description { get; }

    /// <summary>True when the device describes its own channels (an LSL stream's <c>desc</c>), so a profile may leave them out.</summary>
    public virtual bool DescribesChannels => false;

    /// <summary>True when the driver needs an LSL backend (<see cref="SourceContext.Lsl"/>).</summary>
    public virtual bool UsesLsl => false;

    /// <summary>
    /// True when the streams are produced in this process by a simulator (they can also be published over LSL with
    /// <c>--transport lsl</c>, and paced as fast as possible).
    /// </summary>
    public virtual bool IsSimulated => false;

    /// <summary>
    /// Checks one stream's <c>source</c> object. The default accepts no field but <c>driver</c>: fields that belong to
    /// another driver (e.g. <c>predicate</c> on a simulated stream) are reported, so a typo never goes unnoticed.
    /// </summary>
    /// <param name="stream">The stream.</param>
    /// <param name="path">JSON path of the stream, e.g. <c>$.streams[1]</c>.</param>
    public virtual IEnumerable<string> Validate(StreamProfile stream, string path) => RejectForeignFields(stream, path, []);

    /// <summary>Checks rules across all streams of this driver in one profile (e.g. how many may exist).</summary>
    public virtual IEnumerable<string> ValidateSet(IReadOnlyList<StreamProfile> streams) => [];

    /// <summary>Creates the sources of this driver's streams (in profile order), connecting to devices where needed.</summary>
    /// <param name="streams">This driver's streams of the profile (validated).</param>
    /// <param name="context">Clock, pace, duration, LSL backend, logger.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    public abstract Task<IReadOnlyList<ISource>> CreateAsync(IReadOnlyList<StreamProfile> streams, SourceContext context, CancellationToken cancellationToken);

    /// <summary>Reports every field of <c>source</c> that is set but not in <paramref name="allowed"/>.</summary>
    protected static IEnumerable<string> RejectForeignFields(StreamProfile stream, string path, IReadOnlyCollection<string> allowed)
    {
        SourceProfile source = stream.Source;
        foreach ((string name, bool set) in new[]
        {
            ("predicate", source.Predicate is not null),
            ("resolveTimeoutSeconds", source.ResolveTimeoutSeconds is not null),
            ("onMismatch", source.OnMismatch is not null),
            ("sourceId", source.SourceId is not null),
            ("hostname", source.Hostname is not null),
            ("choose", source.Choose is not null),
        })
        {
            if (set && !allowed.Contains(name))
            {
                yield return $"{path}.source.{name}: not a field of driver '{source.Driver}'";
            }
        }
        foreach (string name in source.Options?.Keys ?? Enumerable.Empty<string>())
        {
            if (!allowed.Contains(name))
            {
                yield return $"{path}.source: unknown field '{name}' for driver '{source.Driver}'";
            }
        }
    }
}
