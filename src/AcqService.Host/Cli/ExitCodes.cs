namespace AcqService.Host.Cli;

/// <summary>Process exit codes (documented in the README).</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>The session ran but a source or stage failed; results written for what was received.</summary>
    public const int SessionErrors = 1;
    /// <summary>Wrong arguments, invalid settings or device profile; nothing was started.</summary>
    public const int Usage = 2;
    /// <summary>The command could not run (I/O error, device missing, unexpected failure).</summary>
    public const int Failure = 3;
    /// <summary><c>acq check</c>: the worst channel or stream is a warning.</summary>
    public const int CheckWarn = 4;
    /// <summary><c>acq check</c>: at least one channel or stream failed (flat, railed, mains, no data…).</summary>
    public const int CheckFail = 5;
    /// <summary>Interrupted before finishing (Ctrl+C during a non-session command).</summary>
    public const int Interrupted = 130;
}
