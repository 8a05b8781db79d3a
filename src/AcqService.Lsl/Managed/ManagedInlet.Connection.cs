using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AcqService.Lsl.Managed;

/// <summary>The connection loop of a managed inlet: connect, stream until the connection ends, recover by re-resolving, and the watchdog for silent stalls.</summary>
internal sealed partial class ManagedInlet
{
    private async Task RunAsync()
    {
        CancellationToken token = _cts.Token;
        bool firstRecovery = true;
        while (!token.IsCancellationRequested)
        {
            LslStreamInfo target = _current;
            using (var connection = CancellationTokenSource.CreateLinkedTokenSource(token))
            {
                _connectionCts = connection;
                try
                {
                    if (HasEndpoint(target))
                    {
                        await StreamAsync(target, connection.Token).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    break;
                }
                catch (OperationCanceledException)
                {
                    _backend.Report($"inlet '{Info.Name}': connection to {target.V4Address}:{target.V4DataPort} aborted (watchdog or handshake timeout)");
                }
                catch (Exception ex) when (ex is LslProtocolException or SocketException or IOException or EndOfStreamException or FormatException or ObjectDisposedException)
                {
                    _backend.Report($"inlet '{Info.Name}': connection to {target.V4Address}:{target.V4DataPort} ended: {ex.Message}");
                }
                finally
                {
                    _connectionCts = null;
                }
            }
            if (token.IsCancellationRequested)
            {
                break;
            }
            if (!_recover || (target.SourceId.Length == 0 && HasEndpoint(Info)))
            {
                SetLost(new IOException(_recover ? "the stream has no source_id, so it cannot be recovered" : "the connection dropped and recovery is disabled"));
                return;
            }
            try
            {
                await RecoverAsync(firstRecovery, token).ConfigureAwait(false);
                firstRecovery = false;
                await Task.Delay(500, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Re-resolves with the recovery query until the same stream, or exactly one new instance, is found.</summary>
    private async Task RecoverAsync(bool first, CancellationToken token)
    {
        var resolver = new Resolver(_backend);
        string query = Resolver.RecoveryQuery(Info);
        while (true)
        {
            IReadOnlyList<LslStreamInfo> found = await resolver.ResolveAsync(query, 0, TimeSpan.FromSeconds(first ? 1 : 2), token).ConfigureAwait(false);
            first = false;
            LslStreamInfo current = _current;
            if (found.Any(f => f.Uid == current.Uid))
            {
                return;
            }
            if (found.Count == 1)
            {
                _backend.Report($"inlet '{Info.Name}': recovered stream instance {found[0].Uid} at {found[0].V4Address}:{found[0].V4DataPort}");
                _current = found[0];
                ResetTimeSync();
                return;
            }
            if (found.Count > 1)
            {
                _backend.Report($"inlet '{Info.Name}': {found.Count} streams match the recovery query; refusing to guess, retrying");
            }
        }
    }

    private void SetLost(Exception reason)
    {
        _lost = reason;
        _backend.Report($"inlet '{Info.Name}': stream lost: {reason.Message}");
        _buffer.Complete();
        _lostCts.Cancel();
    }

    private async Task WatchdogAsync()
    {
        CancellationToken token = _cts.Token;
        var resolver = new Resolver(_backend);
        try
        {
            while (!token.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Max(0.05, _config.WatchdogCheckInterval)), token).ConfigureAwait(false);
                CancellationTokenSource? connection = _connectionCts;
                long idleMs = Environment.TickCount64 - Volatile.Read(ref _lastDataTicks);
                if (connection is null || !_hadConnection || !_recover || idleMs < _config.WatchdogTimeThreshold * 1000)
                {
                    continue;
                }
                // Silent stall (no FIN/RST): only abandon the connection if discovery shows a different instance.
                LslStreamInfo current = _current;
                IReadOnlyList<LslStreamInfo> found = await resolver.ResolveAsync(Resolver.RecoveryQuery(Info), 0, TimeSpan.FromSeconds(1), token).ConfigureAwait(false);
                if (found.Count == 1 && found[0].Uid != current.Uid)
                {
                    _backend.Report($"inlet '{Info.Name}': no data for {idleMs / 1000.0:F1} s and a new instance exists; reconnecting");
                    try
                    {
                        connection.Cancel();
                    }
                    catch (ObjectDisposedException)
                    {
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
