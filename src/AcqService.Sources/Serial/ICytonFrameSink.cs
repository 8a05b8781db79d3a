namespace AcqService.Sources.Serial;

/// <summary>Receives sample frames from <see cref="CytonFrameAssembler"/>.</summary>
public interface ICytonFrameSink
{
    /// <summary>
    /// One frame in µV (8 values for a Cyton, 16 for Cyton+Daisy). <paramref name="missingBefore"/> frames were lost
    /// just before it (from the sample counter; 0 normally). The span is reused after the call returns.
    /// </summary>
    void OnFrame(ReadOnlySpan<double> microvolts, int missingBefore);
}
