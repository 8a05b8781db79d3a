using AcqService.Dsp;

namespace AcqService.Core.Analysis;

/// <summary>Causal pre-filter applied before epoching (configuration section <c>Epochs:Filter</c>).</summary>
public sealed class FilterOptions
{
    /// <summary>Whether the filter is applied at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>High-pass corner in Hz (Butterworth); 0 or null = none.</summary>
    public double? HighPassHz { get; set; } = 0.1;

    /// <summary>Low-pass corner in Hz (Butterworth); 0 or null = none.</summary>
    public double? LowPassHz { get; set; } = 30;

    /// <summary>Butterworth order (SciPy's N; a band-pass has N sections).</summary>
    public int Order { get; set; } = 2;

    /// <summary>Notch frequency in Hz (mains: 50 or 60); 0 or null = none.</summary>
    public double? NotchHz { get; set; } = 50;

    /// <summary>Notch quality factor (bandwidth = f0 / Q).</summary>
    public double NotchQuality { get; set; } = 30;

    /// <summary>Validates against a sampling rate; returns problems as text.</summary>
    public IEnumerable<string> Validate(double sampleRateHz, string prefix)
    {
        if (!Enabled)
        {
            yield break;
        }
        double nyquist = sampleRateHz / 2;
        if (HighPassHz is double hp && hp != 0 && !(hp > 0 && hp < nyquist))
        {
            yield return $"{prefix}:HighPassHz must be between 0 and the Nyquist frequency {nyquist} Hz (was {hp})";
        }
        if (LowPassHz is double lp && lp != 0 && !(lp > 0 && lp < nyquist))
        {
            yield return $"{prefix}:LowPassHz must be between 0 and the Nyquist frequency {nyquist} Hz (was {lp})";
        }
        if (HighPassHz is > 0 && LowPassHz is > 0 && HighPassHz >= LowPassHz)
        {
            yield return $"{prefix}:HighPassHz ({HighPassHz}) must be below LowPassHz ({LowPassHz})";
        }
        if (Order is < 1 or > 8)
        {
            yield return $"{prefix}:Order must be 1..8 (was {Order})";
        }
        if (NotchHz is double n && n != 0 && !(n > 0 && n < nyquist))
        {
            yield return $"{prefix}:NotchHz must be between 0 and the Nyquist frequency {nyquist} Hz (was {n})";
        }
        if (!(NotchQuality > 0))
        {
            yield return $"{prefix}:NotchQuality must be positive (was {NotchQuality})";
        }
    }

    /// <summary>Second-order sections for this configuration at <paramref name="sampleRateHz"/>, or null when nothing is to be filtered.</summary>
    public double[]? Design(double sampleRateHz)
    {
        if (!Enabled)
        {
            return null;
        }
        var parts = new List<double[]>();
        bool hp = HighPassHz is > 0, lp = LowPassHz is > 0;
        if (hp && lp)
        {
            parts.Add(FilterDesign.ButterworthBandPass(Order, HighPassHz!.Value, LowPassHz!.Value, sampleRateHz));
        }
        else if (hp)
        {
            parts.Add(FilterDesign.ButterworthHighPass(Order, HighPassHz!.Value, sampleRateHz));
        }
        else if (lp)
        {
            parts.Add(FilterDesign.ButterworthLowPass(Order, LowPassHz!.Value, sampleRateHz));
        }
        if (NotchHz is > 0)
        {
            parts.Add(FilterDesign.Notch(NotchHz.Value, NotchQuality, sampleRateHz));
        }
        return parts.Count == 0 ? null : FilterDesign.Cascade([.. parts]);
    }
}
