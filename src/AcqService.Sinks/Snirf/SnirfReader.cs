using System.Globalization;
using AcqService.Core.Model;
using PureHDF;

namespace AcqService.Sinks.Snirf;

/// <summary>
/// Reads the continuous-wave part of a SNIRF file back into a <see cref="SnirfDocument"/> (<c>/nirs</c> or
/// <c>/nirs1</c>, <c>data1</c>): enough to check an export, not a general SNIRF reader (no processed data,
/// no time-domain fields, no auxiliary channels).
/// </summary>
public static class SnirfReader
{
    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">A required SNIRF element is missing.</exception>
    public static SnirfDocument Read(string path)
    {
        using var file = H5File.OpenRead(path);
        string root = file.LinkExists("nirs") ? "nirs" : file.LinkExists("nirs1") ? "nirs1" : throw new InvalidDataException($"'{path}' has no /nirs group");
        IH5Group nirs = file.Group(root);
        IH5Group data = nirs.Group("data1");
        IH5Group probe = nirs.Group("probe");
        IH5Group tags = nirs.Group("metaDataTags");

        double[] wavelengths = probe.Dataset("wavelengths").Read<double[]>();
        double[,] series = data.Dataset("dataTimeSeries").Read<double[,]>();
        double[] time = data.Dataset("time").Read<double[]>();
        int frames = series.GetLength(0), channels = series.GetLength(1);
        var list = new List<NirsChannel>();
        for (int k = 1; k <= channels; k++)
        {
            IH5Group ml = data.Group($"measurementList{k}");
            int dataType = ml.Dataset("dataType").Read<int>();
            if (dataType != SnirfWriter.ContinuousWaveAmplitude)
            {
                throw new InvalidDataException($"measurementList{k}: dataType {dataType} is not continuous-wave amplitude");
            }
            int s = ml.Dataset("sourceIndex").Read<int>(), d = ml.Dataset("detectorIndex").Read<int>(), w = ml.Dataset("wavelengthIndex").Read<int>();
            string unit = ml.LinkExists("dataUnit") ? ml.Dataset("dataUnit").Read<string>() : "";
            int nm = (int)Math.Round(wavelengths[w - 1]);
            list.Add(new NirsChannel(k - 1, $"S{s}-D{d} {nm.ToString(CultureInfo.InvariantCulture)}", s, d, nm, NirsMontage.RawIntensityType, unit));
        }
        NirsOptode[] sources = Optodes(probe, "source", 'S');
        NirsOptode[] detectors = Optodes(probe, "detector", 'D');
        var montage = new NirsMontage(list, sources, detectors, [.. wavelengths.Select(w => (int)Math.Round(w))]);

        var values = new double[frames * channels];
        for (int f = 0; f < frames; f++)
        {
            for (int c = 0; c < channels; c++)
            {
                values[(f * channels) + c] = series[f, c];
            }
        }
        var stims = new List<SnirfStim>();
        for (int n = 1; nirs.LinkExists($"stim{n}"); n++)
        {
            IH5Group stim = nirs.Group($"stim{n}");
            double[,] rows = stim.Dataset("data").Read<double[,]>();
            stims.Add(new SnirfStim(stim.Dataset("name").Read<string>(), [.. Enumerable.Range(0, rows.GetLength(0)).Select(i => (rows[i, 0], rows[i, 1], rows[i, 2]))]));
        }
        string date = tags.Dataset("MeasurementDate").Read<string>(), clock = tags.Dataset("MeasurementTime").Read<string>();
        DateTimeOffset? start = DateTimeOffset.TryParseExact($"{date}T{clock}", "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset parsed) ? parsed : null;
        var extra = new Dictionary<string, string>();
        foreach (string name in new[] { "ManufacturerName", "Model", "SessionID" }.Where(tags.LinkExists))
        {
            extra[name] = tags.Dataset(name).Read<string>();
        }
        return new SnirfDocument(montage, time, values)
        {
            Stims = stims,
            SubjectId = tags.Dataset("SubjectID").Read<string>(),
            StartUtc = start,
            ExtraTags = extra,
        };
    }

    private static NirsOptode[] Optodes(IH5Group probe, string kind, char prefix)
    {
        double[,] p = probe.Dataset($"{kind}Pos3D").Read<double[,]>();
        string[]? labels = probe.LinkExists($"{kind}Labels") ? probe.Dataset($"{kind}Labels").Read<string[]>() : null;
        return [.. Enumerable.Range(0, p.GetLength(0)).Select(i => new NirsOptode(labels?[i] ?? $"{prefix}{i + 1}", p[i, 0], p[i, 1], p[i, 2]))];
    }
}
