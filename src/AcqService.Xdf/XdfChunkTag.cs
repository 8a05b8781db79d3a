namespace AcqService.Xdf;

/// <summary>Chunk type tags of XDF 1.0 (the uint16 after the chunk length).</summary>
public enum XdfChunkTag : ushort
{
    /// <summary>File header XML, once at the start of the file.</summary>
    FileHeader = 1,

    /// <summary>Stream header: stream id + LSL stream info XML.</summary>
    StreamHeader = 2,

    /// <summary>Samples of one stream with optional per-sample timestamps.</summary>
    Samples = 3,

    /// <summary>One clock offset measurement of one stream.</summary>
    ClockOffset = 4,

    /// <summary>Fixed 16-byte UUID used as a resynchronisation point.</summary>
    Boundary = 5,

    /// <summary>Stream footer: stream id + summary XML.</summary>
    StreamFooter = 6,
}
