using System.Globalization;
using AcqService.Core.Analysis;

namespace AcqService.Sinks;

/// <summary>
/// Writes <c>drop_log.csv</c>: one row per marker per epoched stream with its outcome (<c>epoch</c> or
/// <c>dropped</c> and the reason). Flushed after every row so nothing is lost if the process dies.
/// </summary>
public sealed class DropLogWriter : IDisposable
{
    /// <summary>File name inside the session folder.</summary>
    public const string FileName = "drop_log.csv";

    private readonly StreamWriter _writer;
    private readonly double _sessionStart;

    /// <summary>Creates the file and writes the header.</summary>
    /// <param name="folder">Session folder.</param>
    /// <param name="sessionStartClock">Local clock at session start; session_time_s is relative to it.</param>
    public DropLogWriter(string folder, double sessionStartClock)
    {
        _sessionStart = sessionStartClock;
        _writer = new StreamWriter(Path.Combine(folder, FileName), append: false, new System.Text.UTF8Encoding(false));
        _writer.WriteLine("marker_time_s,session_time_s,stream,label,code,condition,outcome,reason,sample_index,condition_count");
        _writer.Flush();
    }

    /// <summary>Rows written.</summary>
    public int Rows { get; private set; }

    /// <summary>Dropped rows written.</summary>
    public int DroppedRows { get; private set; }

    /// <summary>Appends one outcome.</summary>
    public void Write(EpochOutcome outcome)
    {
        _writer.WriteLine(Csv.Line(
            Csv.Fixed(outcome.MarkerTime, 6),
            Csv.Fixed(outcome.MarkerTime - _sessionStart, 6),
            Csv.Field(outcome.StreamKey),
            Csv.Field(outcome.Marker.Label),
            outcome.Marker.Code?.ToString(CultureInfo.InvariantCulture) ?? "",
            Csv.Field(outcome.Condition),
            outcome.Accepted ? "epoch" : "dropped",
            Csv.Field(outcome.Reason?.ToString()),
            outcome.SampleIndex.ToString(CultureInfo.InvariantCulture),
            outcome.ConditionCount.ToString(CultureInfo.InvariantCulture)));
        _writer.Flush();
        Rows++;
        if (!outcome.Accepted)
        {
            DroppedRows++;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}
