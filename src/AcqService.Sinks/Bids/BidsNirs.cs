using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AcqService.Core.Model;
using AcqService.Sinks.Snirf;

namespace AcqService.Sinks.Bids;

/// <summary>
/// fNIRS streams of a recording as BIDS <c>nirs/</c>: the SNIRF file of <c>acq export-snirf</c>
/// (<see cref="XdfSnirfExport"/>, raw continuous-wave intensities), <c>_nirs.json</c>, <c>_channels.tsv</c> (source,
/// detector, nominal wavelength) and <c>_events.tsv</c> (onsets on the aligned clock relative to the first fNIRS frame).
/// </summary>
internal static class BidsNirs
{
    public static IReadOnlyList<PlannedFile> Plan(SessionInfo info, AlignedRecording recording, BidsEntities entities, List<string> warnings)
    {
        AlignedSignal[] nirs = [.. recording.Signals.Where(s => s.Header.Type.Equals("NIRS", StringComparison.OrdinalIgnoreCase) || s.Header.Type.Equals("fNIRS", StringComparison.OrdinalIgnoreCase))];
        var files = new List<PlannedFile>();
        foreach (AlignedSignal signal in nirs)
        {
            if (signal.SampleCount == 0)
            {
                warnings.Add($"fNIRS stream '{signal.Header.Name}' has no samples; not exported");
                continue;
            }
            BidsEntities e = nirs.Length == 1 ? entities : entities with { Acquisition = new string([.. signal.Key.Where(char.IsAsciiLetterOrDigit)]) };
            SnirfExport export = XdfSnirfExport.FromXdf(info.RecordingPath, signal.Header.Name);
            warnings.AddRange(export.Warnings.Select(w => $"fNIRS '{signal.Header.Name}': {w}"));
            string folder = e.Folder("nirs");
            string stem = e.Stem;
            // PureHDF writes to a file; the bytes are then compared with the dataset like every other file.
            string temp = Path.Combine(Path.GetTempPath(), $"acq-bids-{Guid.NewGuid():N}.snirf");
            byte[] snirf;
            try
            {
                SnirfDocument d = export.Document;
                // The SNIRF subject is the BIDS subject, so both name the participant alike.
                SnirfWriter.Write(new SnirfDocument(d.Montage, d.Time, d.Values) { Stims = d.Stims, SubjectId = e.Subject, StartUtc = d.StartUtc, ExtraTags = d.ExtraTags }, temp);
                snirf = File.ReadAllBytes(temp);
            }
            finally
            {
                File.Delete(temp);
            }
            files.Add(new PlannedFile(Path.Combine(folder, stem + "_nirs.snirf"), snirf, null));

            NirsMontage montage = export.Document.Montage;
            var tsv = new StringBuilder("name\ttype\tsource\tdetector\twavelength_nominal\tunits\tstatus\tstatus_description\n");
            foreach (NirsChannel ch in montage.Channels)
            {
                tsv.Append(CultureInfo.InvariantCulture,
                    $"S{ch.Source}_D{ch.Detector} {ch.WavelengthNm}\tNIRSCWAMPLITUDE\tS{ch.Source}\tD{ch.Detector}\t{ch.WavelengthNm}\t{BidsExporter.Cell(ch.Unit)}\tgood\tnot checked (acq check covers EEG)\n");
            }
            files.Add(new PlannedFile(Path.Combine(folder, stem + "_channels.tsv"), Encoding.UTF8.GetBytes(tsv.ToString()), null));

            List<BidsExporter.EventRow> rows = BidsExporter.Events(recording, signal, warnings);
            files.Add(new PlannedFile(Path.Combine(folder, stem + "_events.tsv"), BidsExporter.EventsTsv(rows), null));
            files.Add(new PlannedFile(Path.Combine(folder, stem + "_events.json"), BidsExporter.Json(BidsExporter.EventsDescription(recording.Metadata)), null));

            double rate = signal.Header.NominalSrate;
            var sidecar = new JsonObject
            {
                ["TaskName"] = e.Task,
                ["TaskDescription"] = BidsExporter.TaskDescription(info, signal.Header.Name),
                ["SamplingFrequency"] = rate,
                ["NIRSChannelCount"] = montage.Channels.Count,
                ["NIRSSourceOptodeCount"] = montage.Sources.Count,
                ["NIRSDetectorOptodeCount"] = montage.Detectors.Count,
                ["PowerLineFrequency"] = info.LineFrequencyHz is double line ? line : "n/a",
                ["SoftwareFilters"] = "n/a",
                ["RecordingDuration"] = Math.Round(signal.SampleCount / rate, 6),
                ["RecordingType"] = signal.Gaps.Count > 0 ? "discontinuous" : "continuous",
                ["SoftwareVersions"] = "AcqService " + info.SoftwareVersion,
            };
            if (export.Document.ExtraTags.TryGetValue("ManufacturerName", out string? manufacturer))
            {
                sidecar["Manufacturer"] = manufacturer;
            }
            files.Add(new PlannedFile(Path.Combine(folder, stem + "_nirs.json"), BidsExporter.Json(sidecar), null));
        }
        return files;
    }
}
