namespace AcqService.Lsl.Native;

/// <summary>
/// An <c>lsl_xml_ptr</c>: a BORROWED pointer to an element inside a stream info's XML document. It is not a
/// SafeHandle because nothing frees it; it is valid only while the owning <see cref="LslStreamInfoHandle"/> is alive,
/// so callers keep that handle referenced (e.g. with <c>using</c> or <see cref="GC.KeepAlive"/>) while they use it.
/// Blittable (one pointer field), so it marshals by value.
/// </summary>
internal readonly struct LslXmlPtr
{
    private readonly nint _value;

    /// <summary>Wraps a raw element pointer (the marshaller fills the field directly for returned values).</summary>
    internal LslXmlPtr(nint value) => _value = value;

    /// <summary>liblsl returns an empty element (null pointer) for missing children.</summary>
    public bool IsNull => _value == 0;
}
