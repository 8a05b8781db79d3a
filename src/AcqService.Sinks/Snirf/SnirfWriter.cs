using System.Globalization;
using AcqService.Core.Model;
using PureHDF;

namespace AcqService.Sinks.Snirf;

/// <summary>
/// Writes a <see cref="SnirfDocument"/> as a SNIRF file (HDF5, format version 1.1) with PureHDF: one <c>/nirs</c>
/// entry with <c>data1</c> (continuous-wave amplitude, <c>dataType</c> 1), the probe, the stimuli and the required
/// metadata tags. Choices that MNE-Python's <c>read_raw_snirf</c> depends on are noted where they are made.
/// </summary>
public static class SnirfWriter
{
    /// <summary>SNIRF format version written.</summary>
    public const string FormatVersion = "1.1";

    /// <summary>SNIRF <c>dataType</c> code of continuous-wave amplitude.</summary>
    public const int ContinuousWaveAmplitude = 1;

    /// <summary>Writes <paramref name="document"/> to <paramref name="path"/> (overwriting it).</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(SnirfDocument document, string path)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        NirsMontage montage = document.Montage;
        int channels = montage.Channels.Count;

        var data = new H5Group();
        // HDF5 dimensions <time points> × <channels> (the spec's order); C# row-major double[,] maps to it directly.
        var series = new double[document.Frames, channels];
        for (int f = 0; f < document.Frames; f++)
        {
            for (int c = 0; c < channels; c++)
            {
                series[f, c] = document[f, c];
            }
        }
        data["dataTimeSeries"] = series;
        // Full time vector rather than [start, step]: it also describes gaps. MNE derives the rate from its rounded diffs.
        data["time"] = document.Time;
        for (int k = 0; k < channels; k++)
        {
            NirsChannel ch = montage.Channels[k];
            // Scalar int32 datasets: the spec's "integer" (H5T_NATIVE_INT); MNE reads scalars and 1-element arrays alike.
            var ml = new H5Group
            {
                ["sourceIndex"] = ch.Source,
                ["detectorIndex"] = ch.Detector,
                ["wavelengthIndex"] = IndexOf(montage.WavelengthsNm, ch.WavelengthNm) + 1,
                ["dataType"] = ContinuousWaveAmplitude,
                ["dataTypeIndex"] = 1,
            };
            if (ch.Unit.Length > 0)
            {
                ml["dataUnit"] = ch.Unit;
            }
            data[$"measurementList{k + 1}"] = ml;
        }

        var nirs = new H5Group
        {
            ["metaDataTags"] = MetaDataTags(document),
            ["data1"] = data,
            ["probe"] = Probe(montage),
        };
        int n = 0;
        foreach (SnirfStim stim in document.Stims.Where(s => s.Events.Count > 0))
        {
            var rows = new double[stim.Events.Count, 3];
            for (int i = 0; i < stim.Events.Count; i++)
            {
                (rows[i, 0], rows[i, 1], rows[i, 2]) = stim.Events[i];
            }
            nirs[$"stim{++n}"] = new H5Group
            {
                ["name"] = stim.Name,
                ["data"] = rows,
                ["dataLabels"] = new[] { "Onset", "Duration", "Amplitude" },
            };
        }

        var file = new H5File
        {
            // Strings are written as variable-length UTF-8 (PureHDF's default), which the SNIRF spec asks for and
            // which h5py/MNE and MATLAB (Homer3) read as plain strings.
            ["formatVersion"] = FormatVersion,
            ["nirs"] = nirs,
        };
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }
        file.Write(path);
    }

    private static H5Group MetaDataTags(SnirfDocument document)
    {
        var tags = new H5Group
        {
            ["SubjectID"] = document.SubjectId.Length > 0 ? document.SubjectId : "unknown",
            // MNE 1.3 parses date+time with "%Y-%m-%d%H:%M:%SZ": whole seconds with Z, no fraction.
            ["MeasurementDate"] = document.StartUtc?.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "unknown",
            ["MeasurementTime"] = document.StartUtc?.UtcDateTime.ToString("HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "unknown",
            // Positions are stored in metres, MNE's unit (it scales "cm"/"mm" itself).
            ["LengthUnit"] = "m",
            ["TimeUnit"] = "s",
            ["FrequencyUnit"] = "Hz",
        };
        foreach ((string key, string value) in document.ExtraTags)
        {
            if (!tags.ContainsKey(key))
            {
                tags[key] = value;
            }
        }
        return tags;
    }

    private static H5Group Probe(NirsMontage montage)
    {
        return new H5Group
        {
            ["wavelengths"] = montage.WavelengthsNm.Select(w => (double)w).ToArray(),
            // MNE needs positions; unknown ones are written as 0 (the exporter warns about it).
            ["sourcePos3D"] = Positions(montage.Sources),
            ["detectorPos3D"] = Positions(montage.Detectors),
            ["sourceLabels"] = montage.Sources.Select(o => o.Label).ToArray(),
            ["detectorLabels"] = montage.Detectors.Select(o => o.Label).ToArray(),
        };
    }

    private static double[,] Positions(IReadOnlyList<NirsOptode> optodes)
    {
        var p = new double[optodes.Count, 3];
        for (int i = 0; i < optodes.Count; i++)
        {
            NirsOptode o = optodes[i];
            (p[i, 0], p[i, 1], p[i, 2]) = o.HasPosition ? (o.X, o.Y, o.Z) : (0, 0, 0);
        }
        return p;
    }

    private static int IndexOf(IReadOnlyList<int> list, int value)
    {
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] == value)
            {
                return i;
            }
        }
        throw new ArgumentException($"wavelength {value} nm is not in the probe's list");
    }
}
