namespace AcqService.Lsl.Native;

/// <summary>Maps liblsl error codes and timeouts to .NET conventions in one place.</summary>
internal static class LslErrors
{
    /// <summary>Just below liblsl's <c>LSL_FOREVER</c> (32e6 s), which would turn a call into an unbounded wait.</summary>
    private const double MaxTimeoutSeconds = 31_000_000;

    /// <summary>
    /// <c>lsl_timeout_error</c> → <see cref="TimeoutException"/> (pulls handle it themselves and return 0),
    /// <c>lsl_lost_error</c> → <see cref="LslStreamLostException"/>, <c>lsl_argument_error</c> → <see cref="ArgumentException"/>,
    /// anything else → <see cref="InvalidOperationException"/> carrying <c>lsl_last_error()</c>.
    /// </summary>
    internal static Exception ToException(int errorCode, string operation) => errorCode switch
    {
        Interop.Lsl.TimeoutError => new TimeoutException($"{operation} timed out"),
        Interop.Lsl.LostError => new LslStreamLostException(
            $"{operation}: the stream was lost and cannot be recovered (no source_id or recovery disabled); liblsl: {Interop.Lsl.LastError()}"),
        Interop.Lsl.ArgumentError => new ArgumentException($"{operation}: liblsl rejected an argument: {Interop.Lsl.LastError()}"),
        _ => new InvalidOperationException($"{operation} failed in liblsl (error {errorCode}): {Interop.Lsl.LastError()}"),
    };

    /// <summary>Throws for any negative error code.</summary>
    internal static void ThrowIfError(int errorCode, string operation)
    {
        if (errorCode < 0)
        {
            throw ToException(errorCode, operation);
        }
    }

    /// <summary>Seconds for a liblsl timeout argument; always finite.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, including <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    internal static double ToSeconds(TimeSpan timeout, string paramName = "timeout")
    {
        if (timeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(paramName, timeout, "liblsl calls need a finite, non-negative timeout");
        }
        return Math.Min(timeout.TotalSeconds, MaxTimeoutSeconds);
    }
}
