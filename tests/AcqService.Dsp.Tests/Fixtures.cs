using System.Text.Json;

namespace AcqService.Dsp.Tests;

/// <summary>Loads the SciPy fixtures written by tools/dsp_reference.py (copied next to the test assembly).</summary>
internal static class Fixtures
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNameCaseInsensitive = true };

    public static T Load<T>(string fileName)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", fileName);
        using FileStream stream = File.OpenRead(path);
        return JsonSerializer.Deserialize<T>(stream, Options) ?? throw new InvalidDataException($"{path} is empty.");
    }

    public static WindowKind ParseWindow(string name) => name switch
    {
        "hann" => WindowKind.Hann,
        "hamming" => WindowKind.Hamming,
        "blackman" => WindowKind.Blackman,
        "boxcar" => WindowKind.Boxcar,
        _ => throw new InvalidDataException($"Unknown window '{name}'."),
    };

    public static DetrendKind ParseDetrend(string name) => name switch
    {
        "constant" => DetrendKind.Constant,
        "linear" => DetrendKind.Linear,
        "none" => DetrendKind.None,
        _ => throw new InvalidDataException($"Unknown detrend '{name}'."),
    };
}

internal sealed record ButterSignal(double Fs, string Recipe, double[] Values);

internal sealed record ButterCase(string Call, string Btype, int Order, double[] CutoffsHz, double Fs, string Signal, int Sections, double[] Sos, double[] Output)
{
    public string Name => $"{Btype}_N{Order}_{string.Join('-', CutoffsHz)}Hz_fs{Fs}";
}

internal sealed record ButterCoefficientCase(string Call, string Btype, int Order, double[] CutoffsHz, double Fs, int Sections, double[] Sos)
{
    public string Name => $"{Btype}_N{Order}_{string.Join('-', CutoffsHz)}Hz_fs{Fs}";
}

internal sealed record ButterFixture(string Scipy, Dictionary<string, ButterSignal> Signals, ButterCase[] Cases, ButterCoefficientCase[] CoefficientCases)
{
    /// <summary>Every design in the file, with or without a filtered output.</summary>
    public IEnumerable<ButterCoefficientCase> AllDesigns =>
        Cases.Select(c => new ButterCoefficientCase(c.Call, c.Btype, c.Order, c.CutoffsHz, c.Fs, c.Sections, c.Sos)).Concat(CoefficientCases);
}

internal sealed record NotchCase(double FrequencyHz, double Q, double Fs, double[] Sos, double[] Input, double[] Output);

internal sealed record CascadeCase(double Fs, int BandOrder, double[] BandHz, double NotchHz, double NotchQ, double[] Sos, int[] ChunkFrames, double[][] Channels, double[][] Outputs);

internal sealed record NotchCascadeFixture(string Scipy, NotchCase Notch, CascadeCase Cascade);

internal sealed record WelchCase(string Call, string Window, int Nperseg, int Noverlap, int Nfft, string Detrend, double[] Frequencies, double[] Psd)
{
    public string Name => $"{Window}_seg{Nperseg}_ovl{Noverlap}_nfft{Nfft}_{Detrend}";
}

internal sealed record WelchFixture(string Scipy, double Fs, double[] Signal, WelchCase[] Cases);

internal sealed record WindowCase(string Window, int Length, bool Periodic, double[] Values)
{
    public string Name => $"{Window}_{Length}_{(Periodic ? "periodic" : "symmetric")}";
}

internal sealed record WindowsFixture(string Scipy, WindowCase[] Cases);
