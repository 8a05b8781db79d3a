using AcqService.Dsp;

namespace AcqService.Core.Analysis;

/// <summary>Alpha band-power settings (configuration section <c>Alpha</c>).</summary>
public sealed class AlphaOptions
{
    /// <summary>Keys of the signal streams to analyse; empty = every stream of type EEG.</summary>
    public List<string> Streams { get; set; } = [];

    /// <summary>Length of the analysed window ending at each update.</summary>
    public double WindowSeconds { get; set; } = 2;

    /// <summary>Welch segment length.</summary>
    public double SegmentSeconds { get; set; } = 1;

    /// <summary>Welch segment overlap as a fraction of the segment (0 ≤ x &lt; 1).</summary>
    public double Overlap { get; set; } = 0.5;

    /// <summary>Welch window.</summary>
    public WindowKind Window { get; set; } = WindowKind.Hann;

    /// <summary>Per-segment detrending.</summary>
    public DetrendKind Detrend { get; set; } = DetrendKind.Constant;

    /// <summary>Alpha band lower edge (inclusive).</summary>
    public double BandLowHz { get; set; } = 8;

    /// <summary>Alpha band upper edge (inclusive).</summary>
    public double BandHighHz { get; set; } = 13;

    /// <summary>Lower edge of the broad band used for relative power.</summary>
    public double BroadLowHz { get; set; } = 1;

    /// <summary>Upper edge of the broad band used for relative power.</summary>
    public double BroadHighHz { get; set; } = 40;

    /// <summary>Time between updates, in seconds of signal (independent of how the data is chunked).</summary>
    public double UpdateIntervalSeconds { get; set; } = 0.5;

    /// <summary>Regions of interest (name → channel labels); empty = the device profile's regions.</summary>
    public Dictionary<string, List<string>> Regions { get; set; } = [];

    /// <summary>Pre-event interval for the pre/post summary, relative to the event (update times = window end).</summary>
    public double PreStartSeconds { get; set; } = -3;

    /// <summary>End of the pre-event interval.</summary>
    public double PreEndSeconds { get; set; }

    /// <summary>Start of the post-event interval. With a 2 s window, +3 s keeps pre-event data out of post windows.</summary>
    public double PostStartSeconds { get; set; } = 3;

    /// <summary>End of the post-event interval.</summary>
    public double PostEndSeconds { get; set; } = 10;

    /// <summary>Validates the settings; returns problems as text naming the setting.</summary>
    public IEnumerable<string> Validate()
    {
        if (!(SegmentSeconds > 0) || !(WindowSeconds >= SegmentSeconds))
        {
            yield return $"Alpha: WindowSeconds ({WindowSeconds}) must be ≥ SegmentSeconds ({SegmentSeconds}) > 0";
        }
        if (!(Overlap >= 0 && Overlap < 1))
        {
            yield return $"Alpha:Overlap must be in [0, 1) (was {Overlap})";
        }
        if (!(BandHighHz > BandLowHz && BandLowHz >= 0))
        {
            yield return $"Alpha: band {BandLowHz}..{BandHighHz} Hz is empty";
        }
        if (!(BroadHighHz > BroadLowHz && BroadLowHz >= 0))
        {
            yield return $"Alpha: broad band {BroadLowHz}..{BroadHighHz} Hz is empty";
        }
        if (!(UpdateIntervalSeconds > 0))
        {
            yield return $"Alpha:UpdateIntervalSeconds must be positive (was {UpdateIntervalSeconds})";
        }
        if (!(PreEndSeconds > PreStartSeconds) || !(PostEndSeconds > PostStartSeconds))
        {
            yield return "Alpha: pre and post intervals must be non-empty";
        }
    }
}
