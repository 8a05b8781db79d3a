using System.IO.Ports;

namespace AcqService.Sources.Serial;

/// <summary>
/// <see cref="ISerialTransport"/> over <see cref="SerialPort"/> (System.IO.Ports; on Linux through its native
/// shim, so <c>/dev/ttyUSB0</c>, <c>/dev/ttyACM0</c> and pseudo-terminals all work). Every read and write has a
/// finite timeout; <see cref="Dispose"/> closes the port and unblocks a pending read.
/// </summary>
public sealed class SerialPortTransport : ISerialTransport
{
    private readonly SerialPortSettings _settings;
    private SerialPort? _port;
    private Stream? _stream;
    private int _disposed;

    /// <summary>Creates the transport (nothing is opened yet).</summary>
    public SerialPortTransport(SerialPortSettings settings) => _settings = settings;

    /// <inheritdoc />
    public string Description => _settings.Describe();

    /// <summary>Serial port names the system reports (for <c>acq streams</c>); empty if none or unsupported.</summary>
    public static IReadOnlyList<string> PortNames()
    {
        try
        {
            return [.. SerialPort.GetPortNames().Order(StringComparer.Ordinal)];
        }
        catch (Exception ex) when (ex is PlatformNotSupportedException or IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <inheritdoc />
    public void Open()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        string port = _settings.Port;
        // SerialPort reports a missing device in several ways depending on the platform; check first on Unix
        // so the message is the helpful one. A dangling symlink (device gone) counts as missing too.
        if (!OperatingSystem.IsWindows() && !File.Exists(port))
        {
            throw new SerialDeviceException(SerialFailure.NotFound, SerialDeviceException.NotFoundMessage(port));
        }
        var sp = new SerialPort(port, _settings.BaudRate, _settings.Parity, _settings.DataBits, _settings.StopBits)
        {
            Handshake = _settings.FlowControl,
            ReadTimeout = _settings.ReadTimeoutMs,
            WriteTimeout = Math.Max(100, _settings.ReadTimeoutMs),
            ReadBufferSize = 64 * 1024,
        };
        try
        {
            sp.Open();
        }
        catch (UnauthorizedAccessException ex)
        {
            sp.Dispose();
            // On Unix this exception means EACCES/EPERM (not in the dialout group); a port held by another program
            // fails with an IOException instead. On Windows "access denied" is how a port in use is reported.
            bool denied = !OperatingSystem.IsWindows();
            throw denied
                ? new SerialDeviceException(SerialFailure.PermissionDenied, SerialDeviceException.PermissionMessage(port), ex)
                : new SerialDeviceException(SerialFailure.Busy, $"serial device {port} is in use by another program: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            sp.Dispose();
            throw new SerialDeviceException(SerialFailure.NotFound, SerialDeviceException.NotFoundMessage(port), ex);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            sp.Dispose();
            throw new SerialDeviceException(SerialFailure.BadSettings, $"serial device {port} rejected the settings {_settings.Describe()}: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            sp.Dispose();
            // EBUSY (another program holds the port), EIO (a device that is going away) and the like.
            throw new SerialDeviceException(SerialFailure.Busy, $"serial device {port} could not be opened (in use by another program, or going away?): {ex.Message}", ex);
        }
        _port = sp;
        _stream = sp.BaseStream;
        if (Volatile.Read(ref _disposed) != 0)
        {
            // Cancelled while opening: the registration already ran, close what we just opened.
            sp.Dispose();
            throw new ObjectDisposedException(nameof(SerialPortTransport));
        }
    }

    /// <inheritdoc />
    public int Read(Span<byte> buffer)
    {
        Stream stream = _stream ?? throw new InvalidOperationException("not open");
        try
        {
            int n = stream.Read(buffer);
            if (n == 0)
            {
                // A serial stream returns 0 only when the line hung up (pseudo-terminal master closed).
                throw new SerialDeviceException(SerialFailure.Disconnected, $"serial device {_settings.Port} hung up");
            }
            return n;
        }
        catch (TimeoutException)
        {
            return 0;
        }
        catch (Exception ex) when (ex is IOException and not SerialDeviceException || ex is InvalidOperationException)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            throw new SerialDeviceException(SerialFailure.Disconnected, $"serial device {_settings.Port} was lost: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public void Write(ReadOnlySpan<byte> data)
    {
        Stream stream = _stream ?? throw new InvalidOperationException("not open");
        try
        {
            stream.Write(data);
        }
        catch (TimeoutException ex)
        {
            throw new SerialDeviceException(SerialFailure.WriteTimeout, $"write to serial device {_settings.Port} timed out", ex);
        }
        catch (Exception ex) when (ex is IOException and not SerialDeviceException || ex is InvalidOperationException)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            throw new SerialDeviceException(SerialFailure.Disconnected, $"serial device {_settings.Port} was lost: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            _port?.Dispose();
        }
        catch (IOException)
        {
            // Closing a port whose device is already gone can fail; there is nothing left to release.
        }
    }
}
