using AcqService.Core.Pipeline;

namespace AcqService.Core.Tests;

public sealed class PeriodicTicksTests
{
    [Fact]
    public async Task StopOn_CancelledWhileWaiting_TheWaitReturnsFalseWithoutThrowing()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        using var cts = new CancellationTokenSource();
        using CancellationTokenRegistration stop = timer.StopOn(cts.Token);
        ValueTask<bool> wait = timer.WaitForNextTickAsync();
        Assert.False(wait.IsCompleted);
        await cts.CancelAsync();
        Task<bool> ended = wait.AsTask();
        Assert.Same(ended, await Task.WhenAny(ended, Task.Delay(TimeSpan.FromSeconds(10))));
        Assert.False(await ended);
    }

    [Fact]
    public async Task StopOn_AlreadyCancelled_NoTickIsWaitedFor()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        using CancellationTokenRegistration stop = timer.StopOn(new CancellationToken(canceled: true));
        ValueTask<bool> wait = timer.WaitForNextTickAsync();
        Assert.True(wait.IsCompleted);
        Assert.False(await wait);
    }

    [Fact]
    public async Task StopOn_NotCancelled_TicksKeepComingAndTheLoopEndsAtTheCancel()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(5));
        using var cts = new CancellationTokenSource();
        using CancellationTokenRegistration stop = timer.StopOn(cts.Token);
        int ticks = 0;
        Task loop = Task.Run(async () =>
        {
            while (await timer.WaitForNextTickAsync())
            {
                if (++ticks == 3)
                {
                    await cts.CancelAsync();
                }
            }
        });
        Assert.Same(loop, await Task.WhenAny(loop, Task.Delay(TimeSpan.FromSeconds(10))));
        await loop;
        Assert.Equal(3, ticks);
    }
}
