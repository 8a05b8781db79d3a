using AcqService.Core.Model;
using AcqService.Sources.Serial;

namespace AcqService.Sources.Tests.Serial;

/// <summary>Shared helpers of the serial tests.</summary>
internal static class SerialTestKit
{
    public static string TempFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "acq-serial-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    public static SerialPortSettings Port(string path, int readTimeoutMs = 50, int silenceMs = 0) => new()
    {
        Port = path,
        ReadTimeoutMs = readTimeoutMs,
        SilenceTimeoutMs = silenceMs,
        ReconnectInitialDelayMs = 50,
        ReconnectMaxDelayMs = 200,
    };

    public static StreamDescriptor CytonStream(IReadOnlyList<string> labels, double rate) =>
        new("eeg", StreamKind.Signal, "Cyton", "EEG", [.. labels.Select(l => new ChannelDescriptor(l, "uV", "EEG"))], rate, ChannelFormat.Float32, "cyton");

    public static StreamDescriptor MarkerStream() =>
        new("needle", StreamKind.Markers, "Trigger", "Markers", [new ChannelDescriptor("marker", "", "Marker")], 0, ChannelFormat.String, "trigger");

    /// <summary>Registers the streams (assigns indices) as a session would.</summary>
    public static void Register(params StreamDescriptor[] streams)
    {
        var registry = new StreamRegistry();
        foreach (StreamDescriptor s in streams)
        {
            registry.Add(s);
        }
    }

    /// <summary>Builds a 33-byte packet.</summary>
    public static byte[] Packet(byte counter, int[] counts, byte footer = 0xC0, byte[]? aux = null)
    {
        byte[] p = new byte[33];
        p[0] = 0xA0;
        p[1] = counter;
        for (int c = 0; c < 8; c++)
        {
            int v = c < counts.Length ? counts[c] : 0;
            p[2 + (3 * c)] = (byte)(v >> 16);
            p[3 + (3 * c)] = (byte)(v >> 8);
            p[4 + (3 * c)] = (byte)v;
        }
        (aux ?? new byte[6]).CopyTo(p, 26);
        p[32] = footer;
        return p;
    }

    public static bool PtyAvailable()
    {
        if (!PseudoTerminal.IsSupported)
        {
            return false;
        }
        try
        {
            using var pty = new PseudoTerminal();
            return true;
        }
        catch (Exception ex) when (ex is IOException or DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
