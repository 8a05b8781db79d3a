using System.Runtime.InteropServices;
using System.Text;

namespace AcqService.Sources.Serial;

/// <summary>
/// A pseudo-terminal pair opened with <c>openpty(3)</c>: the simulator writes the device's bytes into the master
/// side and the service opens the slave side (<see cref="SlavePath"/>, e.g. <c>/dev/pts/7</c>) with
/// <see cref="System.IO.Ports.SerialPort"/> exactly as it would open <c>/dev/ttyUSB0</c>. No external tool is needed.
/// An optional <see cref="LinkPath"/> symbolic link gives the device a stable name across <see cref="Unplug"/> /
/// <see cref="Plug"/> cycles (a re-plugged USB adapter keeps its udev name too). Linux/macOS only.
/// </summary>
public sealed class PseudoTerminal : IDisposable
{
    private readonly object _gate = new();
    private int _master = -1;
    private int _slave = -1;
    private long _dropped;

    /// <summary>Opens a pseudo-terminal pair.</summary>
    /// <param name="linkPath">Optional symbolic link to create (replaced if present) pointing at the slave device.</param>
    /// <exception cref="PlatformNotSupportedException">Not Linux/macOS.</exception>
    /// <exception cref="IOException">openpty failed.</exception>
    public PseudoTerminal(string? linkPath = null)
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("pseudo-terminals need Linux or macOS");
        }
        LinkPath = linkPath;
        Plug();
    }

    /// <summary>True where <c>openpty</c> is available (Linux, macOS).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();

    /// <summary>The slave device of the current pair (changes at every <see cref="Plug"/>).</summary>
    public string SlavePath { get; private set; } = "";

    /// <summary>The stable symbolic link to the slave device, or null.</summary>
    public string? LinkPath { get; }

    /// <summary>Path a client should open: <see cref="LinkPath"/> if set, else <see cref="SlavePath"/>.</summary>
    public string PortPath => LinkPath ?? SlavePath;

    /// <summary>True while the pair is open ("device plugged in").</summary>
    public bool IsPlugged
    {
        get
        {
            lock (_gate)
            {
                return _master >= 0;
            }
        }
    }

    /// <summary>Incremented at every <see cref="Plug"/>: a simulator sees that it was "re-plugged" and resets its state.</summary>
    public int Generation { get; private set; }

    /// <summary>Bytes thrown away because nobody read them in time (a real UART does not wait for the host either).</summary>
    public long DroppedBytes => Interlocked.Read(ref _dropped);

    /// <summary>Opens a new pair (after <see cref="Unplug"/>) and points <see cref="LinkPath"/> at it.</summary>
    public unsafe void Plug()
    {
        lock (_gate)
        {
            if (_master >= 0)
            {
                return;
            }
            int master, slave;
            int rc;
            try
            {
                rc = Interop.Libc.OpenPty(out master, out slave, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero);
            }
            catch (EntryPointNotFoundException)
            {
                rc = Interop.Libc.OpenPtyUtil(out master, out slave, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero);
            }
            if (rc != 0)
            {
                throw new IOException($"openpty failed (errno {Marshal.GetLastPInvokeError()})");
            }
            // Raw mode on the slave: no echo, no line editing, no CR/LF translation, so bytes pass unchanged
            // even before the client configures the port.
            IntPtr termios = Marshal.AllocHGlobal(256);
            try
            {
                new Span<byte>((void*)termios, 256).Clear();
                if (Interop.Libc.TcGetAttr(slave, termios) == 0)
                {
                    Interop.Libc.CfMakeRaw(termios);
                    _ = Interop.Libc.TcSetAttr(slave, 0, termios);
                }
            }
            finally
            {
                Marshal.FreeHGlobal(termios);
            }
            byte* name = stackalloc byte[256];
            if (Interop.Libc.PtsName(master, name, 256) != 0)
            {
                _ = Interop.Libc.Close(master);
                _ = Interop.Libc.Close(slave);
                throw new IOException($"ptsname failed (errno {Marshal.GetLastPInvokeError()})");
            }
            _master = master;
            _slave = slave;
            Generation++;
            SlavePath = Marshal.PtrToStringUTF8((IntPtr)name) ?? "";
            if (LinkPath is not null)
            {
                File.Delete(LinkPath);
                File.CreateSymbolicLink(LinkPath, SlavePath);
            }
        }
    }

    /// <summary>
    /// Closes the pair ("device unplugged"): the client's next read fails with an I/O error, and opening
    /// <see cref="LinkPath"/> fails until <see cref="Plug"/>.
    /// </summary>
    public void Unplug()
    {
        lock (_gate)
        {
            if (_master < 0)
            {
                return;
            }
            _ = Interop.Libc.Close(_master);
            _ = Interop.Libc.Close(_slave);
            _master = -1;
            _slave = -1;
        }
    }

    /// <summary>
    /// Writes bytes as the device would send them. Waits at most <paramref name="timeoutMs"/> for room in the
    /// terminal buffer; what does not fit is dropped and counted. Returns false when unplugged.
    /// </summary>
    public unsafe bool Write(ReadOnlySpan<byte> data, int timeoutMs = 100)
    {
        int fd;
        lock (_gate)
        {
            fd = _master;
        }
        if (fd < 0)
        {
            return false;
        }
        fixed (byte* p = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                Interop.Libc.PollFd poll = new() { Fd = fd, Events = 0x004 }; // POLLOUT
                int ready = Interop.Libc.Poll(&poll, 1, timeoutMs);
                if (ready <= 0 || (poll.Revents & 0x004) == 0)
                {
                    Interlocked.Add(ref _dropped, data.Length - done);
                    return ready >= 0;
                }
                nint n = Interop.Libc.Write(fd, p + done, (nuint)(data.Length - done));
                if (n <= 0)
                {
                    Interlocked.Add(ref _dropped, data.Length - done);
                    return false;
                }
                done += (int)n;
            }
        }
        return true;
    }

    /// <summary>
    /// Reads what the client sent (commands to the device), waiting at most <paramref name="timeoutMs"/>.
    /// Returns the byte count, 0 on timeout or when unplugged.
    /// </summary>
    public unsafe int Read(Span<byte> buffer, int timeoutMs)
    {
        int fd;
        lock (_gate)
        {
            fd = _master;
        }
        if (fd < 0 || buffer.IsEmpty)
        {
            if (timeoutMs > 0)
            {
                Thread.Sleep(Math.Min(timeoutMs, 50));
            }
            return 0;
        }
        Interop.Libc.PollFd poll = new() { Fd = fd, Events = Interop.Libc.PollIn };
        int ready = Interop.Libc.Poll(&poll, 1, timeoutMs);
        if (ready <= 0 || (poll.Revents & Interop.Libc.PollIn) == 0)
        {
            if ((poll.Revents & Interop.Libc.PollHup) != 0 && timeoutMs > 0)
            {
                // Nobody has the slave open: poll returns at once, so wait here instead of spinning.
                Thread.Sleep(Math.Min(timeoutMs, 20));
            }
            return 0;
        }
        fixed (byte* p = buffer)
        {
            nint n = Interop.Libc.Read(fd, p, (nuint)buffer.Length);
            return n > 0 ? (int)n : 0;
        }
    }

    /// <summary>Reads what the client sent as ASCII text (for tests and logs).</summary>
    public string ReadText(int timeoutMs)
    {
        Span<byte> buffer = stackalloc byte[256];
        int n = Read(buffer, timeoutMs);
        return Encoding.ASCII.GetString(buffer[..n]);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Unplug();
        if (LinkPath is not null)
        {
            try
            {
                File.Delete(LinkPath);
            }
            catch (IOException)
            {
                // Best effort: a stale link in a temp folder is harmless.
            }
        }
    }
}
