using AcqService.Lsl;
using AcqService.Sessions;
using AcqService.Sessions.Protocols;
using AcqService.Sources.Simulation;

namespace AcqService.Catalog.Tests;

/// <summary>
/// Real session folders for the catalogue tests, made once: fast-paced simulated sessions (embedded needling profile)
/// through the session factory, as the CLI and the service make them, with different seeds and subjects. Every other
/// session uses a tight peak-to-peak rejection so that some epochs are dropped. The last session runs under a locked
/// protocol (same analysis settings), so its <c>session.json</c> carries the protocol hash.
/// </summary>
public sealed class SessionFolders : IAsyncLifetime
{
    public const int Count = 6;
    private const double Seconds = 60;

    /// <summary>Root holding the folders (deleted at the end).</summary>
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "acq-catalog-sessions", Guid.NewGuid().ToString("N")[..12]);

    /// <summary>SHA-256 of the protocol the last session ran under.</summary>
    public string ProtocolHash { get; private set; } = "";

    /// <summary>The session folders (names <c>session-01</c> …).</summary>
    public List<string> Folders { get; } = [];

    public async Task InitializeAsync()
    {
        var factory = new SessionFactory(null, () => LslBackends.Create(new LslOptions { Backend = LslBackendKind.Managed, Loopback = true }, _ => { }, out _), softwareVersion: "test");
        for (int i = 1; i <= Count; i++)
        {
            string folder = Path.Combine(Root, $"session-{i:00}");
            (var profile, string source, string json) = DefaultProfile.Load(null);
            var settings = new AppSettings();
            settings.Simulation.Seed = (ulong)(1000 + i);
            settings.Session.Record = i <= 2; // two recordings are enough to checksum an XDF; the rest stay small
            settings.Session.SubjectId = $"P{i:000}";
            settings.Session.SessionLabel = "S01";
            settings.Session.Protocol = "ST36-real-vs-sham";
            if (i % 2 == 0)
            {
                settings.Epochs.RejectPeakToPeakMicrovolts = 45;
            }
            if (i == Count)
            {
                ProtocolHash = Lock(settings);
            }
            var request = new SessionRequest
            {
                Input = new SessionInput.Devices(profile, source, json),
                Settings = settings,
                OutputFolder = folder,
                DurationSeconds = Seconds,
                Pace = SimulationPace.Fast,
            };
            await using Session session = await factory.CreateAsync(request);
            await session.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(180));
            Folders.Add(folder);
        }
    }

    private string Lock(AppSettings settings)
    {
        (ProtocolLock locked, _) = ProtocolLock.Lock("""
            {
              "name": "st36-catalogue-test",
              "settings": { "Epochs": { "RejectPeakToPeakMicrovolts": 45 } },
              "conditions": [
                { "name": "insert/real", "match": "^needle/insert;.*kind=real" }, { "name": "insert/sham", "match": "^needle/insert;.*kind=sham" },
                { "name": "manipulate/real", "match": "^needle/manipulate;.*kind=real" }, { "name": "manipulate/sham", "match": "^needle/manipulate;.*kind=sham" },
                { "name": "remove/real", "match": "^needle/remove;.*kind=real" }, { "name": "remove/sham", "match": "^needle/remove;.*kind=sham" }
              ],
              "regions": { "parietal-occipital": ["P3", "Pz", "P4", "O1", "O2"], "central": ["C3", "Cz", "C4"], "frontal": ["F3", "Fz", "F4"] }
            }
            """);
        Directory.CreateDirectory(Root);
        string file = Path.Combine(Root, "protocol.lock.json");
        File.WriteAllText(file, locked.ToFileText());
        List<string> problems = ProtocolLock.ApplyTo(settings, file, []);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", problems));
        }
        return locked.Sha256;
    }

    /// <summary>A copy of a folder under a new parent (same folder name, so the same session id).</summary>
    public string CopyOf(int index, string parent)
    {
        string source = Folders[index];
        string target = Path.Combine(parent, Path.GetFileName(source));
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
        return target;
    }

    public Task DisposeAsync()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
        return Task.CompletedTask;
    }
}
