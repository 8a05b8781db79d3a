using Microsoft.Win32.SafeHandles;

namespace AcqService.Lsl.Native;

/// <summary>Owns an <c>lsl_outlet</c>; released with <c>lsl_destroy_outlet</c> (which closes every consumer connection).</summary>
internal sealed class LslOutletHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Used by the interop marshaller for returned handles.</summary>
    public LslOutletHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle()
    {
        Interop.Lsl.lsl_destroy_outlet(handle);
        return true;
    }
}
