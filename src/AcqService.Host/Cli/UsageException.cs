namespace AcqService.Host.Cli;

/// <summary>Wrong command-line arguments; the message says what is wrong and how to get help.</summary>
internal sealed class UsageException(string message) : Exception(message);
