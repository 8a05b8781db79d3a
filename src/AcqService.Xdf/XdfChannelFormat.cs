namespace AcqService.Xdf;

/// <summary>Value type of every channel in an XDF stream (the <c>channel_format</c> header element).</summary>
public enum XdfChannelFormat
{
    /// <summary>Signed 8-bit integer, 1 byte per value.</summary>
    Int8,

    /// <summary>Signed 16-bit integer, 2 bytes per value, little-endian.</summary>
    Int16,

    /// <summary>Signed 32-bit integer, 4 bytes per value, little-endian.</summary>
    Int32,

    /// <summary>Signed 64-bit integer, 8 bytes per value, little-endian.</summary>
    Int64,

    /// <summary>IEEE-754 single precision, 4 bytes per value, little-endian.</summary>
    Float32,

    /// <summary>IEEE-754 double precision, 8 bytes per value, little-endian.</summary>
    Double64,

    /// <summary>UTF-8 string per value, each prefixed by a variable-length byte count.</summary>
    String,
}
