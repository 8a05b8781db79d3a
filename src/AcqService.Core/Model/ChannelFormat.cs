namespace AcqService.Core.Model;

/// <summary>
/// Value format of a stream's channels: the one enum for the model, the LSL library and XDF files. Numeric values
/// equal LSL's <c>lsl_channel_format_t</c> codes; the names (<c>float32</c>, …, the same in LSL stream info and XDF
/// headers) are <see cref="ChannelFormats.ToName"/>.
/// </summary>
public enum ChannelFormat
{
    /// <summary>Not known (LSL's <c>cft_undefined</c>; never the format of a registered stream).</summary>
    Undefined = 0,
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

/// <summary>Names and sizes of the channel formats, as written in LSL stream info and XDF stream headers.</summary>
public static class ChannelFormats
{
    /// <summary>The name: <c>float32</c>, <c>double64</c>, <c>string</c>, <c>int32</c>, <c>int16</c>, <c>int8</c>, <c>int64</c> (<c>undefined</c> otherwise).</summary>
    public static string ToName(this ChannelFormat format) => format switch
    {
        ChannelFormat.Float32 => "float32",
        ChannelFormat.Double64 => "double64",
        ChannelFormat.String => "string",
        ChannelFormat.Int32 => "int32",
        ChannelFormat.Int16 => "int16",
        ChannelFormat.Int8 => "int8",
        ChannelFormat.Int64 => "int64",
        _ => "undefined",
    };

    /// <summary>Parses a name (case-insensitive; <c>float</c> and <c>double</c> accepted as older spellings).</summary>
    /// <returns>True when the name is a known format; otherwise <paramref name="format"/> is <see cref="ChannelFormat.Undefined"/>.</returns>
    public static bool TryParse(string? name, out ChannelFormat format)
    {
        format = name?.Trim().ToLowerInvariant() switch
        {
            "float32" or "float" => ChannelFormat.Float32,
            "double64" or "double" => ChannelFormat.Double64,
            "string" => ChannelFormat.String,
            "int32" => ChannelFormat.Int32,
            "int16" => ChannelFormat.Int16,
            "int8" => ChannelFormat.Int8,
            "int64" => ChannelFormat.Int64,
            _ => ChannelFormat.Undefined,
        };
        return format != ChannelFormat.Undefined;
    }

    /// <summary>Bytes of one value: 1, 2, 4 or 8 for numbers; 0 for strings (variable length) and undefined.</summary>
    public static int ValueSize(this ChannelFormat format) => format switch
    {
        ChannelFormat.Int8 => 1,
        ChannelFormat.Int16 => 2,
        ChannelFormat.Int32 or ChannelFormat.Float32 => 4,
        ChannelFormat.Int64 or ChannelFormat.Double64 => 8,
        _ => 0,
    };
}
