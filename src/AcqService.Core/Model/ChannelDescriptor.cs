namespace AcqService.Core.Model;

/// <summary>One channel of a stream.</summary>
/// <param name="Label">Channel label, e.g. <c>Pz</c> (10-20 name for EEG, <c>S1-D1 760</c> for fNIRS).</param>
/// <param name="Unit">Physical unit of the values, e.g. <c>uV</c>.</param>
/// <param name="Type">Channel type, e.g. <c>EEG</c>, <c>EOG</c>, <c>NIRS</c>, <c>TRIG</c>.</param>
public sealed record ChannelDescriptor(string Label, string Unit, string Type);
