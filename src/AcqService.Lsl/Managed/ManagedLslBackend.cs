using System.Net;
using AcqService.Lsl.Config;

namespace AcqService.Lsl.Managed;

/// <summary>
/// Lab Streaming Layer implemented in C#: the LSL 1.10 wire protocol (UDP discovery, TCP streamfeed, time sync,
/// recovery), byte-compatible with liblsl 1.16/1.17 peers, no native library. IPv4 only (see remarks).
/// </summary>
/// <remarks>
/// IPv6 sockets are never opened (with <see cref="LslIPv6Mode.Allow"/> only IPv4 is used; <see cref="LslIPv6Mode.Force"/>
/// is rejected). Legacy data protocol 100 is not served or read; connections that would need it are closed
/// with a <see cref="Diagnostic"/> message. Everything read from the network is size-capped.
/// </remarks>
public sealed class ManagedLslBackend : ILslBackend
{
    private readonly double _clockOffset;
    private int _disposed;

    /// <summary>Creates the backend with a configuration (use <see cref="LslConfig.Load(Action{string}?)"/> or <see cref="LslConfig.Loopback"/>).</summary>
    /// <exception cref="NotSupportedException">The configuration forces IPv6, which this backend does not implement.</exception>
    public ManagedLslBackend(LslConfig config) : this(config, 0)
    {
    }

    /// <summary>Test hook: every clock reading of this backend (timestamps, time-sync replies, created_at) is shifted by <paramref name="clockOffset"/> seconds.</summary>
    internal ManagedLslBackend(LslConfig config, double clockOffset)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.IPv6 == LslIPv6Mode.Force)
        {
            throw new NotSupportedException("the managed LSL backend supports IPv4 only; ports.IPv6 = force cannot be honoured");
        }
        Config = config;
        _clockOffset = clockOffset;
        string host;
        try
        {
            host = Dns.GetHostName();
        }
        catch (System.Net.Sockets.SocketException)
        {
            host = Environment.MachineName;
        }
        Hostname = host;
    }

    /// <summary>Problems that did not throw: refused peers, malformed packets, lost connections, recoveries.</summary>
    public event EventHandler<string>? Diagnostic;

    /// <summary>The configuration in use.</summary>
    public LslConfig Config { get; }

    /// <inheritdoc />
    public string Name => "managed";

    /// <inheritdoc />
    public string Version => "managed LSL (protocol 110, liblsl 1.17 compatible)";

    /// <summary>Host name written into outlets' stream info.</summary>
    internal string Hostname { get; }

    /// <inheritdoc />
    public double LocalClock() => LslClock.Now() + _clockOffset;

    /// <inheritdoc />
    public IReadOnlyList<LslStreamInfo> Resolve(string? predicate, int minimum, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (timeout <= TimeSpan.Zero || timeout == Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), "resolve needs a finite, positive timeout");
        }
        if (!string.IsNullOrWhiteSpace(predicate))
        {
            Resolver.Validate(predicate);
        }
        string query = Resolver.SessionQuery(Config.SessionId, predicate);
        var resolver = new Resolver(this);
        return Task.Run(() => resolver.ResolveAsync(query, minimum, timeout, cancellationToken), cancellationToken).GetAwaiter().GetResult();
    }

    /// <inheritdoc />
    public ILslContinuousResolver CreateContinuousResolver(string? predicate, TimeSpan forgetAfter)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (!string.IsNullOrWhiteSpace(predicate))
        {
            Resolver.Validate(predicate);
        }
        return new ManagedContinuousResolver(this, Resolver.SessionQuery(Config.SessionId, predicate), forgetAfter);
    }

    /// <inheritdoc />
    public ILslOutlet CreateOutlet(LslStreamInfo info, int chunkSize = 0, int maxBufferedSeconds = 360)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return new ManagedOutlet(this, info, chunkSize, maxBufferedSeconds);
    }

    /// <inheritdoc />
    public ILslInlet CreateInlet(LslStreamInfo info, int maxBufferedSeconds = 360, int maxChunkLength = 0, bool recover = true)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return new ManagedInlet(this, info, maxBufferedSeconds, maxChunkLength, recover);
    }

    /// <summary>Raises <see cref="Diagnostic"/>; a throwing handler never breaks a network loop.</summary>
    internal void Report(string message)
    {
        try
        {
            Diagnostic?.Invoke(this, message);
        }
        catch (Exception)
        {
            // Diagnostics are best effort by design: a faulty subscriber must not kill a socket loop.
        }
    }

    /// <summary>
    /// Marks the backend disposed. Outlets, inlets and resolvers are owned by the caller and disposed individually.
    /// </summary>
    public void Dispose() => Interlocked.Exchange(ref _disposed, 1);
}
