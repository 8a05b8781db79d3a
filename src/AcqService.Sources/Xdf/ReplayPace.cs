namespace AcqService.Sources.Xdf;

/// <summary>How fast <see cref="XdfReplaySource"/> plays a recording.</summary>
public enum ReplayPace
{
    /// <summary>As fast as the pipeline accepts it (offline analysis).</summary>
    Fast,
    /// <summary>At the recorded timestamp spacing divided by <see cref="XdfReplayOptions.SpeedFactor"/> (demos, live-path tests).</summary>
    Live,
}
