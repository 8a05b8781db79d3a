namespace AcqService.Lsl.Config;

/// <summary>IP families LSL may use (<c>ports.IPv6</c>).</summary>
public enum LslIPv6Mode
{
    /// <summary>IPv4 only (<c>disable</c>/<c>disabled</c>): no IPv6 socket is ever opened.</summary>
    Disable,
    /// <summary>IPv4 and IPv6 (<c>allow</c>/<c>allowed</c>), liblsl's default except on macOS.</summary>
    Allow,
    /// <summary>IPv6 only (<c>force</c>/<c>forced</c>).</summary>
    Force,
}
