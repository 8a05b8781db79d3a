using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using AcqService.Lsl.Config;

namespace AcqService.Lsl.Managed;

/// <summary>
/// The UDP side of a managed outlet: answers <c>LSL:shortinfo</c> discovery queries on the multicast-port responders
/// and on the service socket, and <c>LSL:timedata</c> clock probes on the service socket (§3, §5).
/// </summary>
internal sealed class OutletDiscoveryResponder : IDisposable
{
    private readonly ManagedLslBackend _backend;
    private readonly LslConfig _config;
    private readonly string _streamName;
    private readonly QueryMatcher _matcher;
    private readonly string _shortInfo;
    private readonly Socket _service;
    private readonly List<Socket> _responders = [];

    /// <summary>Opens the responders (a failure to open one is reported, not thrown); takes ownership of <paramref name="service"/>.</summary>
    public OutletDiscoveryResponder(ManagedLslBackend backend, string streamName, QueryMatcher matcher, string shortInfo, Socket service)
    {
        _backend = backend;
        _config = backend.Config;
        _streamName = streamName;
        _matcher = matcher;
        _shortInfo = shortInfo;
        _service = service;
        OpenResponders();
    }

    /// <summary>Starts one receive loop per socket; <paramref name="track"/> gets each loop's task.</summary>
    public void Start(Action<Task> track, CancellationToken token)
    {
        track(UdpLoopAsync(_service, isService: true, token));
        foreach (Socket responder in _responders)
        {
            track(UdpLoopAsync(responder, isService: false, token));
        }
    }

    private void OpenResponders()
    {
        IPAddress bindAddress = PortBinder.BindAddress(_config);
        foreach (IPAddress address in _config.DiscoveryAddresses)
        {
            if (address.AddressFamily != AddressFamily.InterNetwork)
            {
                // The managed backend speaks IPv4 only (see report); IPv6 discovery addresses are skipped.
                continue;
            }
            bool isMulticast = IsMulticast(address);
            if (isMulticast && _config.ResolveScope == LslResolveScope.Machine)
            {
                continue;
            }
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(new IPEndPoint(bindAddress, _config.MulticastPort));
                if (isMulticast)
                {
                    JoinGroup(socket, address);
                }
                _responders.Add(socket);
            }
            catch (SocketException ex)
            {
                _backend.Report($"outlet '{_streamName}': responder for {address} on port {_config.MulticastPort} not opened: {ex.Message}");
                socket.Dispose();
            }
        }
    }

    private void JoinGroup(Socket socket, IPAddress group)
    {
        IEnumerable<IPAddress> interfaces = _config.Interfaces.Count > 0
            ? _config.Interfaces.Select(text => IPAddress.TryParse(text, out IPAddress? a) ? a : null).Where(a => a?.AddressFamily == AddressFamily.InterNetwork).Select(a => a!)
            : NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus == OperationalStatus.Up && n.SupportsMulticast)
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(u => u.Address)
                .Where(a => a.AddressFamily == AddressFamily.InterNetwork);
        int joined = 0;
        foreach (IPAddress local in interfaces)
        {
            try
            {
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(group, local));
                joined++;
            }
            catch (SocketException ex)
            {
                _backend.Report($"outlet '{_streamName}': joining {group} on {local} failed: {ex.Message}");
            }
        }
        if (joined == 0)
        {
            throw new SocketException((int)SocketError.AddressNotAvailable);
        }
    }

    internal static bool IsMulticast(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork ? (address.GetAddressBytes()[0] & 0xF0) == 0xE0 : address.IsIPv6Multicast;

    private Task UdpLoopAsync(Socket socket, bool isService, CancellationToken token)
    {
        byte[] buffer = new byte[LslLimits.MaxDatagramBytes + 1];
        return UdpReceiveLoop.RunAsync(socket, buffer, async result =>
        {
            double received = _backend.LocalClock();
            try
            {
                await HandleDatagramAsync(socket, buffer.AsMemory(0, result.ReceivedBytes), (IPEndPoint)result.RemoteEndPoint, received, isService, token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or FormatException or ArgumentException or OverflowException)
            {
                _backend.Report($"outlet '{_streamName}': bad UDP request from {result.RemoteEndPoint}: {ex.Message}");
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                // Shutting down: the loop sees the cancelled token or the closed socket on its next receive.
            }
        }, token);
    }

    private async ValueTask HandleDatagramAsync(Socket socket, ReadOnlyMemory<byte> datagram, IPEndPoint source, double received, bool isService, CancellationToken token)
    {
        if (datagram.Length > LslLimits.MaxDatagramBytes)
        {
            _backend.Report($"outlet '{_streamName}': oversized datagram from {source} ignored");
            return;
        }
        string text = Encoding.UTF8.GetString(datagram.Span);
        int firstEnd = text.IndexOf('\n', StringComparison.Ordinal);
        string method = (firstEnd < 0 ? text : text[..firstEnd]).Trim(' ', '\t', '\r', '\n');
        string rest = firstEnd < 0 ? "" : text[(firstEnd + 1)..];
        if (method == "LSL:shortinfo")
        {
            int queryEnd = rest.IndexOf('\n', StringComparison.Ordinal);
            if (queryEnd < 0)
            {
                throw new FormatException("shortinfo query without return port line");
            }
            string query = rest[..queryEnd].Trim(' ', '\t', '\r', '\n');
            string[] tokens = rest[(queryEnd + 1)..].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length < 2 || !ushort.TryParse(tokens[0], NumberStyles.None, CultureInfo.InvariantCulture, out ushort returnPort))
            {
                throw new FormatException("shortinfo query without '<return-port> <query-id>'");
            }
            if (!_matcher.Matches(query))
            {
                return;
            }
            byte[] reply = WireFormat.ShortInfoReply(tokens[1], _shortInfo);
            await socket.SendToAsync(reply, SocketFlags.None, new IPEndPoint(source.Address, returnPort), token).ConfigureAwait(false);
        }
        else if (method == "LSL:timedata" && isService)
        {
            string[] tokens = rest.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length < 2
                || !int.TryParse(tokens[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int waveId)
                || !double.TryParse(tokens[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double t0))
            {
                throw new FormatException("timedata request without '<wave-id> <t0>'");
            }
            string reply = " " + waveId.ToString(CultureInfo.InvariantCulture) + " " + WireFormat.FormatClock(t0) + " "
                + WireFormat.FormatClock(received) + " " + WireFormat.FormatClock(_backend.LocalClock());
            await socket.SendToAsync(Encoding.ASCII.GetBytes(reply), SocketFlags.None, source, token).ConfigureAwait(false);
        }
        else
        {
            _backend.Report($"outlet '{_streamName}': unknown UDP request '{Truncate(method)}' from {source} ignored");
        }
    }

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "…";

    /// <summary>Closes the service socket and every responder, which ends their loops.</summary>
    public void Dispose()
    {
        _service.Dispose();
        foreach (Socket responder in _responders)
        {
            responder.Dispose();
        }
    }
}
