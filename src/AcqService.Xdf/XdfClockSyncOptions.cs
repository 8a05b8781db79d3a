namespace AcqService.Xdf;

/// <summary>Parameters of <see cref="XdfClockSync"/>; defaults are pyxdf's <c>load_xdf</c> defaults.</summary>
public sealed record XdfClockSyncOptions
{
    /// <summary>Split the offset series at detected clock resets (pyxdf <c>handle_clock_resets</c>).</summary>
    public bool HandleClockResets { get; init; } = true;

    /// <summary>MAD multiples a collection-time interval must deviate by to count as a time glitch.</summary>
    public double ResetThresholdStds { get; init; } = 5;

    /// <summary>Seconds a collection-time interval must deviate by to count as a time glitch.</summary>
    public double ResetThresholdSeconds { get; init; } = 5;

    /// <summary>MAD multiples an offset-value step must deviate by to count as a value glitch.</summary>
    public double ResetThresholdOffsetStds { get; init; } = 10;

    /// <summary>Seconds an offset-value step must deviate by to count as a value glitch.</summary>
    public double ResetThresholdOffsetSeconds { get; init; } = 1;

    /// <summary>Residuals above roughly this many seconds are treated robustly (Huber transition), pyxdf <c>winsor_threshold</c>.</summary>
    public double WinsorThreshold { get; init; } = 1e-4;

    /// <summary>ADMM augmented-Lagrangian parameter ρ.</summary>
    public double Rho { get; init; } = 1;

    /// <summary>ADMM iterations.</summary>
    public int Iterations { get; init; } = 1000;
}
