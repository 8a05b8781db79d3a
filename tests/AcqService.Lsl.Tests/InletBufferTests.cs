using AcqService.Lsl.Managed;

namespace AcqService.Lsl.Tests;

/// <summary>The managed inlet's receive buffer on its own: bound, drop counting, waits.</summary>
public sealed class InletBufferTests
{
    private static InSample Sample(int i) => new(i * 0.5, [i, -i], null);

    [Fact]
    public void Full_DropsOldestAndCountsEachDrop()
    {
        using var buffer = new InletBuffer(3, new SampleArrayPool(2, 8));
        for (int i = 0; i < 10; i++)
        {
            buffer.Write(Sample(i));
            Assert.Equal(Math.Max(0, i - 2), buffer.Dropped);
        }
        double[] data = new double[2 * 5];
        double[] times = new double[5];
        Assert.Equal(3, buffer.Read(data, times, 2));
        Assert.Equal([7.0, -7, 8, -8, 9, -9], data[..6]);
        Assert.Equal([3.5, 4.0, 4.5], times[..3]);
        Assert.Equal(0, buffer.Count);
        Assert.Equal(7, buffer.Dropped);
        Assert.Equal(7, buffer.DroppedBeforeLastRead);
    }

    [Fact]
    public void BatchWrite_DropsTheOldestAcrossBufferAndBatch_AndWakesAWaitingPull()
    {
        using var buffer = new InletBuffer(3, new SampleArrayPool(2, 8));
        buffer.Write(Sample(0));
        buffer.Write(Sample(1));
        bool woke = false;
        var waiter = new Thread(() => woke = buffer.WaitForSample(TimeSpan.FromSeconds(10)));
        // The batch of 4 into a bound of 3 holding 2: samples 0, 1 and 2 go, in that order.
        buffer.Write([Sample(2), Sample(3), Sample(4), Sample(5)]);
        Assert.Equal(3, buffer.Dropped);
        double[] data = new double[2 * 4];
        double[] times = new double[4];
        Assert.Equal(3, buffer.Read(data, times, 2));
        Assert.Equal([3.0, -3, 4, -4, 5, -5], data[..6]);
        Assert.Equal([1.5, 2.0, 2.5], times[..3]);

        // An empty buffer: a pull blocked in the wait is released by one batch.
        waiter.Start();
        Thread.Sleep(50);
        buffer.Write([Sample(6), Sample(7)]);
        Assert.True(waiter.Join(TimeSpan.FromSeconds(10)));
        Assert.True(woke);
        Assert.Equal(2, buffer.Read(data, times, 2));
        Assert.Equal([3.0, 3.5], times[..2]);
    }

    [Fact]
    public void DroppedBeforeLastRead_IsTheCountWhenTheReadTookItsSamples()
    {
        using var buffer = new InletBuffer(2, new SampleArrayPool(2, 8));
        for (int i = 0; i < 5; i++)
        {
            buffer.Write(Sample(i));
        }
        double[] data = new double[2];
        double[] times = new double[1];
        Assert.Equal(1, buffer.Read(data, times, 2));
        Assert.Equal(3, buffer.DroppedBeforeLastRead);
        // Later drops (samples 3 and 4 pushed out by 5..8) lie after what was read: the snapshot stays until the next read.
        for (int i = 5; i < 9; i++)
        {
            buffer.Write(Sample(i));
        }
        Assert.Equal(6, buffer.Dropped);
        Assert.Equal(3, buffer.DroppedBeforeLastRead);
        Assert.Equal(1, buffer.Read(data, times, 2));
        Assert.Equal(7.0, data[0]);
        Assert.Equal(6, buffer.DroppedBeforeLastRead);
        // An empty read leaves it alone.
        buffer.Read(data, times, 2);
        Assert.Equal(0, buffer.Read(data, times, 2));
        Assert.Equal(6, buffer.DroppedBeforeLastRead);
    }

    [Fact]
    public void Read_TakesAtMostTheCallersSamplesAndKeepsTheRest()
    {
        using var buffer = new InletBuffer(10, new SampleArrayPool(2, 8));
        for (int i = 0; i < 5; i++)
        {
            buffer.Write(Sample(i));
        }
        double[] data = new double[4];
        double[] times = new double[2];
        Assert.Equal(2, buffer.Read(data, times, 2));
        Assert.Equal([0.0, 0, 1, -1], data);
        Assert.Equal(3, buffer.Count);
        string[] text = new string[4];
        Assert.Equal(2, buffer.Read(text, times, 2));
        Assert.Equal(["2", "-2", "3", "-3"], text);
    }

    [Fact]
    public async Task WaitAsync_WriteWakesTheWaiter()
    {
        using var buffer = new InletBuffer(4, new SampleArrayPool(2, 8));
        ValueTask<bool> wait = buffer.WaitAsync(TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.False(wait.IsCompleted);
        buffer.Write(Sample(1));
        Assert.True(await wait);
    }

    [Fact]
    public async Task WaitAsync_TimesOutWithFalse_AndRepeatedWaitsAreIndependent()
    {
        using var buffer = new InletBuffer(4, new SampleArrayPool(2, 8));
        for (int i = 0; i < 5; i++)
        {
            Assert.False(await buffer.WaitAsync(TimeSpan.FromMilliseconds(10), CancellationToken.None));
        }
        // A long wait after short ones must not be ended by one of their timers.
        ValueTask<bool> wait = buffer.WaitAsync(TimeSpan.FromMinutes(1), CancellationToken.None);
        await Task.Delay(100);
        Assert.False(wait.IsCompleted);
        buffer.Write(Sample(0));
        Assert.True(await wait);
    }

    [Fact]
    public async Task WaitAsync_Cancelled_Throws_AndCompleteEndsAWaitWithFalse()
    {
        using var buffer = new InletBuffer(4, new SampleArrayPool(2, 8));
        using var cts = new CancellationTokenSource();
        ValueTask<bool> wait = buffer.WaitAsync(TimeSpan.FromMinutes(1), cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await wait);

        ValueTask<bool> second = buffer.WaitAsync(TimeSpan.FromMinutes(1), CancellationToken.None);
        buffer.Complete();
        Assert.False(await second);
        // Completed: writes are ignored, so a late receive loop cannot refill it.
        buffer.Write(Sample(3));
        Assert.Equal(0, buffer.Count);
    }

    [Fact]
    public void WaitForSample_ReturnsWhenWrittenFromAnotherThread()
    {
        using var buffer = new InletBuffer(4, new SampleArrayPool(2, 8));
        Assert.False(buffer.WaitForSample(TimeSpan.FromMilliseconds(10)));
        using var writer = new Timer(_ => buffer.Write(Sample(5)), null, 50, Timeout.Infinite);
        Assert.True(buffer.WaitForSample(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, buffer.Count);
    }

    [Fact]
    public void WaitAsync_WithACancellableToken_AllocatesNothingInSteadyState()
    {
        var pool = new SampleArrayPool(2, 8);
        using var buffer = new InletBuffer(4, pool);
        using var cts = new CancellationTokenSource();
        double[] data = new double[2];
        double[] times = new double[1];

        int failures = 0;
        void Cycle()
        {
            // Arm a real wait (timer + token registration), complete it with a write, take the result, read the sample.
            // Checked without Assert inside the measured loop: Assert itself allocates.
            ValueTask<bool> wait = buffer.WaitAsync(TimeSpan.FromSeconds(30), cts.Token);
            bool armed = !wait.IsCompleted;
            buffer.Write(new InSample(1.0, pool.Rent(), null));
            if (!armed || !wait.IsCompleted || !wait.GetAwaiter().GetResult() || buffer.Read(data, times, 2) != 1)
            {
                failures++;
            }
        }

        for (int i = 0; i < 100; i++)
        {
            Cycle();
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Cycle();
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, failures);
        Assert.Equal(0, allocated);
    }
}
