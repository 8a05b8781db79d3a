using System.Net;
using System.Net.Sockets;
using AcqService.Lsl.Config;

namespace AcqService.Lsl.Managed;

/// <summary>Binds sockets to the first free port of the configured range (or an OS-chosen port when allowed).</summary>
internal static class PortBinder
{
    /// <summary>The local address sockets bind to: <c>ListenAddress</c> if set, else any.</summary>
    public static IPAddress BindAddress(LslConfig config) =>
        config.ListenAddress.Length > 0 && IPAddress.TryParse(config.ListenAddress, out IPAddress? address) ? address : IPAddress.Any;

    /// <summary>A TCP listener socket bound in the range and listening.</summary>
    public static Socket BindTcpListener(LslConfig config)
    {
        Socket socket = BindInRange(config, SocketType.Stream, ProtocolType.Tcp);
        socket.Listen(64);
        return socket;
    }

    /// <summary>A UDP socket bound in the range.</summary>
    public static Socket BindUdp(LslConfig config) => BindInRange(config, SocketType.Dgram, ProtocolType.Udp);

    private static Socket BindInRange(LslConfig config, SocketType type, ProtocolType protocol)
    {
        IPAddress address = BindAddress(config);
        for (int port = config.BasePort; port < config.BasePort + config.PortRange; port++)
        {
            var socket = new Socket(address.AddressFamily, type, protocol);
            try
            {
                socket.Bind(new IPEndPoint(address, port));
                return socket;
            }
            catch (SocketException)
            {
                socket.Dispose();
            }
        }
        if (!config.AllowRandomPorts)
        {
            throw new InvalidOperationException($"no free {protocol} port in {config.BasePort}..{config.BasePort + config.PortRange - 1} and AllowRandomPorts is off");
        }
        var fallback = new Socket(address.AddressFamily, type, protocol);
        try
        {
            fallback.Bind(new IPEndPoint(address, 0));
            return fallback;
        }
        catch
        {
            fallback.Dispose();
            throw;
        }
    }
}
