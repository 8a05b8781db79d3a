namespace AcqService.Sources.Serial;

/// <summary>Why a serial connection failed, so a driver can decide between retrying and giving up.</summary>
public enum SerialFailure
{
    /// <summary>No such device (not plugged in, wrong path).</summary>
    NotFound,
    /// <summary>The user may not open the device (Linux: not in the <c>dialout</c> group).</summary>
    PermissionDenied,
    /// <summary>Another program holds the port.</summary>
    Busy,
    /// <summary>The port rejected the line settings (baud rate, data bits…).</summary>
    BadSettings,
    /// <summary>The device went away during the session (unplugged, I/O error).</summary>
    Disconnected,
    /// <summary>A write did not complete in time.</summary>
    WriteTimeout,
}
