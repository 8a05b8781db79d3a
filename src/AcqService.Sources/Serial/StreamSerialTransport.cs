namespace AcqService.Sources.Serial;

/// <summary>
/// <see cref="ISerialTransport"/> over a <see cref="Stream"/>: byte fixtures, generated garbage, a file capture of a
/// real device. The end of the stream counts as the device going away. Written bytes are collected in
/// <see cref="Written"/> (commands the driver sent).
/// </summary>
public sealed class StreamSerialTransport : ISerialTransport
{
    private readonly Stream _stream;
    private readonly int _maxReadBytes;
    private readonly MemoryStream _written = new();
    private int _disposed;

    /// <summary>Creates the transport.</summary>
    /// <param name="stream">Bytes the "device" sends.</param>
    /// <param name="maxReadBytes">Largest read returned at once (small values imitate a slow line).</param>
    /// <param name="description">Name for logs.</param>
    public StreamSerialTransport(Stream stream, int maxReadBytes = 4096, string description = "stream")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxReadBytes, 1);
        _stream = stream;
        _maxReadBytes = maxReadBytes;
        Description = description;
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>Bytes written by the driver so far.</summary>
    public byte[] Written
    {
        get
        {
            lock (_written)
            {
                return _written.ToArray();
            }
        }
    }

    /// <inheritdoc />
    public void Open() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <inheritdoc />
    public int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        int n = _stream.Read(buffer[..Math.Min(buffer.Length, _maxReadBytes)]);
        if (n == 0)
        {
            throw new SerialDeviceException(SerialFailure.Disconnected, $"{Description}: end of stream");
        }
        return n;
    }

    /// <inheritdoc />
    public void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        lock (_written)
        {
            _written.Write(data);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stream.Dispose();
        }
    }
}
