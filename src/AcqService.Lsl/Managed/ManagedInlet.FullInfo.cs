using System.Globalization;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Text;

namespace AcqService.Lsl.Managed;

/// <summary>Fetching the full stream info (with <c>desc</c>) of a managed inlet's stream over a separate TCP request.</summary>
internal sealed partial class ManagedInlet
{
    /// <inheritdoc />
    /// <remarks>
    /// The one synchronous bridge of this inlet: fetching the info is network I/O, which is asynchronous here. It is
    /// connect-time only, and the wait is bounded (timeout plus a grace for the loop to notice it); the pull, open and
    /// time-correction paths wait on synchronous primitives or are asynchronous end to end.
    /// </remarks>
    public LslStreamInfo GetFullInfo(TimeSpan timeout)
    {
        LslStreamInfo? info = null;
        ExceptionDispatchInfo? failure = null;
        var done = new ManualResetEventSlim();
        _ = FetchAsync();
        if (!done.WaitHandle.WaitOne(timeout + LslLimits.DisposeTimeout))
        {
            // Not disposed: the fetch may still set it.
            throw new TimeoutException($"full info of '{Info.Name}' not received within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        done.Dispose();
        failure?.Throw();
        return info!;

        async Task FetchAsync()
        {
            try
            {
                info = await GetFullInfoAsync(timeout).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failure = ExceptionDispatchInfo.Capture(ex);
            }
            finally
            {
                done.Set();
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<LslStreamInfo> GetFullInfoAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfLost();
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        Exception? lastError = null;
        while (true)
        {
            LslStreamInfo target = _current;
            long remaining = deadline - Environment.TickCount64;
            if (remaining <= 0)
            {
                break;
            }
            if (HasEndpoint(target))
            {
                try
                {
                    return await FetchFullInfoAsync(target, TimeSpan.FromMilliseconds(remaining), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SocketException or IOException or LslProtocolException or FormatException
                    || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    lastError = ex;
                }
            }
            ThrowIfLost();
            await Task.Delay((int)Math.Clamp(deadline - Environment.TickCount64, 0, 100), cancellationToken).ConfigureAwait(false);
        }
        throw new TimeoutException($"full info of '{Info.Name}' not received within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s" + (lastError is null ? "" : $": {lastError.Message}"));
    }

    private async Task<LslStreamInfo> FetchFullInfoAsync(LslStreamInfo target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token, cancellationToken);
        cts.CancelAfter(timeout);
        using Socket socket = await ConnectAsync(target, cts.Token).ConfigureAwait(false);
        await socket.SendAsync("LSL:fullinfo\r\n"u8.ToArray(), SocketFlags.None, cts.Token).ConfigureAwait(false);
        var reader = new FrameReader(socket, LslLimits.MaxXmlBytes + 1);
        byte[] xml = await reader.ReadToEndAsync(LslLimits.MaxXmlBytes, cts.Token).ConfigureAwait(false);
        LslStreamInfo full = LslStreamInfo.FromXml(Encoding.UTF8.GetString(xml));
        if (full.Uid != target.Uid || full.CreatedAt == 0)
        {
            throw new LslProtocolException("fullinfo belongs to another stream instance or has no created_at");
        }
        // The outlet leaves the addresses empty; keep the ones discovery found.
        full.V4Address = target.V4Address;
        full.V6Address = target.V6Address;
        return full;
    }
}
