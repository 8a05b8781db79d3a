using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace AcqService.Host.Service;

/// <summary>
/// LabRecorder's remote-control socket, drop-in: a TCP line protocol (default port 22345, loopback) accepting what
/// LabRecorder accepts — <c>start</c>, <c>stop</c>, <c>update</c>, <c>select all</c>, <c>select none</c> and
/// <c>filename {root:…} {template:…} {participant:…} {session:…} {task:…} {run:…} {acquisition:…} {modality:…}</c> — so
/// an experiment script written for LabRecorder drives the station unchanged. Differences (documented in the README):
/// LabRecorder answers every line with a bare <c>OK</c>, whatever happened; this port answers <c>OK</c> only when the
/// command did what it says, and otherwise <c>ERROR &lt;reason&gt;</c>, each answer ending with a newline.
/// </summary>
public sealed partial class RemoteControlServer : IAsyncDisposable
{
    /// <summary>Longest accepted line; a longer one is answered with an error and the connection closed.</summary>
    public const int MaxLineLength = 4096;

    /// <summary>LabRecorder's BIDS template (used until a <c>filename {template:…}</c> replaces it).</summary>
    public const string BidsTemplate = "sub-%p/ses-%s/%m/sub-%p_ses-%s_task-%b[_acq-%a]_run-%r_%m.xdf";

    private readonly StationService _station;
    private readonly RemoteControlOptions _options;
    private readonly ILogger _logger;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly FileNameState _name;
    private Task _accepting = Task.CompletedTask;
    private int _clients;

    /// <summary>Creates the server (not yet listening).</summary>
    public RemoteControlServer(StationService station, RemoteControlOptions options, ILogger logger)
    {
        _station = station;
        _options = options;
        _logger = logger;
        _listener = new TcpListener(IPAddress.Parse(options.Address), options.Port);
        _name = new FileNameState { Root = options.Root.Length > 0 ? options.Root : station.OutputRoot };
    }

    /// <summary>The bound endpoint (after <see cref="Start"/>).</summary>
    public IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Starts listening.</summary>
    /// <exception cref="SocketException">The port is taken.</exception>
    public void Start()
    {
        _listener.Start();
        _accepting = AcceptAsync(_stop.Token);
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = ServeClientAsync(client, cancellationToken);
        }
    }

    private async Task ServeClientAsync(TcpClient client, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _clients);
        EndPoint? remote = client.Client.RemoteEndPoint;
        LogClient(_logger, remote?.ToString() ?? "?");
        try
        {
            using (client)
            {
                NetworkStream stream = client.GetStream();
                var buffer = new byte[MaxLineLength];
                int filled = 0;
                while (!cancellationToken.IsCancellationRequested)
                {
                    int n = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return;
                    }
                    filled += n;
                    int start = 0;
                    int newline;
                    while ((newline = Array.IndexOf(buffer, (byte)'\n', start, filled - start)) >= 0)
                    {
                        string line = Encoding.UTF8.GetString(buffer, start, newline - start).Trim();
                        start = newline + 1;
                        if (line.Length == 0)
                        {
                            continue;
                        }
                        string answer = await HandleAsync(line, cancellationToken).ConfigureAwait(false);
                        await stream.WriteAsync(Encoding.UTF8.GetBytes(answer + "\n"), cancellationToken).ConfigureAwait(false);
                    }
                    Array.Copy(buffer, start, buffer, 0, filled - start);
                    filled -= start;
                    if (filled == buffer.Length)
                    {
                        await stream.WriteAsync(Encoding.UTF8.GetBytes($"ERROR line longer than {MaxLineLength} bytes; connection closed\n"), cancellationToken).ConfigureAwait(false);
                        return;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away, or the service is stopping.
        }
        finally
        {
            Interlocked.Decrement(ref _clients);
        }
    }

    /// <summary>Executes one command line; returns the answer (<c>OK</c> or <c>ERROR …</c>, without newline).</summary>
    public async Task<string> HandleAsync(string line, CancellationToken cancellationToken)
    {
        LogCommand(_logger, line);
        try
        {
            string verb = line.Split(' ', 2)[0].ToLowerInvariant();
            switch (verb)
            {
                case "start":
                    return await StartAsync(cancellationToken).ConfigureAwait(false);
                case "stop":
                    if (_station.Current is null)
                    {
                        return "ERROR not recording";
                    }
                    SessionInfo info = await _station.StopAsync("stopped through the remote-control port ('stop')", cancellationToken).ConfigureAwait(false);
                    return info.End is { IsNormal: true } or { Kind: Sinks.SessionEndKind.OperatorStop } && info.Errors.Count == 0
                        ? "OK"
                        : $"ERROR the recording ended with problems: {info.End?.Reason ?? "unknown"}{(info.Errors.Count > 0 ? "; " + info.Errors[0] : "")}";
                case "update":
                    _station.Watcher.Refresh();
                    return "OK";
                case "select":
                    string what = line.Length > 6 ? line[6..].Trim().ToLowerInvariant() : "";
                    lock (_gate)
                    {
                        switch (what)
                        {
                            case "all":
                                _name.SelectedAll = true;
                                return "OK";
                            case "none":
                                _name.SelectedAll = false;
                                return "OK";
                            default:
                                return $"ERROR 'select {what}': only 'select all' and 'select none' are supported (as in LabRecorder)";
                        }
                    }
                case "filename":
                    return Filename(line);
                default:
                    return $"ERROR unknown command '{Shorten(line)}'; accepted: start, stop, update, select all, select none, filename {{key:value}} ...";
            }
        }
        catch (StationException ex)
        {
            return "ERROR " + ex.Message;
        }
    }

    private async Task<string> StartAsync(CancellationToken cancellationToken)
    {
        FileNameState name;
        lock (_gate)
        {
            name = _name.Copy();
        }
        if (_station.Current is { } running)
        {
            return $"ERROR already recording (session '{running.Id}'); send 'stop' first";
        }
        // LabRecorder's remote 'start' selects every stream before it starts; 'select none' cannot prevent that there, and
        // recording nothing is never what a script means, so the station records all its streams here too (documented).
        string relative = name.Expand();
        string recording = Path.GetFullPath(Path.Combine(name.Root, relative));
        string folder = Path.Combine(Path.GetDirectoryName(recording)!, Path.GetFileNameWithoutExtension(recording));
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
        {
            // LabRecorder renames an existing file to *_oldN; the results folder beside it is kept the same way.
            int i = 1;
            while (Directory.Exists($"{folder}_old{i}"))
            {
                i++;
            }
            Directory.Move(folder, $"{folder}_old{i}");
        }
        SessionInfo info = await _station.StartAsync(new StartRequest
        {
            Subject = Alnum(name.Participant),
            Session = Alnum(name.Session),
            Task = Alnum(name.Task),
            Run = name.Run.ToString(CultureInfo.InvariantCulture),
            Folder = folder,
            RecordingPath = recording,
            Origin = "the remote-control port ('start')",
            Notes = $"LabRecorder-style file name: {relative}",
        }, cancellationToken).ConfigureAwait(false);
        return info.Phase is "recording" or "starting" ? "OK" : $"ERROR the session ended at once: {info.End?.Reason}";
    }

    private string Filename(string line)
    {
        // {option:value} pairs; values may not contain braces, line breaks or ?*|<>" (as in LabRecorder).
        MatchCollection matches = Option().Matches(line);
        string rest = Option().Replace(line[8..], "").Trim();
        if (matches.Count == 0 || rest.Length > 0)
        {
            return $"ERROR malformed filename command: expected 'filename {{key:value}} ...' with keys root, template, participant, session, task, run, acquisition, modality{(rest.Length > 0 ? $" (could not read '{Shorten(rest)}')" : "")}";
        }
        lock (_gate)
        {
            FileNameState next = _name.Copy();
            foreach (Match m in matches)
            {
                string key = m.Groups["key"].Value.ToLowerInvariant();
                string value = m.Groups["value"].Value;
                switch (key)
                {
                    case "root":
                        next.Root = value;
                        break;
                    case "template":
                        // LabRecorder lower-cases a template given here and leaves BIDS mode (%n becomes the counter).
                        next.Template = value.ToLowerInvariant();
                        next.Bids = false;
                        break;
                    case "participant":
                        next.Participant = value;
                        break;
                    case "session":
                        next.Session = value;
                        break;
                    case "task":
                        next.Task = value;
                        break;
                    case "acquisition":
                        next.Acquisition = value;
                        break;
                    case "modality":
                        next.Modality = value.ToLowerInvariant();
                        break;
                    case "run":
                        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int run) || run > 999)
                        {
                            return $"ERROR run '{value}' must be a number from 0 to 999";
                        }
                        next.Run = run;
                        break;
                    default:
                        return $"ERROR unknown filename option '{key}'; known: root, template, participant, session, task, run, acquisition, modality";
                }
            }
            if (next.Template.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(next.Template))
            {
                return "ERROR template must be a relative path inside the root";
            }
            _name.Set(next);
            return "OK";
        }
    }

    private static string Alnum(string value)
    {
        string clean = new([.. value.Where(char.IsAsciiLetterOrDigit)]);
        return clean.Length > 0 ? clean : throw new StationException(400, $"'{value}' has no letters or digits to label the session with");
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "…";

    [GeneratedRegex(@"\{(?<key>[a-zA-Z]+):(?<value>[^{}\n\r?*|<>""]+)\}", RegexOptions.None, matchTimeoutMilliseconds: 2000)]
    private static partial Regex Option();

    /// <summary>Stops listening and closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _accepting.ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Remote-control client connected from {Remote}")]
    private static partial void LogClient(ILogger logger, string remote);

    [LoggerMessage(Level = LogLevel.Information, Message = "Remote control: {Line}")]
    private static partial void LogCommand(ILogger logger, string line);

    /// <summary>LabRecorder's file-name fields.</summary>
    private sealed class FileNameState
    {
        public string Root { get; set; } = "";

        public string Template { get; set; } = BidsTemplate;

        public bool Bids { get; set; } = true;

        public string Participant { get; set; } = "P001";

        public string Session { get; set; } = "S001";

        public string Task { get; set; } = "Default";

        public string Acquisition { get; set; } = "";

        public string Modality { get; set; } = "eeg";

        public int Run { get; set; } = 1;

        public bool SelectedAll { get; set; } = true;

        public FileNameState Copy() => (FileNameState)MemberwiseClone();

        public void Set(FileNameState other)
        {
            Root = other.Root;
            Template = other.Template;
            Bids = other.Bids;
            Participant = other.Participant;
            Session = other.Session;
            Task = other.Task;
            Acquisition = other.Acquisition;
            Modality = other.Modality;
            Run = other.Run;
        }

        /// <summary>The template with its fields replaced, LabRecorder's way: %b task, %p participant, %s session, %a acquisition, %m modality, %n/%r the 3-digit run.</summary>
        public string Expand()
        {
            string t = Template;
            t = Acquisition.Length > 0 ? t.Replace("[_acq-%a]", "_acq-%a", StringComparison.Ordinal) : t.Replace("[_acq-%a]", "", StringComparison.Ordinal);
            string run = Run.ToString("000", CultureInfo.InvariantCulture);
            return t.Replace("%b", Task, StringComparison.Ordinal)
                .Replace("%p", Participant, StringComparison.Ordinal)
                .Replace("%s", Session, StringComparison.Ordinal)
                .Replace("%a", Acquisition, StringComparison.Ordinal)
                .Replace("%m", Modality, StringComparison.Ordinal)
                .Replace(Bids ? "%r" : "%n", run, StringComparison.Ordinal);
        }
    }
}
