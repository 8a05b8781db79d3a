namespace AcqService.Lsl;

/// <summary>LSL channel value formats; numeric values equal liblsl's <c>lsl_channel_format_t</c>.</summary>
public enum LslChannelFormat
{
    /// <summary>Not set; never valid on the wire.</summary>
    Undefined = 0,
    /// <summary>IEEE-754 32-bit float.</summary>
    Float32 = 1,
    /// <summary>IEEE-754 64-bit float.</summary>
    Double64 = 2,
    /// <summary>Variable-length UTF-8 string.</summary>
    String = 3,
    /// <summary>32-bit signed integer.</summary>
    Int32 = 4,
    /// <summary>16-bit signed integer.</summary>
    Int16 = 5,
    /// <summary>8-bit signed integer.</summary>
    Int8 = 6,
    /// <summary>64-bit signed integer.</summary>
    Int64 = 7,
}

/// <summary>Helpers for <see cref="LslChannelFormat"/>.</summary>
public static class LslChannelFormats
{
    /// <summary>The XML spelling used in stream info (<c>float32</c>, <c>double64</c>, …).</summary>
    public static string ToXmlName(this LslChannelFormat format) => format switch
    {
        LslChannelFormat.Float32 => "float32",
        LslChannelFormat.Double64 => "double64",
        LslChannelFormat.String => "string",
        LslChannelFormat.Int32 => "int32",
        LslChannelFormat.Int16 => "int16",
        LslChannelFormat.Int8 => "int8",
        LslChannelFormat.Int64 => "int64",
        _ => "undefined",
    };

    /// <summary>Parses the XML spelling; also accepts the aliases <c>double</c> and <c>float</c> written by some tools.</summary>
    public static bool TryParse(string? text, out LslChannelFormat format)
    {
        format = (text ?? "").Trim() switch
        {
            "float32" or "float" => LslChannelFormat.Float32,
            "double64" or "double" => LslChannelFormat.Double64,
            "string" => LslChannelFormat.String,
            "int32" => LslChannelFormat.Int32,
            "int16" => LslChannelFormat.Int16,
            "int8" => LslChannelFormat.Int8,
            "int64" => LslChannelFormat.Int64,
            _ => LslChannelFormat.Undefined,
        };
        return format != LslChannelFormat.Undefined;
    }

    /// <summary>Bytes per value on the wire (strings: 0, they are length-prefixed).</summary>
    public static int ValueSize(this LslChannelFormat format) => format switch
    {
        LslChannelFormat.Float32 or LslChannelFormat.Int32 => 4,
        LslChannelFormat.Double64 or LslChannelFormat.Int64 => 8,
        LslChannelFormat.Int16 => 2,
        LslChannelFormat.Int8 => 1,
        _ => 0,
    };
}
