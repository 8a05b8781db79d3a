using System.Runtime.CompilerServices;

namespace AcqService.Lsl.Native;

/// <summary>
/// Keeps the native info behind every <see cref="LslStreamInfo"/> that a native resolve returned.
/// </summary>
/// <remarks>
/// Why: liblsl's resolver stores the address a stream answered from in a member of the info, but not in its XML
/// document (in 1.17.7 <c>stream_info_impl::v4address()</c> sets the text of an empty element, which is a no-op in pugixml),
/// and the C API has no getter for it. An info that goes through <c>lsl_get_xml</c> → <see cref="LslStreamInfo"/> →
/// <c>lsl_streaminfo_from_xml</c> has therefore lost its address, and an inlet built from it would wait on a dummy
/// endpoint. The original handle is attached to the managed object (weakly: it is destroyed when the object is
/// collected) and used by <see cref="NativeLslBackend.CreateInlet"/>.
/// </remarks>
internal static class ResolvedStreamInfos
{
    private static readonly ConditionalWeakTable<LslStreamInfo, LslStreamInfoHandle> s_handles = new();

    /// <summary>Takes ownership of the infos a resolve call wrote into <paramref name="buffer"/>, converts them, and keeps the handles of those returned.</summary>
    internal static List<LslStreamInfo> Take(ReadOnlySpan<nint> buffer)
    {
        // Wrap every pointer before converting any, so each is owned by a SafeHandle even if a conversion throws.
        var handles = new LslStreamInfoHandle[buffer.Length];
        for (int i = 0; i < buffer.Length; i++)
        {
            handles[i] = new LslStreamInfoHandle(buffer[i]);
        }
        var result = new List<LslStreamInfo>(buffer.Length);
        var uids = new HashSet<string>(StringComparer.Ordinal);
        int next = 0;
        try
        {
            for (; next < handles.Length; next++)
            {
                LslStreamInfoHandle handle = handles[next];
                LslStreamInfo info;
                try
                {
                    info = Interop.Lsl.ToManaged(handle);
                }
                catch (FormatException)
                {
                    // A peer published XML our parser rejects; skip it as liblsl skips unparsable replies.
                    handle.Dispose();
                    continue;
                }
                if (info.Uid.Length > 0 && !uids.Add(info.Uid))
                {
                    handle.Dispose(); // duplicate reply for the same outlet instance
                    continue;
                }
                s_handles.AddOrUpdate(info, handle);
                result.Add(info);
            }
        }
        catch
        {
            for (; next < handles.Length; next++)
            {
                handles[next].Dispose();
            }
            throw;
        }
        return result;
    }

    /// <summary>The native info a resolve returned together with <paramref name="info"/> (not for clones), or null.</summary>
    internal static LslStreamInfoHandle? Find(LslStreamInfo info) =>
        s_handles.TryGetValue(info, out LslStreamInfoHandle? handle) && !handle.IsClosed ? handle : null;
}
