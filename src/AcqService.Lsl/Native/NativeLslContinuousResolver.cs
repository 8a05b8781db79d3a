namespace AcqService.Lsl.Native;

/// <summary><see cref="ILslContinuousResolver"/> over <c>lsl_continuous_resolver</c>; liblsl runs the discovery waves on its own thread.</summary>
internal sealed class NativeLslContinuousResolver : ILslContinuousResolver
{
    private const int Capacity = 1024;
    private readonly LslContinuousResolverHandle _handle;

    internal NativeLslContinuousResolver(LslContinuousResolverHandle handle) => _handle = handle;

    /// <inheritdoc />
    public unsafe IReadOnlyList<LslStreamInfo> Results()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var buffer = new nint[Capacity];
        int count;
        fixed (nint* p = buffer)
        {
            count = Interop.Lsl.lsl_resolver_results(_handle, p, Capacity);
        }
        LslErrors.ThrowIfError(count, "lsl_resolver_results");
        return ResolvedStreamInfos.Take(buffer.AsSpan(0, count));
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}
