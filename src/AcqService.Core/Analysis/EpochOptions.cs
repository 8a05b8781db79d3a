namespace AcqService.Core.Analysis;

/// <summary>ERP epoching settings (configuration section <c>Epochs</c>). Times are seconds relative to the marker.</summary>
public sealed class EpochOptions
{
    /// <summary>Keys of the signal streams to epoch; empty = every stream of type EEG.</summary>
    public List<string> Streams { get; set; } = [];

    /// <summary>Epoch start (negative = before the marker).</summary>
    public double TminSeconds { get; set; } = -0.2;

    /// <summary>Epoch end.</summary>
    public double TmaxSeconds { get; set; } = 0.8;

    /// <summary>Whether to subtract the per-channel baseline mean.</summary>
    public bool Baseline { get; set; } = true;

    /// <summary>Baseline interval start; null = <see cref="TminSeconds"/>.</summary>
    public double? BaselineStartSeconds { get; set; }

    /// <summary>Baseline interval end; null = 0 (the marker).</summary>
    public double? BaselineEndSeconds { get; set; } = 0;

    /// <summary>Reject the epoch when any channel's peak-to-peak exceeds this (µV); null = no rejection.</summary>
    public double? RejectPeakToPeakMicrovolts { get; set; } = 150;

    /// <summary>Reject the epoch when any channel's peak-to-peak is below this (µV, flat or disconnected); null = off.</summary>
    public double? FlatPeakToPeakMicrovolts { get; set; } = 0.5;

    /// <summary>Start of the window checked for rejection; null = <see cref="TminSeconds"/>.</summary>
    public double? RejectStartSeconds { get; set; }

    /// <summary>End of the window checked for rejection; null = <see cref="TmaxSeconds"/>.</summary>
    public double? RejectEndSeconds { get; set; }

    /// <summary>Seconds of filtered data kept so that late markers can still be epoched.</summary>
    public double HistorySeconds { get; set; } = 30;

    /// <summary>
    /// Memory cap of the filtered history per stream, in MB (default 512). Only very large streams reach it (512 MB is
    /// 30 s of 64 channels at 35 kHz); they keep as much history as fits, at least two epochs.
    /// </summary>
    public double MaxBufferMegabytes { get; set; } = 512;

    /// <summary>Causal pre-filter.</summary>
    public FilterOptions Filter { get; set; } = new();

    /// <summary>Validates the settings; returns problems as text naming the setting.</summary>
    public IEnumerable<string> Validate()
    {
        if (!(TmaxSeconds > TminSeconds))
        {
            yield return $"Epochs:TmaxSeconds ({TmaxSeconds}) must be greater than Epochs:TminSeconds ({TminSeconds})";
        }
        if (TmaxSeconds - TminSeconds > 10)
        {
            yield return $"Epochs: window {TminSeconds}..{TmaxSeconds} s is longer than 10 s";
        }
        if (Baseline)
        {
            double start = BaselineStartSeconds ?? TminSeconds, end = BaselineEndSeconds ?? 0;
            if (start < TminSeconds || end > TmaxSeconds || !(end > start))
            {
                yield return $"Epochs: baseline {start}..{end} s must be a non-empty interval inside the epoch {TminSeconds}..{TmaxSeconds} s";
            }
        }
        if (RejectPeakToPeakMicrovolts is double r && !(r > 0))
        {
            yield return $"Epochs:RejectPeakToPeakMicrovolts must be positive or null (was {r})";
        }
        if (FlatPeakToPeakMicrovolts is double f && !(f >= 0))
        {
            yield return $"Epochs:FlatPeakToPeakMicrovolts must be ≥ 0 or null (was {f})";
        }
        if (!(MaxBufferMegabytes >= 16 && MaxBufferMegabytes <= 1 << 20))
        {
            yield return $"Epochs:MaxBufferMegabytes must be between 16 and 1048576 (was {MaxBufferMegabytes})";
        }
        if (!(HistorySeconds >= TmaxSeconds - TminSeconds + 1))
        {
            yield return $"Epochs:HistorySeconds ({HistorySeconds}) must exceed the epoch length by at least 1 s";
        }
    }
}
