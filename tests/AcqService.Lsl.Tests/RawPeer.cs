using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AcqService.Lsl.Tests;

/// <summary>Hand-written loopback peers for byte-level tests; they only ever talk to 127.0.0.1.</summary>
internal static class RawPeer
{
    public static Socket Connect(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 5000, SendTimeout = 5000 };
        socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        return socket;
    }

    public static void Send(Socket socket, string text) => socket.Send(Encoding.UTF8.GetBytes(text));

    /// <summary>Reads exactly <paramref name="count"/> bytes (5 s socket timeout).</summary>
    public static byte[] ReadExactly(Socket socket, int count)
    {
        byte[] buffer = new byte[count];
        int have = 0;
        while (have < count)
        {
            int n = socket.Receive(buffer, have, count - have, SocketFlags.None);
            if (n == 0)
            {
                throw new EndOfStreamException($"EOF after {have} of {count} bytes");
            }
            have += n;
        }
        return buffer;
    }

    /// <summary>Reads until the peer closes (or a cap), returns what came.</summary>
    public static byte[] ReadToEnd(Socket socket, int cap = 1 << 20)
    {
        var all = new MemoryStream();
        byte[] buffer = new byte[8192];
        try
        {
            while (all.Length < cap)
            {
                int n = socket.Receive(buffer);
                if (n == 0)
                {
                    break;
                }
                all.Write(buffer, 0, n);
            }
        }
        catch (SocketException)
        {
            // A reset counts as closed.
        }
        return all.ToArray();
    }

    /// <summary>Reads the response header block up to and including the empty line.</summary>
    public static string ReadHeader(Socket socket)
    {
        var sb = new StringBuilder();
        while (!sb.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            sb.Append((char)ReadExactly(socket, 1)[0]);
        }
        return sb.ToString();
    }

    /// <summary>True when the peer closes the connection within the socket timeout.</summary>
    public static bool IsClosedByPeer(Socket socket)
    {
        try
        {
            byte[] buffer = new byte[4096];
            while (true)
            {
                int n = socket.Receive(buffer);
                if (n == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode == SocketError.ConnectionReset;
        }
    }
}
