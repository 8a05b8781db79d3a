using Microsoft.Win32.SafeHandles;

namespace AcqService.Lsl.Native;

/// <summary>Owns an <c>lsl_inlet</c>; released with <c>lsl_destroy_inlet</c>.</summary>
/// <remarks>
/// Because the marshaller AddRefs the handle during each call, disposing an inlet while another thread is blocked in
/// a pull only marks it closed; the native inlet is destroyed when that pull returns (all pulls have finite timeouts).
/// </remarks>
internal sealed class LslInletHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Used by the interop marshaller for returned handles.</summary>
    public LslInletHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle()
    {
        Interop.Lsl.lsl_destroy_inlet(handle);
        return true;
    }
}
