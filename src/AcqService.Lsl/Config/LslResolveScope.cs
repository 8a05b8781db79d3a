namespace AcqService.Lsl.Config;

/// <summary>How far discovery reaches (<c>multicast.ResolveScope</c>); each level includes the ones before it.</summary>
public enum LslResolveScope
{
    /// <summary>This machine only (127.0.0.1, TTL 0).</summary>
    Machine = 0,
    /// <summary>The local link (broadcast, 224.0.0.x, FF02::, TTL 1).</summary>
    Link = 1,
    /// <summary>The site (239.255.172.215, FF05::, TTL 24); liblsl's default.</summary>
    Site = 2,
    /// <summary>The organization (FF08::, TTL 32).</summary>
    Organization = 3,
    /// <summary>Global (FF0E::, TTL 255).</summary>
    Global = 4,
}
