namespace AcqService.Lsl.Managed;

/// <summary>Upper bounds for everything read from the network, so a hostile peer can never force an unbounded allocation.</summary>
internal static class LslLimits
{
    /// <summary>Longest request/status line (method line, query line) accepted over TCP.</summary>
    public const int MaxLineBytes = 64 * 1024;

    /// <summary>Largest header block (all header lines together).</summary>
    public const int MaxHeaderBytes = 64 * 1024;

    /// <summary>Largest stream-info XML accepted (fullinfo over TCP).</summary>
    public const int MaxXmlBytes = 4 * 1024 * 1024;

    /// <summary>Largest UDP datagram (IPv4 payload maximum).</summary>
    public const int MaxDatagramBytes = 65507;

    /// <summary>Longest string value in a sample (bytes).</summary>
    public const int MaxStringBytes = 16 * 1024 * 1024;

    /// <summary>Most channels accepted from a remote stream info.</summary>
    public const int MaxChannelCount = 1 << 16;

    /// <summary>
    /// Most bytes an inlet's receive buffer may hold (values as doubles plus per-sample overhead). Reached only when the
    /// consumer falls behind a very wide, fast stream; the oldest samples are then dropped and counted.
    /// </summary>
    public const double MaxInletBufferBytes = 512.0 * 1024 * 1024;

    /// <summary>Bookkeeping per buffered sample besides its values (array header, queue slot, timestamp).</summary>
    public const int BufferedSampleOverheadBytes = 64;

    /// <summary>Time allowed for a TCP request or response header exchange.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Time allowed for a TCP connect.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Time background loops get to finish on dispose.</summary>
    public static readonly TimeSpan DisposeTimeout = TimeSpan.FromSeconds(2);
}
