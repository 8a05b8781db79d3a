using System.Text;
using AcqService.Sources.Simulation;

namespace AcqService.Sources.Serial;

/// <summary>
/// A simulated OpenBCI Cyton (or Cyton+Daisy) behind a pseudo-terminal: it answers the commands a host sends
/// (<c>v</c> banner, <c>C</c>/<c>c</c>, <c>b</c>/<c>s</c>) and, while streaming, writes real 33-byte packets at
/// 250 Hz carrying the EEG simulator's signal quantised to 24-bit counts. Packet <c>n</c> (counter <c>n mod 256</c>)
/// is due at <c>origin + n / 250 s</c> whether or not anyone listens, so packets sent while stopped or unplugged are
/// lost exactly as on the radio link and the ground truth stays on one timeline. Driven by
/// <see cref="SerialSimulationRig"/> through <see cref="Step"/>.
/// </summary>
/// <remarks>
/// Daisy: the generator runs at 250 Hz with 16 channels; odd packets carry the main board (channels 1–8) and even
/// packets the Daisy (9–16), each value the average of the board's previous and current 250 Hz sample, as the
/// firmware documents.
/// </remarks>
public sealed class CytonSimulator
{
    private const int MaxBatchPackets = 64;
    private readonly PseudoTerminal _pty;
    private readonly EegSimulator _generator;
    private readonly bool _daisy;
    private readonly double _origin;
    private readonly long _total;
    private readonly double _countsPerMicrovolt;
    private readonly int _channels;
    private readonly double[] _current;
    private readonly double[] _previous;
    private readonly byte[] _batch = new byte[MaxBatchPackets * CytonProtocol.PacketLength];
    private readonly byte[] _commands = new byte[64];
    private long _next;
    private bool _streaming;
    private int _generation;
    private long _sent;
    private long _lost;

    /// <summary>Creates the simulator.</summary>
    /// <param name="pty">Where the device "is connected".</param>
    /// <param name="generator">EEG generator at 250 Hz with 8 (Cyton) or 16 (Daisy) channels, in µV.</param>
    /// <param name="daisy">True for Cyton+Daisy.</param>
    /// <param name="gain">Programmable gain used to quantise (24 = board default).</param>
    /// <param name="origin">Host-clock time of sample 0 (and of schedule time 0).</param>
    /// <param name="durationSeconds">Seconds of signal, or null for unlimited.</param>
    public CytonSimulator(PseudoTerminal pty, EegSimulator generator, bool daisy, double gain, double origin, double? durationSeconds)
    {
        _pty = pty;
        _generator = generator;
        _daisy = daisy;
        _origin = origin;
        _channels = daisy ? 16 : 8;
        _total = durationSeconds is double d ? (long)Math.Round(d * CytonProtocol.PacketRateHz) : long.MaxValue;
        _countsPerMicrovolt = 1 / CytonProtocol.MicrovoltsPerCount(gain);
        _current = new double[_channels];
        _previous = new double[_channels];
        _generation = pty.Generation;
    }

    /// <summary>Packets written to the terminal.</summary>
    public long PacketsSent => Interlocked.Read(ref _sent);

    /// <summary>Packets that fell due while not streaming or unplugged (lost on the "radio link").</summary>
    public long PacketsLost => Interlocked.Read(ref _lost);

    /// <summary>True once all packets of the duration are due.</summary>
    public bool Finished => _next >= _total;

    /// <summary>True while the host has started streaming.</summary>
    public bool Streaming => _streaming;

    /// <summary>Counts (24-bit) of a value in µV at the simulator's gain, rounded and clamped like the ADC.</summary>
    public int ToCounts(double microvolts) => (int)Math.Clamp(Math.Round(microvolts * _countsPerMicrovolt, MidpointRounding.AwayFromZero), -8388608, 8388607);

    /// <summary>Answers pending commands and writes every packet due by <paramref name="now"/> (host clock).</summary>
    public void Step(double now)
    {
        if (_pty.Generation != _generation)
        {
            // Re-plugged: the dongle restarted and waits for a start command, like after power-up.
            _generation = _pty.Generation;
            _streaming = false;
        }
        HandleCommands();
        long due = Math.Min(_total, (long)Math.Floor((now - _origin) * CytonProtocol.PacketRateHz) + 1);
        int batched = 0;
        while (_next < due)
        {
            long n = _next++;
            Array.Copy(_current, _previous, _channels);
            _generator.Generate(_current, 1);
            if (!_streaming || !_pty.IsPlugged)
            {
                Interlocked.Increment(ref _lost);
                continue;
            }
            WritePacket(_batch.AsSpan(batched * CytonProtocol.PacketLength, CytonProtocol.PacketLength), n);
            batched++;
            if (batched == MaxBatchPackets)
            {
                Flush(batched);
                batched = 0;
            }
        }
        Flush(batched);
    }

    private void Flush(int packets)
    {
        // Up to 2 s for the reader to make room: a stalled host backs the data up into the adapter's FIFO rather
        // than losing it (tests compare every packet); only a longer stall drops bytes, counted by the terminal.
        if (packets > 0 && _pty.Write(_batch.AsSpan(0, packets * CytonProtocol.PacketLength), 2000))
        {
            Interlocked.Add(ref _sent, packets);
        }
    }

    private void WritePacket(Span<byte> p, long n)
    {
        p[0] = CytonProtocol.Header;
        p[1] = (byte)(n & 0xFF);
        int first = _daisy && (n & 1) == 0 ? 8 : 0;
        for (int c = 0; c < CytonProtocol.ChannelsPerBoard; c++)
        {
            double uv = _daisy ? (_previous[first + c] + _current[first + c]) / 2 : _current[c];
            int counts = ToCounts(uv);
            p[2 + (3 * c)] = (byte)(counts >> 16);
            p[3 + (3 * c)] = (byte)(counts >> 8);
            p[4 + (3 * c)] = (byte)counts;
        }
        p.Slice(26, 6).Clear();
        if (n % 10 == 0 && first == 0)
        {
            // The accelerometer updates at 25 Hz: X = Y = 0, Z = +1 g (8000 counts of 1/8000 g).
            p[30] = 8000 >> 8;
            p[31] = 8000 & 0xFF;
        }
        p[32] = 0xC0;
    }

    private void HandleCommands()
    {
        int n = _pty.Read(_commands, 0);
        for (int i = 0; i < n; i++)
        {
            switch ((char)_commands[i])
            {
                case 'b':
                    _streaming = true;
                    break;
                case 's':
                    _streaming = false;
                    break;
                case 'v':
                    Reply("OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\n" + (_daisy ? "On Daisy ADS1299 Device ID: 0x3E\n" : "") + "LIS3DH Device ID: 0x33\nFirmware: v3.1.1\n$$$");
                    break;
                case 'C':
                    Reply(_daisy ? "daisy attached16$$$" : "no daisy to attach!8$$$");
                    break;
                case 'c':
                    Reply("daisy removed$$$");
                    break;
            }
        }
    }

    private void Reply(string text)
    {
        // The board answers commands only while not streaming (the host stops it first).
        if (!_streaming)
        {
            _pty.Write(Encoding.ASCII.GetBytes(text));
        }
    }
}
