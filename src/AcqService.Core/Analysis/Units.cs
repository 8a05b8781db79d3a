namespace AcqService.Core.Analysis;

/// <summary>Unit handling for signal amplitudes; analysis works in microvolts.</summary>
public static class Units
{
    /// <summary>
    /// Factor that converts values in <paramref name="unit"/> to microvolts. Unknown or empty units are taken
    /// as microvolts (the LSL/XDF convention for EEG); the session metadata records the assumption.
    /// </summary>
    public static double ToMicrovolts(string? unit) => (unit ?? "").Trim() switch
    {
        "V" or "volt" or "volts" or "Volts" => 1e6,
        "mV" or "millivolt" or "millivolts" => 1e3,
        "nV" or "nanovolt" or "nanovolts" => 1e-3,
        _ => 1.0,
    };

    /// <summary>True when <paramref name="unit"/> is a recognised voltage unit.</summary>
    public static bool IsKnownVoltage(string? unit) => (unit ?? "").Trim() is "uV" or "µV" or "μV" or "microvolts" or "microvolt"
        or "V" or "volt" or "volts" or "Volts" or "mV" or "millivolt" or "millivolts" or "nV" or "nanovolt" or "nanovolts";
}
