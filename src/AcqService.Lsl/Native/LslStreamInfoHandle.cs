using Microsoft.Win32.SafeHandles;

namespace AcqService.Lsl.Native;

/// <summary>Owns an <c>lsl_streaminfo</c>; released with <c>lsl_destroy_streaminfo</c>.</summary>
internal sealed class LslStreamInfoHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Used by the interop marshaller for returned handles.</summary>
    public LslStreamInfoHandle() : base(ownsHandle: true) { }

    /// <summary>Takes ownership of a pointer liblsl wrote into a resolver buffer.</summary>
    internal LslStreamInfoHandle(nint existing) : base(ownsHandle: true) => SetHandle(existing);

    protected override bool ReleaseHandle()
    {
        Interop.Lsl.lsl_destroy_streaminfo(handle);
        return true;
    }
}
