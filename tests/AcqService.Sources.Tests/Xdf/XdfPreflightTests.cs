using AcqService.Sources.Xdf;
using AcqService.Sinks.Xdf;

namespace AcqService.Sources.Tests.Xdf;

/// <summary>Checks before a recording starts.</summary>
public sealed class XdfPreflightTests
{
    [Fact]
    public void Preflight_NonWritableFolder_ErrorNamesTheFolder()
    {
        string folder = Path.GetDirectoryName(XdfTestSessions.TempXdf())!;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }
        if (CanWrite(folder))
        {
            // Root ignores permission bits; /sys refuses new files even to root.
            folder = "/sys";
        }
        string path = Path.Combine(folder, "rec.xdf");
        IOException error = Assert.Throws<IOException>(() => XdfRecorderSink.Preflight(path, 100_000, 60));
        Assert.Contains($"the folder '{folder}' is not writable", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Preflight_ExistingFile_RenamedToOld1ThenOld2()
    {
        string path = XdfTestSessions.TempXdf("sub-P001_ses-S001.xdf");
        string folder = Path.GetDirectoryName(path)!;
        File.WriteAllText(path, "first");
        XdfPreflightResult first = XdfRecorderSink.Preflight(path, 100_000, 60);
        Assert.Equal(Path.Combine(folder, "sub-P001_ses-S001_old1.xdf"), first.RenamedExisting);
        Assert.Equal("first", File.ReadAllText(first.RenamedExisting!));
        Assert.False(File.Exists(path));
        Assert.Contains("renamed to", first.ToText(), StringComparison.Ordinal);

        File.WriteAllText(path, "second");
        XdfPreflightResult second = XdfRecorderSink.Preflight(path, 100_000, 60);
        Assert.Equal(Path.Combine(folder, "sub-P001_ses-S001_old2.xdf"), second.RenamedExisting);
        Assert.Equal("second", File.ReadAllText(second.RenamedExisting!));
        Assert.Equal("first", File.ReadAllText(first.RenamedExisting!));

        XdfPreflightResult free = XdfRecorderSink.Preflight(path, 100_000, 60);
        Assert.Null(free.RenamedExisting);
        Assert.Equal(path, free.Path);
        // 60 s at 100 kB/s, +25 % and the 64 MB reserve.
        Assert.Equal(7_500_000 + (64L * 1024 * 1024), free.RequiredBytes);
        Assert.True(free.FreeBytes > 0);
    }

    [Fact]
    public void Preflight_NotEnoughSpace_ErrorGivesTheNumbers()
    {
        string path = XdfTestSessions.TempXdf();
        // A petabyte per second for an hour: no disk has that.
        IOException error = Assert.Throws<IOException>(() => XdfRecorderSink.Preflight(path, 1e15, 3600));
        Assert.Contains("not enough disk space in", error.Message, StringComparison.Ordinal);
        Assert.Contains("MB are free", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_FileAlreadyExists_NeverOverwritten()
    {
        string path = XdfTestSessions.TempXdf();
        File.WriteAllText(path, "precious");
        var edges = new AcqService.Core.Pipeline.EdgeFactory(new AcqService.Core.Pipeline.PipelineOptions());
        var edge = edges.Recorder<AcqService.Core.Model.SourceItem>("test");
        edge.Complete();
        var recorder = new XdfRecorderSink(path, []);
        await Assert.ThrowsAsync<IOException>(() => recorder.RunAsync(edge, CancellationToken.None));
        Assert.Equal("precious", File.ReadAllText(path));
    }

    private static bool CanWrite(string folder)
    {
        try
        {
            string probe = Path.Combine(folder, "probe");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
