namespace AcqService.Xdf;

/// <summary>Conversions between <see cref="XdfChannelFormat"/> and its XML name and byte size.</summary>
public static class XdfChannelFormats
{
    /// <summary>Returns the XML name LabRecorder and pyxdf use for <paramref name="format"/> (e.g. <c>float32</c>).</summary>
    /// <param name="format">The channel format.</param>
    /// <returns>The lower-case XDF name.</returns>
    public static string ToXdfName(XdfChannelFormat format) => format switch
    {
        XdfChannelFormat.Int8 => "int8",
        XdfChannelFormat.Int16 => "int16",
        XdfChannelFormat.Int32 => "int32",
        XdfChannelFormat.Int64 => "int64",
        XdfChannelFormat.Float32 => "float32",
        XdfChannelFormat.Double64 => "double64",
        XdfChannelFormat.String => "string",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown channel format."),
    };

    /// <summary>Parses an XDF <c>channel_format</c> value, accepting the <c>float</c>/<c>double</c> aliases some writers emit.</summary>
    /// <param name="name">The text of the element (surrounding white space is ignored, case-insensitive).</param>
    /// <param name="format">The parsed format when the method returns true.</param>
    /// <returns>True when the name is a known format.</returns>
    public static bool TryParse(string? name, out XdfChannelFormat format)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "int8": format = XdfChannelFormat.Int8; return true;
            case "int16": format = XdfChannelFormat.Int16; return true;
            case "int32": format = XdfChannelFormat.Int32; return true;
            case "int64": format = XdfChannelFormat.Int64; return true;
            case "float32" or "float": format = XdfChannelFormat.Float32; return true;
            case "double64" or "double": format = XdfChannelFormat.Double64; return true;
            case "string": format = XdfChannelFormat.String; return true;
            default: format = default; return false;
        }
    }

    /// <summary>Returns the number of bytes one value occupies in a Samples chunk, or 0 for strings (variable length).</summary>
    /// <param name="format">The channel format.</param>
    /// <returns>1, 2, 4 or 8 for numeric formats; 0 for <see cref="XdfChannelFormat.String"/>.</returns>
    public static int ValueSize(XdfChannelFormat format) => format switch
    {
        XdfChannelFormat.Int8 => 1,
        XdfChannelFormat.Int16 => 2,
        XdfChannelFormat.Int32 or XdfChannelFormat.Float32 => 4,
        XdfChannelFormat.Int64 or XdfChannelFormat.Double64 => 8,
        XdfChannelFormat.String => 0,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown channel format."),
    };
}
