namespace AcqService.Dsp.Tests;

public class WindowsTests
{
    private static readonly Lazy<WindowsFixture> Data = new(() => Fixtures.Load<WindowsFixture>("windows.json"));

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (WindowCase c in Data.Value.Cases)
        {
            data.Add(c.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Create_ScipyFixture_ValuesMatch(string name)
    {
        WindowCase c = Data.Value.Cases.Single(x => x.Name == name);

        double[] w = Windows.Create(Fixtures.ParseWindow(c.Window), c.Length, c.Periodic);

        // Floor 1e-12 (windows peak at 1): end points such as Blackman's are 0 in exact arithmetic and ~1e-17 after
        // the cancellation 0.42 − 0.5 + 0.08.
        Tolerance.AssertClose(c.Values, w, 1e-12, c.Name);
    }

    [Fact]
    public void Create_ZeroLength_ReturnsEmpty() => Assert.Empty(Windows.Create(WindowKind.Hann, 0));

    [Fact]
    public void Create_InvalidArguments_Throw()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Windows.Create(WindowKind.Hann, -1));
        Assert.Equal("length", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Windows.Create((WindowKind)42, 8));
    }
}
