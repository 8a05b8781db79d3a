namespace AcqService.Xdf;

/// <summary>Byte-level constants of the XDF 1.0 format.</summary>
internal static class XdfConstants
{
    /// <summary>The 4-byte file magic <c>XDF:</c>.</summary>
    public static ReadOnlySpan<byte> Magic => "XDF:"u8;

    /// <summary>Content of every Boundary chunk; readers scan for it to resynchronise after corruption.</summary>
    public static ReadOnlySpan<byte> BoundaryUuid =>
        [0x43, 0xA5, 0x46, 0xDC, 0xCB, 0xF5, 0x41, 0x0F, 0xB3, 0x0E, 0xD5, 0x46, 0x73, 0x83, 0xCB, 0xE4];

    /// <summary>Default ceiling for a single chunk's length, so a corrupt length cannot make the reader allocate gigabytes.</summary>
    public const long DefaultMaxChunkBytes = 256L * 1024 * 1024;
}
