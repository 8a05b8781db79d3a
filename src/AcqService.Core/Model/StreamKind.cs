namespace AcqService.Core.Model;

/// <summary>Role of a stream in the pipeline.</summary>
public enum StreamKind
{
    /// <summary>Regularly sampled signal (EEG, fNIRS, …) carried as <see cref="SampleChunk"/>s.</summary>
    Signal,
    /// <summary>Irregular event stream carried as <see cref="Marker"/>s.</summary>
    Markers,
}
