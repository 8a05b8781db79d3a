namespace AcqService.Sources.Simulation;

/// <summary>Needle actions the simulated marker source emits.</summary>
public enum NeedleAction
{
    /// <summary>Needle inserted.</summary>
    Insert,
    /// <summary>Needle manipulated (twirling / lifting-thrusting).</summary>
    Manipulate,
    /// <summary>Needle removed.</summary>
    Remove,
}

/// <summary>One scheduled needle event of the simulation (ground truth).</summary>
/// <param name="Time">Seconds after the simulation origin (true time, local clock − origin).</param>
/// <param name="Action">Insert, manipulate or remove.</param>
/// <param name="Real">True for a real needle, false for a sham (non-penetrating) needle.</param>
/// <param name="Site">Acupoint, e.g. <c>ST36</c>.</param>
/// <param name="Trial">Trial (needle) number from 0.</param>
public sealed record NeedleEvent(double Time, NeedleAction Action, bool Real, string Site, int Trial)
{
    /// <summary>Marker label, e.g. <c>needle/insert;site=ST36;kind=real</c>.</summary>
    public string Label => $"needle/{Action.ToString().ToLowerInvariant()};site={Site};kind={(Real ? "real" : "sham")}";

    /// <summary>Numeric code: 1/2/3 for insert/manipulate/remove, +10 for sham.</summary>
    public int Code => (int)Action + 1 + (Real ? 0 : 10);
}
