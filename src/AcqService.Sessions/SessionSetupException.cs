namespace AcqService.Sessions;

/// <summary>A session could not be set up; nothing was started. The message says what is wrong.</summary>
public sealed class SessionSetupException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong (one or more lines).</param>
    /// <param name="isUsageError">True for wrong arguments, settings or profile (exit 2); false when the set-up could not run (device missing, disk; exit 3).</param>
    /// <param name="inner">The cause.</param>
    public SessionSetupException(string message, bool isUsageError, Exception? inner = null)
        : base(message, inner)
    {
        IsUsageError = isUsageError;
    }

    /// <summary>True for wrong arguments, settings or profile; false when the set-up could not run.</summary>
    public bool IsUsageError { get; }
}
