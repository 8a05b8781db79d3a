namespace AcqService.Core.Pipeline;

/// <summary>
/// Ends a <see cref="PeriodicTimer"/> loop by disposing the timer when a token is cancelled, so the pending
/// <see cref="PeriodicTimer.WaitForNextTickAsync"/> returns false instead of throwing.
/// </summary>
/// <remarks>
/// Why not pass the token to <c>WaitForNextTickAsync</c>: every session ends by cancelling its periodic loops, and each
/// <see cref="OperationCanceledException"/> thrown through an async method builds a stack trace with source lines;
/// the first one loads the runtime's PDB reader, at the end of every session (and of every short <c>acq analyze</c>).
/// </remarks>
public static class PeriodicTicks
{
    /// <summary>
    /// Disposes <paramref name="timer"/> when <paramref name="cancellationToken"/> is cancelled; dispose the returned
    /// registration when the loop ends. Loop with <c>while (await timer.WaitForNextTickAsync())</c>, without the token.
    /// </summary>
    public static CancellationTokenRegistration StopOn(this PeriodicTimer timer, CancellationToken cancellationToken) =>
        cancellationToken.UnsafeRegister(static t => ((PeriodicTimer)t!).Dispose(), timer);
}
