using System.Diagnostics;

namespace AcqService.Sources.Serial;

/// <summary>
/// Finds and decodes 33-byte Cyton packets in an arbitrary byte stream: bytes may arrive in any split, with text
/// (the <c>$$$</c> banner), garbage or cut-off packets in between. A packet is accepted when it starts with 0xA0 and
/// its 33rd byte is a stop byte 0xC0–0xC6; otherwise the decoder slides to the next 0xA0 inside the rejected bytes,
/// so a packet hidden behind garbage is still found. Memory is one 33-byte buffer; nothing is allocated per byte.
/// </summary>
public sealed class CytonPacketDecoder
{
    private readonly byte[] _buffer = new byte[CytonProtocol.PacketLength];
    private readonly CytonPacket _packet = new();
    /// <summary>Bytes held in <see cref="_buffer"/> (a packet candidate starting with 0xA0), 0…32.</summary>
    private int _held;

    /// <summary>Valid packets decoded.</summary>
    public long Packets { get; private set; }

    /// <summary>Bytes skipped because they were not part of a valid packet (text, garbage, cut-off packets).</summary>
    public long SkippedBytes { get; private set; }

    /// <summary>Candidates that started with 0xA0 but did not end with a stop byte.</summary>
    public long BadFooters { get; private set; }

    /// <summary>Forgets a partial packet (after a reconnect).</summary>
    public void Reset()
    {
        SkippedBytes += _held;
        _held = 0;
    }

    /// <summary>Decodes what <paramref name="data"/> completes and passes each valid packet to <paramref name="sink"/>.</summary>
    /// <returns>Packets decoded from this call.</returns>
    public int Push(ReadOnlySpan<byte> data, ICytonPacketSink sink)
    {
        int decoded = 0;
        while (!data.IsEmpty)
        {
            if (_held == 0)
            {
                int start = data.IndexOf(CytonProtocol.Header);
                if (start < 0)
                {
                    SkippedBytes += data.Length;
                    return decoded;
                }
                SkippedBytes += start;
                data = data[start..];
            }
            int take = Math.Min(CytonProtocol.PacketLength - _held, data.Length);
            data[..take].CopyTo(_buffer.AsSpan(_held));
            _held += take;
            data = data[take..];
            if (_held < CytonProtocol.PacketLength)
            {
                return decoded;
            }
            if (CytonProtocol.IsFooter(_buffer[CytonProtocol.PacketLength - 1]))
            {
                Decode(_buffer);
                _held = 0;
                Packets++;
                decoded++;
                sink.OnPacket(_packet);
                continue;
            }
            // Not a packet: the 0xA0 was a data byte. Restart at the next 0xA0 inside what we hold.
            BadFooters++;
            int next = _buffer.AsSpan(1).IndexOf(CytonProtocol.Header);
            if (next < 0)
            {
                SkippedBytes += _held;
                _held = 0;
            }
            else
            {
                next++;
                SkippedBytes += next;
                _buffer.AsSpan(next, _held - next).CopyTo(_buffer);
                _held -= next;
                // The shifted bytes may already complete a packet only after more input; loop continues.
            }
            Debug.Assert(_held is >= 0 and < CytonProtocol.PacketLength);
        }
        return decoded;
    }

    private void Decode(ReadOnlySpan<byte> p)
    {
        _packet.SampleNumber = p[1];
        for (int c = 0; c < CytonProtocol.ChannelsPerBoard; c++)
        {
            _packet.Counts[c] = CytonProtocol.Int24(p.Slice(2 + (3 * c), 3));
        }
        p.Slice(26, 6).CopyTo(_packet.Aux);
        _packet.Footer = p[32];
    }
}
