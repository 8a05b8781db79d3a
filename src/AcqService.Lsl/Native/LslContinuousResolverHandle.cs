using Microsoft.Win32.SafeHandles;

namespace AcqService.Lsl.Native;

/// <summary>Owns an <c>lsl_continuous_resolver</c>; released with <c>lsl_destroy_continuous_resolver</c>.</summary>
internal sealed class LslContinuousResolverHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Used by the interop marshaller for returned handles.</summary>
    public LslContinuousResolverHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle()
    {
        Interop.Lsl.lsl_destroy_continuous_resolver(handle);
        return true;
    }
}
