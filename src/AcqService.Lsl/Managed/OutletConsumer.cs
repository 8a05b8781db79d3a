using System.Net.Sockets;
using System.Threading.Channels;

namespace AcqService.Lsl.Managed;

/// <summary>
/// One connected inlet of an outlet: a bounded drop-oldest queue (so a slow consumer never blocks pushes or other
/// consumers) and a writer that encodes tags and flushes on pushthrough or after <c>chunkLimit</c> samples.
/// </summary>
internal sealed class OutletConsumer
{
    private const int FlushBytes = 256 * 1024;
    private readonly Socket _socket;
    private readonly double _srate;
    private readonly double _srateRecip;
    private readonly int _chunkLimit;
    private readonly SampleWriter _writer = new(4096);
    private double _previousSent = double.NaN;

    public OutletConsumer(Socket socket, int capacity, double srate, int chunkLimit)
    {
        _socket = socket;
        _srate = srate;
        _srateRecip = srate > 0 ? 1.0 / srate : 0;
        _chunkLimit = Math.Max(1, chunkLimit);
        Queue = Channel.CreateBounded<OutSample>(new BoundedChannelOptions(Math.Max(1, capacity))
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    /// <summary>The per-consumer queue the outlet writes into.</summary>
    public Channel<OutSample> Queue { get; }

    /// <summary>Sends queued samples until cancelled or the socket fails.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        ChannelReader<OutSample> reader = Queue.Reader;
        int pending = 0;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out OutSample sample))
            {
                // Tag 1 only when the inlet's deduction (previous + 1/srate) reproduces the timestamp bit for bit;
                // the first sample of a connection, or one after a dropped sample, therefore always carries tag 2.
                double deduced = _srate > 0 ? _previousSent + _srateRecip : _previousSent;
                byte tag = deduced == sample.Timestamp ? WireFormat.TagDeduced : WireFormat.TagTimestamp;
                _writer.WriteTagAndTimestamp(tag, sample.Timestamp);
                _writer.WriteBytes(sample.Values.Span);
                _previousSent = sample.Timestamp;
                pending++;
                if (sample.Pushthrough || pending >= _chunkLimit || _writer.Length >= FlushBytes)
                {
                    await FlushAsync(cancellationToken).ConfigureAwait(false);
                    pending = 0;
                }
            }
        }
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> data = _writer.Memory;
        while (data.Length > 0)
        {
            int sent = await _socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
        _writer.Clear();
    }
}
