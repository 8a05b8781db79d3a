namespace AcqService.Sources.Serial;

/// <summary>
/// Turns decoded packets into sample frames in µV and detects lost packets from the sample counter.
/// </summary>
/// <remarks>
/// <para>Cyton (8 channels): one frame per packet at 250 Hz. The counter counts 0…255 and wraps, so a jump from
/// <c>n</c> to <c>m</c> means <c>(m − n − 1) mod 256</c> lost packets (a loss of 256 or more in a row is not
/// visible in the counter; the source treats a silent device as lost instead).</para>
/// <para>Cyton+Daisy (16 channels): packets alternate between the boards. Odd sample numbers carry the main board
/// (channels 1–8), even ones the Daisy (9–16); an odd packet and the even packet right after it form one 16-channel
/// frame, so frames come at 125 Hz. The firmware already sends each board's value as the average of its current and
/// previous 250 Hz sample, so the EEG values are used as sent; the accelerometer, which only the main board
/// fills, is averaged over the pair where both carry it, as BrainFlow does. An even packet with no odd packet just
/// before it (the first packet after start, or its partner was lost) is dropped and the missing frame counted.</para>
/// <para>Scale: µV = counts × 4.5 V / gain / (2^23 − 1) × 1e6, per channel gain.</para>
/// </remarks>
public sealed class CytonFrameAssembler : ICytonPacketSink
{
    private readonly double[] _scale;
    private readonly double[] _frame;
    private readonly ICytonFrameSink _sink;
    private readonly double[] _accel = new double[3];
    private readonly double[] _pendingAccel = new double[3];
    private bool _pendingAccelValid;
    private int _lastCounter = -1;
    private int _pendingMain = -1;

    /// <summary>Creates an assembler.</summary>
    /// <param name="daisy">True for Cyton+Daisy (16 channels).</param>
    /// <param name="gains">Programmable gain per channel (8 or 16 entries, each one of 1, 2, 4, 6, 8, 12, 24).</param>
    /// <param name="sink">Receives the frames.</param>
    public CytonFrameAssembler(bool daisy, IReadOnlyList<double> gains, ICytonFrameSink sink)
    {
        Daisy = daisy;
        int channels = daisy ? 16 : 8;
        if (gains.Count != channels)
        {
            throw new ArgumentException($"{channels} gains needed, {gains.Count} given", nameof(gains));
        }
        _scale = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            _scale[c] = CytonProtocol.MicrovoltsPerCount(gains[c]);
        }
        _frame = new double[channels];
        _sink = sink;
    }

    /// <summary>True for Cyton+Daisy.</summary>
    public bool Daisy { get; }

    /// <summary>Channels per frame.</summary>
    public int ChannelCount => _frame.Length;

    /// <summary>Nominal frame rate: 250 Hz (Cyton) or 125 Hz (Daisy).</summary>
    public double FrameRateHz => Daisy ? CytonProtocol.PacketRateHz / 2 : CytonProtocol.PacketRateHz;

    /// <summary>Frames delivered.</summary>
    public long Frames { get; private set; }

    /// <summary>Frames counted as lost (counter jumps and unpaired Daisy packets).</summary>
    public long MissingFrames { get; private set; }

    /// <summary>Accelerometer of the last frame that carried one (g, X/Y/Z; Daisy: averaged over the pair).</summary>
    public ReadOnlySpan<double> Accelerometer => _accel;

    /// <summary>Forgets the counter (after a reconnect: the next frame starts a new segment).</summary>
    public void Reset()
    {
        _lastCounter = -1;
        _pendingMain = -1;
    }

    /// <inheritdoc />
    public void OnPacket(CytonPacket packet)
    {
        if (Daisy)
        {
            OnDaisyPacket(packet);
            return;
        }
        int counter = packet.SampleNumber;
        int missing = _lastCounter < 0 ? 0 : (counter - _lastCounter - 1) & 0xFF;
        _lastCounter = counter;
        Scale(packet.Counts, _frame.AsSpan(0, 8), 0);
        if (packet.HasAccelerometer && HasNonZeroAccel(packet))
        {
            for (int a = 0; a < 3; a++)
            {
                _accel[a] = packet.AccelerometerG(a);
            }
        }
        Emit(missing);
    }

    private void OnDaisyPacket(CytonPacket packet)
    {
        int counter = packet.SampleNumber;
        if ((counter & 1) == 1)
        {
            // A main-board packet still pending lost its Daisy partner; that frame shows up as a counter jump.
            _pendingMain = counter;
            Scale(packet.Counts, _frame.AsSpan(0, 8), 0);
            _pendingAccelValid = packet.HasAccelerometer && HasNonZeroAccel(packet);
            if (_pendingAccelValid)
            {
                for (int a = 0; a < 3; a++)
                {
                    _pendingAccel[a] = packet.AccelerometerG(a);
                }
            }
            return;
        }
        if (_pendingMain < 0 || counter != ((_pendingMain + 1) & 0xFF))
        {
            // A Daisy packet without its main-board packet right before it: unusable on its own; the frame
            // shows up as a counter jump at the next complete pair.
            _pendingMain = -1;
            return;
        }
        Scale(packet.Counts, _frame.AsSpan(8, 8), 8);
        bool daisyAccel = packet.HasAccelerometer && HasNonZeroAccel(packet);
        if (_pendingAccelValid || daisyAccel)
        {
            for (int a = 0; a < 3; a++)
            {
                double d = daisyAccel ? packet.AccelerometerG(a) : 0;
                _accel[a] = _pendingAccelValid && daisyAccel ? (_pendingAccel[a] + d) / 2 : _pendingAccelValid ? _pendingAccel[a] : d;
            }
        }
        // Frames are numbered by their main-board (odd) counter, two counts per frame.
        int missing = _lastCounter < 0 ? 0 : (((_pendingMain - _lastCounter) & 0xFF) / 2) - 1;
        if (missing < 0)
        {
            missing = 0;
        }
        _lastCounter = _pendingMain;
        _pendingMain = -1;
        Emit(missing);
    }

    private void Emit(int missing)
    {
        MissingFrames += missing;
        Frames++;
        _sink.OnFrame(_frame, missing);
    }

    private void Scale(int[] counts, Span<double> destination, int firstChannel)
    {
        for (int c = 0; c < destination.Length; c++)
        {
            destination[c] = counts[c] * _scale[firstChannel + c];
        }
    }

    private static bool HasNonZeroAccel(CytonPacket packet)
    {
        // The accelerometer runs at 25 Hz; packets without a new value carry zeros, which are not a reading.
        ReadOnlySpan<byte> aux = packet.Aux;
        return aux[0] != 0 || aux[1] != 0 || aux[2] != 0 || aux[3] != 0 || aux[4] != 0 || aux[5] != 0;
    }
}
