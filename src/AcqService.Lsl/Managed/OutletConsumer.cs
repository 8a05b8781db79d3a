using System.Net.Sockets;
using System.Threading.Channels;

namespace AcqService.Lsl.Managed;

/// <summary>
/// One connected inlet of an outlet: a bounded drop-oldest queue (so a slow consumer never blocks pushes or other
/// consumers) and a writer that encodes tags and flushes on pushthrough or after <c>chunkLimit</c> samples.
/// </summary>
/// <remarks>
/// Latency: when the queue is empty and nothing is being sent, a pushthrough push is encoded and written by the pushing
/// thread itself with one non-blocking send (<see cref="TrySendNow"/>), so the sample does not wait for a thread-pool
/// thread to wake up. Whatever the socket does not take at once stays in the writer and the send loop finishes it.
/// Both paths take <see cref="_busy"/> around encoding and sending, so the byte stream stays in push order.
/// </remarks>
internal sealed class OutletConsumer
{
    private const int FlushBytes = 256 * 1024;
    private readonly Socket _socket;
    private readonly double _srate;
    private readonly double _srateRecip;
    private readonly int _chunkLimit;
    private readonly SampleWriter _writer = new(4096);
    private double _previousSent = double.NaN;
    // 1 while a thread encodes into or sends from _writer (the push thread inline, or the send loop).
    private int _busy;
    // Bytes at the start of _writer already sent by an inline send that the socket only partly took.
    private int _sent;

    public OutletConsumer(Socket socket, int capacity, double srate, int chunkLimit)
    {
        _socket = socket;
        // Synchronous sends (the inline path) must never wait for socket buffer space; the awaited sends of the loop
        // and the close watcher are not affected by this flag.
        _socket.Blocking = false;
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

    /// <summary>
    /// Sends <paramref name="samples"/> from the calling (pushing) thread when nothing is queued or being sent; false
    /// when the caller must queue them instead. Never blocks: a send the socket cannot take completely leaves the rest
    /// in the writer and wakes the send loop, which sends it before anything else.
    /// </summary>
    public bool TrySendNow(ReadOnlySpan<OutSample> samples)
    {
        if (Queue.Reader.Count > 0 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            return false;
        }
        if (!samples.IsEmpty && samples.Length * (samples[0].Values.Length + 9) > FlushBytes)
        {
            // A chunk this big goes through the loop, which flushes every FlushBytes, so the writer keeps its bound.
            Volatile.Write(ref _busy, 0);
            return false;
        }
        bool rest;
        try
        {
            // Re-check under _busy: the loop may have queued work left or a partial send pending.
            if (Queue.Reader.Count > 0 || _writer.Length > 0)
            {
                return false;
            }
            foreach (OutSample sample in samples)
            {
                Encode(sample);
            }
            int sent;
            SocketError error;
            try
            {
                sent = _socket.Send(_writer.Memory.Span, SocketFlags.None, out error);
            }
            catch (ObjectDisposedException)
            {
                // The connection closed between the registry snapshot and this send.
                sent = 0;
                error = SocketError.Shutdown;
            }
            if (error is not (SocketError.Success or SocketError.WouldBlock))
            {
                // The connection is failing; the close watcher ends the consumer. Nothing more to do with these bytes.
                _writer.Clear();
                return true;
            }
            rest = sent < _writer.Length;
            if (rest)
            {
                _sent = Math.Max(0, sent);
            }
            else
            {
                _writer.Clear();
            }
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
        if (rest)
        {
            // An empty marker wakes the loop, which first sends the rest. Should it be dropped as the oldest entry of a
            // full queue, the samples that displaced it wake the loop just the same.
            Queue.Writer.TryWrite(default);
        }
        return true;
    }

    private void Encode(OutSample sample)
    {
        // Tag 1 only when the inlet's deduction (previous + 1/srate) reproduces the timestamp bit for bit;
        // the first sample of a connection, or one after a dropped sample, therefore always carries tag 2.
        double deduced = _srate > 0 ? _previousSent + _srateRecip : _previousSent;
        byte tag = deduced == sample.Timestamp ? WireFormat.TagDeduced : WireFormat.TagTimestamp;
        _writer.WriteTagAndTimestamp(tag, sample.Timestamp);
        _writer.WriteBytes(sample.Values.Span);
        _previousSent = sample.Timestamp;
    }

    /// <summary>Sends queued samples until cancelled or the socket fails.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        ChannelReader<OutSample> reader = Queue.Reader;
        int pending = 0;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            AcquireBusy();
            try
            {
                if (_writer.Length > 0)
                {
                    // The rest of an inline send, or samples held back for chunking (pending > 0).
                    if (pending == 0)
                    {
                        await FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                while (reader.TryRead(out OutSample sample))
                {
                    if (sample.Values.IsEmpty && sample.Timestamp == 0)
                    {
                        // Wake-up marker of a partial inline send (no sample has an empty value block and timestamp 0
                        // at once: a zero-channel stream does not exist).
                        continue;
                    }
                    Encode(sample);
                    pending++;
                    if (sample.Pushthrough || pending >= _chunkLimit || _writer.Length >= FlushBytes)
                    {
                        await FlushAsync(cancellationToken).ConfigureAwait(false);
                        pending = 0;
                    }
                }
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
        }
    }

    private void AcquireBusy()
    {
        // The inline path holds the flag only for one encode and one non-blocking send (microseconds).
        var spin = new SpinWait();
        while (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            spin.SpinOnce();
        }
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> data = _writer.Memory[_sent..];
        while (data.Length > 0)
        {
            int sent = await _socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
        _writer.Clear();
        _sent = 0;
    }
}
