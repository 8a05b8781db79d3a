namespace AcqService.Sources.Serial;

/// <summary>
/// The byte seam between a serial device driver and the port: <see cref="SerialPortTransport"/> over
/// <see cref="System.IO.Ports.SerialPort"/> in production, <see cref="StreamSerialTransport"/> over any
/// <see cref="Stream"/> in tests (decoders are fed bytes directly). One instance is one connection: after an
/// error the driver disposes it and asks its factory for a new one.
/// </summary>
/// <remarks>
/// Cancellation contract: <see cref="IDisposable.Dispose"/> may be called from another thread while
/// <see cref="Read"/> blocks and must make that read return or throw promptly. Drivers register it on their
/// cancellation token, which is the portable way to abort a blocking serial read (the serial stream ignores
/// cancellation tokens on Windows, dotnet/corefx#41095).
/// </remarks>
public interface ISerialTransport : IDisposable
{
    /// <summary>What is connected, for logs (e.g. <c>/dev/ttyUSB0 115200 8N1</c>).</summary>
    string Description { get; }

    /// <summary>Opens the connection.</summary>
    /// <exception cref="SerialDeviceException">The device is missing, busy, not accessible, or rejects the settings.</exception>
    void Open();

    /// <summary>
    /// Reads the bytes available, waiting at most the configured read timeout for the first one.
    /// Returns the count, or 0 when the timeout passed without data.
    /// </summary>
    /// <exception cref="SerialDeviceException">The device went away (unplugged, I/O error, end of stream).</exception>
    /// <exception cref="ObjectDisposedException">Disposed (cancellation) during or before the read.</exception>
    int Read(Span<byte> buffer);

    /// <summary>Writes bytes (commands to the device, trigger codes), waiting at most the write timeout.</summary>
    /// <exception cref="SerialDeviceException">The device went away or the write timed out.</exception>
    void Write(ReadOnlySpan<byte> data);
}
