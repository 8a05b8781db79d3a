using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AcqService.Lsl.Managed;

/// <summary>Time synchronisation of a managed inlet: periodic probe bursts to the outlet's service port (§5).</summary>
internal sealed partial class ManagedInlet
{
    /// <inheritdoc />
    public double TimeCorrection(TimeSpan timeout)
    {
        ThrowIfLost();
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        EnsureTimeSync();
        TimeEstimate? estimate = _estimate;
        if (estimate is not null)
        {
            return estimate.Correction;
        }
        int index = Task.WaitAny([_estimateReady.Task, WhenLost()], timeout);
        ThrowIfLost();
        estimate = _estimate;
        if (index != 0 || estimate is null)
        {
            throw new TimeoutException($"no clock offset for '{Info.Name}' within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        return estimate.Correction;
    }

    /// <inheritdoc />
    public async ValueTask<double> TimeCorrectionAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfLost();
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        EnsureTimeSync();
        if (_estimate is TimeEstimate ready)
        {
            return ready.Correction;
        }
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lostCts.Token, _cts.Token))
        {
            wait.CancelAfter(timeout);
            try
            {
                await _estimateReady.Task.WaitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Timed out, lost or disposed: told apart below.
            }
        }
        ThrowIfLost();
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return _estimate is TimeEstimate estimate
            ? estimate.Correction
            : throw new TimeoutException($"no clock offset for '{Info.Name}' within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
    }

    private void ResetTimeSync()
    {
        _estimate = null;
        if (_estimateReady.Task.IsCompleted)
        {
            _estimateReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        ClockWasReset = true;
    }

    private async Task TimeSyncLoopAsync()
    {
        CancellationToken token = _cts.Token;
        try
        {
            while (!token.IsCancellationRequested && _lost is null)
            {
                long started = Environment.TickCount64;
                LslStreamInfo target = _current;
                if (target.V4Address.Length > 0 && target.V4ServicePort > 0)
                {
                    TimeEstimate? estimate = await RunTimeBurstAsync(target, token).ConfigureAwait(false);
                    if (estimate is not null && ReferenceEquals(target, _current))
                    {
                        _estimate = estimate;
                        _estimateReady.TrySetResult();
                    }
                }
                long waitMs = (long)(_config.TimeUpdateInterval * 1000) - (Environment.TickCount64 - started);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(50, waitMs)), token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One burst of <c>TimeProbeCount</c> probes; the probe with the smallest round trip wins (§5).</summary>
    private async Task<TimeEstimate?> RunTimeBurstAsync(LslStreamInfo target, CancellationToken token)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(PortBinder.BindAddress(_config), 0));
        var destination = new IPEndPoint(IPAddress.Parse(target.V4Address), target.V4ServicePort);
        int waveId = Random.Shared.Next();
        var probes = new List<(double Rtt, double Offset, double Remote)>();
        using var burst = CancellationTokenSource.CreateLinkedTokenSource(token);
        Task receiving = ReceiveTimeRepliesAsync(socket, waveId, probes, burst.Token);
        try
        {
            for (int i = 0; i < _config.TimeProbeCount; i++)
            {
                string probe = "LSL:timedata\r\n" + waveId.ToString(CultureInfo.InvariantCulture) + " " + WireFormat.FormatClock(_backend.LocalClock()) + "\r\n";
                try
                {
                    await socket.SendToAsync(Encoding.ASCII.GetBytes(probe), SocketFlags.None, destination, token).ConfigureAwait(false);
                }
                catch (SocketException ex)
                {
                    _backend.Report($"inlet '{Info.Name}': time probe to {destination} failed: {ex.SocketErrorCode}");
                }
                await Task.Delay(TimeSpan.FromSeconds(_config.TimeProbeInterval), token).ConfigureAwait(false);
            }
            await Task.Delay(TimeSpan.FromSeconds(_config.TimeProbeMaxRtt), token).ConfigureAwait(false);
        }
        finally
        {
            await burst.CancelAsync().ConfigureAwait(false);
            await receiving.ConfigureAwait(false);
        }
        lock (probes)
        {
            if (probes.Count < Math.Max(1, _config.TimeUpdateMinProbes))
            {
                return null;
            }
            var best = probes.MinBy(p => p.Rtt);
            return new TimeEstimate(-best.Offset, best.Rtt, best.Remote);
        }
    }

    private Task ReceiveTimeRepliesAsync(Socket socket, int waveId, List<(double Rtt, double Offset, double Remote)> probes, CancellationToken token)
    {
        byte[] buffer = new byte[1024];
        return UdpReceiveLoop.RunAsync(socket, buffer, result =>
        {
            double t3 = _backend.LocalClock();
            string[] tokens = Encoding.ASCII.GetString(buffer, 0, result.ReceivedBytes).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length >= 4
                && int.TryParse(tokens[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int id) && id == waveId
                && double.TryParse(tokens[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double t0)
                && double.TryParse(tokens[2], NumberStyles.Float, CultureInfo.InvariantCulture, out double t1)
                && double.TryParse(tokens[3], NumberStyles.Float, CultureInfo.InvariantCulture, out double t2))
            {
                double rtt = (t3 - t0) - (t2 - t1);
                double offset = ((t1 - t0) + (t2 - t3)) / 2;
                lock (probes)
                {
                    probes.Add((rtt, offset, (t1 + t2) / 2));
                }
            }
            return ValueTask.CompletedTask;
        }, token);
    }
}
