namespace AcqService.Core.Model;

/// <summary>
/// Value format of a stream's channels: the one enum for the model, XDF files and (after the LSL library adopts it)
/// LSL. Numeric values equal LSL's <c>lsl_channel_format_t</c> codes; the XDF names (<c>float32</c>, …) are
/// <c>AcqService.Xdf.XdfChannelFormats.ToXdfName</c>.
/// </summary>
public enum ChannelFormat
{
    /// <summary>IEEE-754 32-bit float (<c>float32</c>).</summary>
    Float32 = 1,
    /// <summary>IEEE-754 64-bit float (<c>double64</c>).</summary>
    Double64 = 2,
    /// <summary>Variable-length UTF-8 string (<c>string</c>), used by marker streams.</summary>
    String = 3,
    /// <summary>32-bit signed integer (<c>int32</c>).</summary>
    Int32 = 4,
    /// <summary>16-bit signed integer (<c>int16</c>).</summary>
    Int16 = 5,
    /// <summary>8-bit signed integer (<c>int8</c>).</summary>
    Int8 = 6,
    /// <summary>64-bit signed integer (<c>int64</c>).</summary>
    Int64 = 7,
}
