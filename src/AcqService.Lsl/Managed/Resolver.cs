using AcqService.Core.Model;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Xml.XPath;
using AcqService.Lsl.Config;

namespace AcqService.Lsl.Managed;

/// <summary>
/// UDP discovery (§2 of the protocol notes): waves of <c>LSL:shortinfo</c> queries to the scope's discovery
/// addresses at the multicast port and, when KnownPeers are set, to every peer × every port of the range. Each wave
/// has its own reply socket (bound in the port range) that listens for MulticastMaxRTT / UnicastMaxRTT.
/// </summary>
internal sealed class Resolver
{
    private readonly ManagedLslBackend _backend;
    private readonly LslConfig _config;

    public Resolver(ManagedLslBackend backend)
    {
        _backend = backend;
        _config = backend.Config;
    }

    /// <summary>The query liblsl sends for a user predicate: <c>session_id='…'</c> plus <c>and &lt;predicate&gt;</c>.</summary>
    public static string SessionQuery(string sessionId, string? predicate) =>
        string.IsNullOrWhiteSpace(predicate) ? $"session_id='{sessionId}'" : $"session_id='{sessionId}' and {predicate}";

    /// <summary>liblsl's recovery query (no session filter; empty name/type/source_id parts left out).</summary>
    public static string RecoveryQuery(LslStreamInfo info)
    {
        var sb = new StringBuilder();
        sb.Append("channel_count='").Append(info.ChannelCount.ToString(CultureInfo.InvariantCulture)).Append('\'');
        if (info.Name.Length > 0)
        {
            sb.Append(" and name='").Append(info.Name).Append('\'');
        }
        if (info.Type.Length > 0)
        {
            sb.Append(" and type='").Append(info.Type).Append('\'');
        }
        if (info.SourceId.Length > 0)
        {
            sb.Append(" and source_id='").Append(info.SourceId).Append('\'');
        }
        sb.Append(" and channel_format='").Append(info.ChannelFormat.ToName()).Append('\'');
        return sb.ToString();
    }

    /// <summary>Throws <see cref="ArgumentException"/> when <paramref name="query"/> is not a valid XPath expression.</summary>
    public static void Validate(string query)
    {
        try
        {
            XPathExpression.Compile("boolean(" + query + ")");
        }
        catch (XPathException ex)
        {
            throw new ArgumentException($"invalid LSL query '{query}': {ex.Message}", nameof(query), ex);
        }
    }

    /// <summary>One-shot resolve: returns when <paramref name="minimum"/> (&gt; 0) uids were seen, or at the timeout.</summary>
    public async Task<IReadOnlyList<LslStreamInfo>> ResolveAsync(string query, int minimum, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var results = new Dictionary<string, LslStreamInfo>(StringComparer.Ordinal);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        await RunWavesAsync(query, continuous: false, info =>
        {
            lock (results)
            {
                results.TryAdd(info.Uid, info);
                if (minimum > 0 && results.Count >= minimum)
                {
                    cts.Cancel();
                }
            }
        }, cts.Token).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        lock (results)
        {
            return results.Values.ToList();
        }
    }

    /// <summary>Sends query waves until <paramref name="cancellationToken"/> fires; every accepted reply goes to <paramref name="onResult"/>.</summary>
    public async Task RunWavesAsync(string query, bool continuous, Action<LslStreamInfo> onResult, CancellationToken cancellationToken)
    {
        var waves = new List<Task>();
        try
        {
            IPAddress[] peers = await ResolvePeersAsync(cancellationToken).ConfigureAwait(false);
            IPEndPoint[] multicastTargets = _config.DiscoveryAddresses
                .Where(a => a.AddressFamily == AddressFamily.InterNetwork)
                .Select(a => new IPEndPoint(a, _config.MulticastPort))
                .ToArray();
            IPEndPoint[] unicastTargets = peers
                .SelectMany(p => Enumerable.Range(_config.BasePort, _config.PortRange).Select(port => new IPEndPoint(p, port)))
                .ToArray();
            while (!cancellationToken.IsCancellationRequested)
            {
                waves.RemoveAll(t => t.IsCompleted);
                // Both waves go out together, then the round waits both minimum RTTs (the same cadence and datagram count
                // as sending the unicast wave MulticastMinRtt later). At machine scope the multicast wave is a unicast
                // to 127.0.0.1 that reaches only one of several outlets, so the others are found only by the known-peer
                // wave; sent at once, their replies get the whole of a short window (a 1 s candidate window would
                // otherwise leave them 0.5 s, too little on a loaded machine).
                waves.Add(RunWaveAsync(query, multicastTargets, _config.MulticastMaxRtt, onResult, cancellationToken));
                if (unicastTargets.Length > 0)
                {
                    waves.Add(RunWaveAsync(query, unicastTargets, _config.UnicastMaxRtt, onResult, cancellationToken));
                }
                double roundSeconds = _config.MulticastMinRtt + (unicastTargets.Length > 0 ? _config.UnicastMinRtt : 0);
                await Task.Delay(TimeSpan.FromSeconds(roundSeconds), cancellationToken).ConfigureAwait(false);
                if (continuous)
                {
                    await Task.Delay(TimeSpan.FromSeconds(_config.ContinuousResolveInterval), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await Task.WhenAll(waves).ConfigureAwait(false);
        }
    }

    private async Task<IPAddress[]> ResolvePeersAsync(CancellationToken cancellationToken)
    {
        var addresses = new List<IPAddress>();
        foreach (string peer in _config.KnownPeers)
        {
            if (IPAddress.TryParse(peer, out IPAddress? literal))
            {
                addresses.Add(literal);
                continue;
            }
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                addresses.AddRange(await Dns.GetHostAddressesAsync(peer, timeout.Token).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                _backend.Report($"resolver: known peer '{peer}' could not be resolved: {ex.Message}");
            }
        }
        return addresses.Where(a => a.AddressFamily == AddressFamily.InterNetwork && _config.AllowIPv4).Distinct().ToArray();
    }

    private async Task RunWaveAsync(string query, IPEndPoint[] targets, double maxRtt, Action<LslStreamInfo> onResult, CancellationToken cancellationToken)
    {
        if (targets.Length == 0)
        {
            return;
        }
        Socket socket;
        try
        {
            socket = PortBinder.BindUdp(_config);
        }
        catch (Exception ex) when (ex is SocketException or InvalidOperationException)
        {
            _backend.Report($"resolver: no reply socket: {ex.Message}");
            return;
        }
        using (socket)
        {
            using var wave = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wave.CancelAfter(TimeSpan.FromSeconds(maxRtt));
            string queryId = ((ulong)Random.Shared.NextInt64()).ToString(CultureInfo.InvariantCulture);
            byte[] datagram = WireFormat.QueryDatagram(query, ((IPEndPoint)socket.LocalEndPoint!).Port, queryId);
            if (datagram.Length > LslLimits.MaxDatagramBytes)
            {
                _backend.Report("resolver: query too long for one datagram");
                return;
            }
            foreach (IPEndPoint target in targets)
            {
                try
                {
                    if (target.Address.Equals(IPAddress.Broadcast))
                    {
                        socket.EnableBroadcast = true;
                    }
                    else if (OutletDiscoveryResponder.IsMulticast(target.Address))
                    {
                        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, _config.MulticastTtl);
                    }
                    await socket.SendToAsync(datagram, SocketFlags.None, target, wave.Token).ConfigureAwait(false);
                }
                catch (SocketException ex)
                {
                    _backend.Report($"resolver: sending to {target} failed: {ex.SocketErrorCode}");
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            await ReceiveRepliesAsync(socket, queryId, onResult, wave.Token).ConfigureAwait(false);
        }
    }

    private Task ReceiveRepliesAsync(Socket socket, string queryId, Action<LslStreamInfo> onResult, CancellationToken token)
    {
        byte[] buffer = new byte[LslLimits.MaxDatagramBytes + 1];
        return UdpReceiveLoop.RunAsync(socket, buffer, result =>
        {
            HandleReply(buffer, result, queryId, onResult);
            return ValueTask.CompletedTask;
        }, token);
    }

    private void HandleReply(byte[] buffer, SocketReceiveFromResult result, string queryId, Action<LslStreamInfo> onResult)
    {
        var source = (IPEndPoint)result.RemoteEndPoint;
        if (result.ReceivedBytes > LslLimits.MaxDatagramBytes)
        {
            _backend.Report($"resolver: oversized reply from {source} ignored");
            return;
        }
        string text = Encoding.UTF8.GetString(buffer, 0, result.ReceivedBytes);
        int lineEnd = text.IndexOf('\n', StringComparison.Ordinal);
        if (lineEnd < 0 || text[..lineEnd].TrimEnd() != queryId)
        {
            return;
        }
        LslStreamInfo info;
        try
        {
            info = LslStreamInfo.FromXml(text[(lineEnd + 1)..]);
        }
        catch (FormatException ex)
        {
            _backend.Report($"resolver: unusable reply from {source}: {ex.Message}");
            return;
        }
        if (info.Uid.Length == 0 || info.ChannelCount < 1 || info.ChannelCount > LslLimits.MaxChannelCount)
        {
            _backend.Report($"resolver: reply from {source} has no uid or an unsupported channel count ({info.ChannelCount})");
            return;
        }
        if (info.V4Address.Length == 0)
        {
            info.V4Address = source.Address.ToString();
        }
        onResult(info);
    }
}
