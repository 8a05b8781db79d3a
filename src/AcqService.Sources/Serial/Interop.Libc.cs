using System.Runtime.InteropServices;

namespace AcqService.Sources.Serial;

/// <summary>The few libc calls the pseudo-terminal simulator needs (Linux/macOS only).</summary>
internal static partial class Interop
{
    internal static partial class Libc
    {
        // The versioned name: plain "libc.so" is a linker script on glibc systems and cannot be loaded.
        private const string Library = "libc.so.6";

        /// <summary>poll(2) event: data to read.</summary>
        internal const short PollIn = 0x001;

        /// <summary>poll(2) event: peer hung up.</summary>
        internal const short PollHup = 0x010;

        [StructLayout(LayoutKind.Sequential)]
        internal struct PollFd
        {
            public int Fd;
            public short Events;
            public short Revents;
        }

        // glibc >= 2.34 exports openpty from libc itself; older systems have it in libutil.
        [LibraryImport(Library, EntryPoint = "openpty", SetLastError = true)]
        internal static partial int OpenPty(out int master, out int slave, IntPtr name, IntPtr termios, IntPtr winsize);

        [LibraryImport("libutil.so.1", EntryPoint = "openpty", SetLastError = true)]
        internal static partial int OpenPtyUtil(out int master, out int slave, IntPtr name, IntPtr termios, IntPtr winsize);

        [LibraryImport(Library, EntryPoint = "ptsname_r", SetLastError = true)]
        internal static unsafe partial int PtsName(int fd, byte* buffer, nuint length);

        [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
        internal static unsafe partial nint Read(int fd, byte* buffer, nuint count);

        [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
        internal static unsafe partial nint Write(int fd, byte* buffer, nuint count);

        [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
        internal static partial int Close(int fd);

        [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
        internal static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMs);

        [LibraryImport(Library, EntryPoint = "cfmakeraw")]
        internal static partial void CfMakeRaw(IntPtr termios);

        [LibraryImport(Library, EntryPoint = "tcgetattr", SetLastError = true)]
        internal static partial int TcGetAttr(int fd, IntPtr termios);

        [LibraryImport(Library, EntryPoint = "tcsetattr", SetLastError = true)]
        internal static partial int TcSetAttr(int fd, int optionalActions, IntPtr termios);
    }
}
