namespace AcqService.Lsl.Managed;

/// <summary>Result of one successful time-sync burst: correction (local − remote), its uncertainty (rtt) and the remote time.</summary>
internal sealed record TimeEstimate(double Correction, double Uncertainty, double RemoteTime);
