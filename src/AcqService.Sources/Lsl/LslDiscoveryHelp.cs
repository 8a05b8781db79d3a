using AcqService.Core.Model;
using System.Globalization;
using System.Text;
using AcqService.Lsl;
using AcqService.Lsl.Config;
using AcqService.Lsl.Managed;
using AcqService.Lsl.Native;

namespace AcqService.Sources.Lsl;

/// <summary>
/// Explains why a stream may be invisible: which configuration is in effect (scope, KnownPeers, session id, the
/// <c>lsl_api.cfg</c> used) and what usually blocks discovery on lab networks. Shared by the LSL sources'
/// "not found" errors and the <c>acq streams</c> command so both say the same thing.
/// </summary>
public static class LslDiscoveryHelp
{
    /// <summary>Multi-line text: the backend's discovery settings and the usual fixes.</summary>
    public static string Explain(ILslBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"  backend: {backend.Name} ({backend.Version})\n");
        switch (backend)
        {
            case ManagedLslBackend managed:
                LslConfig config = managed.Config;
                text.Append(CultureInfo.InvariantCulture, $"  configuration: {config.SourceName}\n");
                text.Append(CultureInfo.InvariantCulture, $"  scope: multicast.ResolveScope = {config.ResolveScope.ToString().ToLowerInvariant()}{ScopeNote(config.ResolveScope)}\n");
                text.Append(CultureInfo.InvariantCulture, $"  known peers: lab.KnownPeers = {{{string.Join(", ", config.KnownPeers)}}}{(config.KnownPeers.Count == 0 ? " (none: only multicast/broadcast discovery is used)" : "")}\n");
                text.Append(CultureInfo.InvariantCulture, $"  session: lab.SessionID = '{config.SessionId}' (streams of another session id are invisible)\n");
                text.Append(CultureInfo.InvariantCulture, $"  ports: discovery UDP {config.MulticastPort}, data/service UDP+TCP {config.BasePort}-{config.BasePort + config.PortRange - 1}\n");
                break;
            case NativeLslBackend native:
                text.Append(CultureInfo.InvariantCulture, $"  configuration: {native.ConfigurationSource}{(native.ConfigurationFile is string f ? " (" + f + ")" : "")}\n");
                text.Append("  scope / known peers / session id: as set in that lsl_api.cfg (liblsl defaults: scope site, no KnownPeers, session 'default')\n");
                break;
            default:
                text.Append("  configuration: unknown for this backend\n");
                break;
        }
        text.Append("  hints:\n");
        text.Append("   - is the outlet running, and on which computer? `acq streams` lists what this computer can see\n");
        text.Append("   - scope: 'machine' only finds streams on this computer; other computers need scope link/site or KnownPeers\n");
        text.Append("   - KnownPeers: when multicast is blocked (Wi-Fi, managed switches), list the amplifier PC in lab.KnownPeers of lsl_api.cfg\n");
        text.Append("   - firewall: allow UDP 16571 and UDP/TCP 16572-16603 in both directions on both computers\n");
        text.Append("   - lsl_api.cfg is read from LSLAPICFG, ./lsl_api.cfg, ~/lsl_api/lsl_api.cfg, /etc/lsl_api/lsl_api.cfg (first found wins)");
        return text.ToString();
    }

    /// <summary>One line describing a stream for listings (name, type, channels, rate, host, source_id).</summary>
    public static string Describe(LslStreamInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        string rate = info.NominalSrate > 0 ? info.NominalSrate.ToString("0.###", CultureInfo.InvariantCulture) + " Hz" : "irregular";
        return $"'{info.Name}' type '{info.Type}', {info.ChannelCount} ch {info.ChannelFormat.ToName()}, {rate}, host {info.Hostname}, source_id '{info.SourceId}'";
    }

    private static string ScopeNote(LslResolveScope scope) => scope == LslResolveScope.Machine ? " (this computer only)" : "";
}
