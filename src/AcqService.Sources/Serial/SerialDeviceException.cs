namespace AcqService.Sources.Serial;

/// <summary>A serial device could not be opened or was lost; the message says what to do about it.</summary>
public sealed class SerialDeviceException : IOException
{
    /// <summary>Creates the exception.</summary>
    public SerialDeviceException(SerialFailure failure, string message, Exception? inner = null)
        : base(message, inner) => Failure = failure;

    /// <summary>What went wrong.</summary>
    public SerialFailure Failure { get; }

    /// <summary>The message for a device that was not found.</summary>
    public static string NotFoundMessage(string port) =>
        $"serial device {port} not found: check that it is plugged in and the path is right " +
        (OperatingSystem.IsWindows() ? "(Device Manager → Ports lists COM names)" : "(ls /dev/ttyUSB* /dev/ttyACM* /dev/serial/by-id/; `./acq streams` lists serial ports)");

    /// <summary>The message for a device the user may not open.</summary>
    public static string PermissionMessage(string port) =>
        OperatingSystem.IsWindows()
            ? $"access to serial device {port} denied: another program may hold it"
            : $"permission denied opening serial device {port}: add yourself to the dialout group with `sudo usermod -aG dialout $USER`, then log out and back in";
}
