namespace AcqService.Core.Pipeline;

/// <summary>
/// The one place where a session's edges are created: it applies the policy table from
/// <see cref="PipelineOptions"/> and keeps every edge so status and the session summary can report
/// throughput and drops.
/// </summary>
public sealed class EdgeFactory
{
    private readonly List<IEdgeStatus> _edges = [];

    /// <summary>Creates the factory with the session's policies.</summary>
    public EdgeFactory(PipelineOptions options)
    {
        Options = options;
    }

    /// <summary>The policy table.</summary>
    public PipelineOptions Options { get; }

    /// <summary>Every edge created so far, for status reports.</summary>
    public IReadOnlyList<IEdgeStatus> Edges => _edges;

    /// <summary>Creates a lossless data edge.</summary>
    public Edge<T> Data<T>(string name, bool singleWriter = true, Action<T>? onDropped = null) =>
        Create(name, Options.DataEdge, singleWriter, onDropped);

    /// <summary>Creates a display edge (drops oldest, counted).</summary>
    public Edge<T> Display<T>(string name, Action<T>? onDropped = null) =>
        Create(name, Options.DisplayEdge, true, onDropped);

    /// <summary>Creates a recorder edge (never blocks, fails when full).</summary>
    public Edge<T> Recorder<T>(string name, Action<T>? onDropped = null) =>
        Create(name, Options.RecorderEdge, true, onDropped);

    private Edge<T> Create<T>(string name, EdgePolicy policy, bool singleWriter, Action<T>? onDropped)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(policy.Capacity, 1);
        var edge = new Edge<T>(name, policy, singleWriter, onDropped);
        _edges.Add(new EdgeStatus<T>(edge));
        return edge;
    }

    private sealed class EdgeStatus<T>(Edge<T> edge) : IEdgeStatus
    {
        public string Name => edge.Name;
        public EdgeMode Mode => edge.Policy.Mode;
        public int Capacity => edge.Policy.Capacity;
        public long Written => edge.Written;
        public long Dropped => edge.Dropped;
        public int Queued => edge.Queued;
    }
}

/// <summary>Read-only view of an edge's counters.</summary>
public interface IEdgeStatus
{
    /// <summary>Edge name.</summary>
    string Name { get; }
    /// <summary>Full mode.</summary>
    EdgeMode Mode { get; }
    /// <summary>Capacity in items.</summary>
    int Capacity { get; }
    /// <summary>Items accepted.</summary>
    long Written { get; }
    /// <summary>Items dropped (display edges).</summary>
    long Dropped { get; }
    /// <summary>Items queued now.</summary>
    int Queued { get; }
}
