using System.Net;
using System.Net.Sockets;

namespace AcqService.Lsl.Managed;

/// <summary>
/// The receive loop every UDP socket of the managed backend runs (outlet responders, time replies, resolver
/// replies): receive until cancelled or the socket is closed, skip transient socket errors, hand each datagram
/// to the caller. One place for the error policy, so no socket loop dies on an ICMP hiccup or spins after close.
/// </summary>
internal static class UdpReceiveLoop
{
    /// <summary>Receives datagrams into <paramref name="buffer"/> and calls <paramref name="onDatagram"/> for each, until cancelled or closed.</summary>
    public static async Task RunAsync(Socket socket, byte[] buffer, Func<SocketReceiveFromResult, ValueTask> onDatagram, CancellationToken token)
    {
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!token.IsCancellationRequested)
        {
            SocketReceiveFromResult result;
            try
            {
                result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (!token.IsCancellationRequested)
            {
                // ICMP "port unreachable" from an earlier send surfaces here on some platforms; keep receiving.
                continue;
            }
            catch (SocketException)
            {
                return;
            }
            await onDatagram(result).ConfigureAwait(false);
        }
    }
}
