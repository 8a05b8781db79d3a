using System.Globalization;
using System.Text;
using AcqService.Core.Analysis;

namespace AcqService.Sinks;

/// <summary>
/// Writes <c>alpha_power_&lt;stream&gt;.csv</c>: one row per update with absolute (µV²) and relative alpha power
/// per channel and per region. Every row is flushed as it is written (one write per update, every 0.5 s by default),
/// so a reader of the file sees each update at once and a crash loses nothing already computed.
/// </summary>
public sealed class AlphaCsvWriter : IDisposable
{
    private readonly Dictionary<string, StreamWriter> _writers = new(StringComparer.Ordinal);
    private readonly string _folder;
    private readonly double _sessionStart;
    private readonly Func<string, IReadOnlyList<string>> _labels;
    private readonly IReadOnlyList<string> _regions;
    private readonly StringBuilder _line = new(4096);

    /// <summary>Creates the writer; files are created on the first update of each stream.</summary>
    public AlphaCsvWriter(string folder, double sessionStartClock, Func<string, IReadOnlyList<string>> channelLabels, IReadOnlyList<string> regions)
    {
        _folder = folder;
        _sessionStart = sessionStartClock;
        _labels = channelLabels;
        _regions = regions;
    }

    /// <summary>File name for a stream.</summary>
    public static string FileNameFor(string streamKey) => $"alpha_power_{streamKey}.csv";

    /// <summary>Rows written.</summary>
    public long Rows { get; private set; }

    /// <summary>Appends one update (read synchronously; the object is recycled afterwards).</summary>
    public void Write(AlphaUpdate update)
    {
        if (!_writers.TryGetValue(update.StreamKey, out StreamWriter? writer))
        {
            writer = new StreamWriter(Path.Combine(_folder, FileNameFor(update.StreamKey)), append: false, new UTF8Encoding(false));
            IReadOnlyList<string> labels = _labels(update.StreamKey);
            var header = new List<string> { "time_s", "session_time_s", "sample_index" };
            header.AddRange(labels.Select(l => Csv.Field(l + "_abs_uV2")));
            header.AddRange(labels.Select(l => Csv.Field(l + "_rel")));
            header.AddRange(_regions.Select(r => Csv.Field("roi_" + r + "_abs_uV2")));
            header.AddRange(_regions.Select(r => Csv.Field("roi_" + r + "_rel")));
            writer.WriteLine(string.Join(',', header));
            _writers.Add(update.StreamKey, writer);
        }
        _line.Clear();
        // Numbers are formatted straight into the builder: a string per value was ~140 allocations per row, and the GC
        // they caused cost more than the formatting itself over a long recording.
        _line.Append(CultureInfo.InvariantCulture, $"{update.Time:F6},{update.Time - _sessionStart:F6},{update.SampleIndex}");
        Append(update.Absolute);
        Append(update.Relative);
        Append(update.RegionAbsolute);
        Append(update.RegionRelative);
        writer.WriteLine(_line);
        Rows++;
        // Flushed per row: flushing every second row left every other update invisible until the next one (0.5 s).
        writer.Flush();
    }

    private void Append(double[] values)
    {
        foreach (double v in values)
        {
            _line.Append(',');
            if (!double.IsNaN(v))
            {
                _line.Append(CultureInfo.InvariantCulture, $"{v:G9}");
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (StreamWriter writer in _writers.Values)
        {
            writer.Dispose();
        }
        _writers.Clear();
    }
}
