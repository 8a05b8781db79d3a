using AcqService.Sources.Simulation;

namespace AcqService.Sources.Serial;

/// <summary>
/// A simulated needle trigger box behind a pseudo-terminal: at each scheduled needle event it writes the event's
/// byte code (see <see cref="CodeOf"/>), or a text line, at <c>origin + event time</c>. Driven by
/// <see cref="SerialSimulationRig"/> through <see cref="Step"/>.
/// </summary>
public sealed class TriggerBoxSimulator
{
    private readonly PseudoTerminal _pty;
    private readonly NeedleSchedule _schedule;
    private readonly IReadOnlyList<string> _sites;
    private readonly double _origin;
    private readonly bool _textLines;
    private int _cursor;
    private int _sent;

    /// <summary>Creates the simulator.</summary>
    /// <param name="pty">Where the box "is connected".</param>
    /// <param name="schedule">Needle events (ground truth).</param>
    /// <param name="sites">Acupoints of the simulation, in settings order (they define the codes).</param>
    /// <param name="origin">Host-clock time of schedule time 0.</param>
    /// <param name="textLines">Send <c>needle/insert;…\n</c> lines instead of bytes.</param>
    public TriggerBoxSimulator(PseudoTerminal pty, NeedleSchedule schedule, IReadOnlyList<string> sites, double origin, bool textLines = false)
    {
        if (sites.Count > 12)
        {
            throw new ArgumentException("byte codes cover at most 12 sites (20 codes per site)", nameof(sites));
        }
        _pty = pty;
        _schedule = schedule;
        _sites = sites;
        _origin = origin;
        _textLines = textLines;
    }

    /// <summary>Events written.</summary>
    public int Sent => Volatile.Read(ref _sent);

    /// <summary>True once every event is written.</summary>
    public bool Finished => _cursor >= _schedule.Events.Count;

    /// <summary>
    /// The byte code of an event: 20 × site index + the simulator's code (insert 1, manipulate 2, remove 3; +10 for
    /// sham). Site 0 (ST36 by default) therefore uses 0x01–0x03 (real) and 0x0B–0x0D (sham).
    /// </summary>
    public static byte CodeOf(NeedleEvent e, IReadOnlyList<string> sites)
    {
        int site = 0;
        for (int i = 0; i < sites.Count; i++)
        {
            if (sites[i] == e.Site)
            {
                site = i;
            }
        }
        return (byte)((20 * site) + e.Code);
    }

    /// <summary>The code map a profile needs for these sites (code key → label), e.g. <c>0x01</c> → <c>needle/insert;site=ST36;kind=real</c>.</summary>
    public static Dictionary<string, string> CodeMap(IReadOnlyList<string> sites)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string site in sites)
        {
            foreach (NeedleAction action in Enum.GetValues<NeedleAction>())
            {
                foreach (bool real in new[] { true, false })
                {
                    var e = new NeedleEvent(0, action, real, site, 0);
                    map[TriggerBoxOptions.ByteKey(CodeOf(e, sites))] = e.Label;
                }
            }
        }
        return map;
    }

    /// <summary>Writes every event due by <paramref name="now"/> (host clock).</summary>
    public void Step(double now)
    {
        IReadOnlyList<NeedleEvent> events = _schedule.Events;
        while (_cursor < events.Count && _origin + events[_cursor].Time <= now)
        {
            NeedleEvent e = events[_cursor++];
            bool written = _textLines
                ? _pty.Write(System.Text.Encoding.ASCII.GetBytes(e.Label + "\r\n"))
                : _pty.Write([CodeOf(e, _sites)]);
            if (written)
            {
                Interlocked.Increment(ref _sent);
            }
        }
    }
}
