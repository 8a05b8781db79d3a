using AcqService.Core.Model;

namespace AcqService.Xdf;

/// <summary>
/// The XDF side of <see cref="ChannelFormat"/>: the <c>channel_format</c> names LabRecorder and pyxdf write and the
/// bytes one value takes in a Samples chunk. The enum itself is the model's (its numeric values are LSL's codes), so
/// a stream's format goes from device to file without conversion.
/// </summary>
public static class XdfChannelFormats
{
    /// <summary>Returns the XML name LabRecorder and pyxdf use for <paramref name="format"/> (e.g. <c>float32</c>).</summary>
    /// <param name="format">The channel format.</param>
    /// <returns>The lower-case XDF name.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined format.</exception>
    public static string ToXdfName(this ChannelFormat format) => format switch
    {
        ChannelFormat.Int8 => "int8",
        ChannelFormat.Int16 => "int16",
        ChannelFormat.Int32 => "int32",
        ChannelFormat.Int64 => "int64",
        ChannelFormat.Float32 => "float32",
        ChannelFormat.Double64 => "double64",
        ChannelFormat.String => "string",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown channel format."),
    };

    /// <summary>Parses an XDF <c>channel_format</c> value, accepting the <c>float</c>/<c>double</c> aliases some writers emit.</summary>
    /// <param name="name">The text of the element (surrounding white space is ignored, case-insensitive).</param>
    /// <param name="format">The parsed format when the method returns true.</param>
    /// <returns>True when the name is a known format.</returns>
    public static bool TryParse(string? name, out ChannelFormat format)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "int8": format = ChannelFormat.Int8; return true;
            case "int16": format = ChannelFormat.Int16; return true;
            case "int32": format = ChannelFormat.Int32; return true;
            case "int64": format = ChannelFormat.Int64; return true;
            case "float32" or "float": format = ChannelFormat.Float32; return true;
            case "double64" or "double": format = ChannelFormat.Double64; return true;
            case "string": format = ChannelFormat.String; return true;
            default: format = default; return false;
        }
    }

    /// <summary>Returns the number of bytes one value occupies in a Samples chunk, or 0 for strings (variable length).</summary>
    /// <param name="format">The channel format.</param>
    /// <returns>1, 2, 4 or 8 for numeric formats; 0 for <see cref="ChannelFormat.String"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined format.</exception>
    public static int ValueSize(ChannelFormat format) => format switch
    {
        ChannelFormat.Int8 => 1,
        ChannelFormat.Int16 => 2,
        ChannelFormat.Int32 or ChannelFormat.Float32 => 4,
        ChannelFormat.Int64 or ChannelFormat.Double64 => 8,
        ChannelFormat.String => 0,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown channel format."),
    };
}
