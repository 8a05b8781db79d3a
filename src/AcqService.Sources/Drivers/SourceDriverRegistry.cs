using AcqService.Core.Pipeline;
using AcqService.Sources.Profiles;

namespace AcqService.Sources.Drivers;

/// <summary>
/// The source drivers a profile may name. <see cref="Default"/> holds the built-in ones; a host adds its own with
/// <see cref="With"/> (registries are immutable, so sessions built concurrently never see a half-registered driver).
/// </summary>
public sealed class SourceDriverRegistry
{
    private readonly Dictionary<string, SourceDriver> _byName;

    private SourceDriverRegistry(IEnumerable<SourceDriver> drivers)
    {
        Drivers = [.. drivers];
        _byName = new Dictionary<string, SourceDriver>(StringComparer.Ordinal);
        foreach (SourceDriver driver in Drivers)
        {
            foreach (string name in driver.Names)
            {
                if (!_byName.TryAdd(name, driver))
                {
                    throw new ArgumentException($"driver name '{name}' is registered twice");
                }
            }
        }
    }

    /// <summary>The built-in drivers: the simulators, LSL and the serial devices.</summary>
    public static SourceDriverRegistry Default { get; } = new([new SimulationDriver(), new LslDriver(), new SerialDriver()]);

    /// <summary>Registered drivers, in registration order.</summary>
    public IReadOnlyList<SourceDriver> Drivers { get; }

    /// <summary>Every driver name, sorted.</summary>
    public IEnumerable<string> Names => _byName.Keys.Order(StringComparer.Ordinal);

    /// <summary>A registry with <paramref name="drivers"/> added.</summary>
    /// <exception cref="ArgumentException">A name is already taken.</exception>
    public SourceDriverRegistry With(params SourceDriver[] drivers) => new([.. Drivers, .. drivers]);

    /// <summary>The driver for a name, or null.</summary>
    public SourceDriver? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The driver of a stream (the profile must have been validated).</summary>
    /// <exception cref="KeyNotFoundException">Unknown driver.</exception>
    public SourceDriver Of(StreamProfile stream) => Find(stream.Source.Driver) ?? throw new KeyNotFoundException($"stream '{stream.Key}': unknown driver '{stream.Source.Driver}'");

    /// <summary>Checks every stream's <c>source</c> object with its driver, and each driver's rules across its streams.</summary>
    public List<string> Validate(DeviceProfile profile)
    {
        var problems = new List<string>();
        for (int i = 0; i < profile.Streams.Count; i++)
        {
            StreamProfile s = profile.Streams[i];
            if (Find(s.Source.Driver) is SourceDriver driver)
            {
                problems.AddRange(driver.Validate(s, $"$.streams[{i}]"));
            }
            else
            {
                problems.Add($"$.streams[{i}].source.driver: unknown driver '{s.Source.Driver}' (known: {string.Join(", ", Names)})");
            }
        }
        foreach ((SourceDriver driver, List<StreamProfile> streams) in Group(profile))
        {
            problems.AddRange(driver.ValidateSet(streams));
        }
        return problems;
    }

    /// <summary>True when any stream of the profile needs an LSL backend.</summary>
    public bool UsesLsl(DeviceProfile profile) => profile.Streams.Any(s => Find(s.Source.Driver)?.UsesLsl == true);

    /// <summary>True when the stream comes from an in-process simulator.</summary>
    public bool IsSimulated(StreamProfile stream) => Find(stream.Source.Driver)?.IsSimulated == true;

    /// <summary>
    /// Creates the sources of a validated profile, driver by driver in order of first appearance. If one driver
    /// fails, the sources already created are disposed before the error is rethrown.
    /// </summary>
    /// <exception cref="NotSupportedException">A driver cannot run here (e.g. no LSL backend).</exception>
    public async Task<IReadOnlyList<ISource>> CreateAsync(DeviceProfile profile, SourceContext context, CancellationToken cancellationToken)
    {
        var sources = new List<ISource>();
        try
        {
            foreach ((SourceDriver driver, List<StreamProfile> streams) in Group(profile))
            {
                sources.AddRange(await driver.CreateAsync(streams, context, cancellationToken).ConfigureAwait(false));
            }
        }
        catch
        {
            foreach (IDisposable disposable in sources.OfType<IDisposable>())
            {
                disposable.Dispose();
            }
            throw;
        }
        return sources;
    }

    private IEnumerable<(SourceDriver Driver, List<StreamProfile> Streams)> Group(DeviceProfile profile)
    {
        var groups = new List<(SourceDriver Driver, List<StreamProfile> Streams)>();
        foreach (StreamProfile s in profile.Streams)
        {
            if (Find(s.Source.Driver) is not SourceDriver driver)
            {
                continue;
            }
            int index = groups.FindIndex(g => ReferenceEquals(g.Driver, driver));
            if (index < 0)
            {
                groups.Add((driver, [s]));
            }
            else
            {
                groups[index].Streams.Add(s);
            }
        }
        return groups;
    }
}
