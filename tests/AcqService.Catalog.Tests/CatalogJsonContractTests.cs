using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AcqService.Sinks;
using AcqService.Tests.Shared;
using AcqService.Core;

namespace AcqService.Catalog.Tests;

/// <summary>
/// The catalogue's compile-time JSON contracts write what the reflection-built ones did with the session files'
/// options (outbox entries and states, the <c>jsonb</c> values, the study rows), read their own files back, and need no
/// reflection (this project runs with reflection-built contracts disabled).
/// </summary>
public sealed class CatalogJsonContractTests : IDisposable
{
    // What the catalogue used before: the session files' options, the catalogue types built by reflection.
    private static readonly JsonSerializerOptions s_reflection = new(SessionOutput.JsonOptions) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "acq-catalog-json", Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static CatalogEntry FullEntry() => new()
    {
        FormatVersion = 1,
        Study = "ST36 µ-trial",
        Site = "hamburg",
        Station = "eeg-lab-1",
        SessionId = "20261130-120000-P001 \"x\"",
        Subject = "P001",
        SessionLabel = "ses-01",
        Task = "needling",
        Run = "1",
        Protocol = "st36 → <trial>",
        ProtocolHash = "61884b77ebd2e88b87d4325a6a8e7c680b709c728b8dc05390bd95fc0f5c4160",
        Mode = "live",
        SoftwareVersion = "0.1.0.0",
        Host = "lab-pc",
        StartedUtc = new DateTimeOffset(2026, 11, 30, 12, 0, 0, 123, TimeSpan.Zero),
        EndedUtc = new DateTimeOffset(2026, 11, 30, 13, 0, 0, TimeSpan.FromHours(1)),
        DurationSeconds = 1800.000001,
        EndKind = "durationReached",
        EndReason = "duration reached — 1800 s",
        Folder = "/data/sessions/20261130-120000-P001",
        ContentHash = "ab12",
        Streams = [new CatalogStream("eeg", "signal", "AcqSim EEG", "EEG", 1000, 32, 1_800_000, 999.9999, 1), new CatalogStream("markers", "markers", "Needle", "Markers", 0, 1, 150, double.NaN, 0)],
        Quality = new CatalogQuality
        {
            DropsByReason = new() { ["amplitude"] = 1, ["flat: Cz"] = 2 },
            Markers = new() { ["needle/real/insert"] = 150 },
            InputDamage = ["chunk at byte 1234: bad length"],
            Errors = ["stage 'x' failed: \"quoted\""],
            IncompleteFiles = ["erp_averages.json: disk full"],
        },
        Files = [new CatalogFile("recording.xdf", 123456789, "00ff"), new CatalogFile("sub/µ.json", 0, "ee")],
        Erp = [new ErpResult("eeg", "real", 149, ["Fz", "Cz"], [-0.2, 0, 0.8], [[1.5, null, double.PositiveInfinity], [null, -0.000001, 2]])],
        Alpha = [new AlphaResult("eeg", "real", "posterior", 150, 12.5, null, -18.0, null)],
        Drops = [new DropCount("eeg", "", "dropped", "amplitude # µV > #", 3), new DropCount("eeg", "real", "epoch", "", 149)],
    };

    [Fact]
    public void ThisRun_HasNoReflectionBuiltContracts() => Assert.False(JsonSerializer.IsReflectionEnabledByDefault);

    [Fact]
    public void EveryCatalogueType_HasACompileTimeContract()
    {
        Assert.IsType<CatalogJsonContext>(CatalogJson.Options.TypeInfoResolver);
        GeneratedContracts.AssertComplete(CatalogJson.Options,
            typeof(CatalogEntry), typeof(OutboxState), typeof(IReadOnlyList<CatalogStream>), typeof(CatalogQuality),
            typeof(IReadOnlyList<AlphaChangeRow>), typeof(IReadOnlyList<EpochRow>), typeof(IReadOnlyList<ErpGrandAverageRow>), typeof(IReadOnlyList<SessionCountRow>));
    }

    [Fact]
    public void Options_KeepTheSessionFileSettings()
    {
        JsonSerializerOptions files = SessionOutput.JsonOptions, catalogue = CatalogJson.Options;
        Assert.Equal(files.WriteIndented, catalogue.WriteIndented);
        Assert.Same(files.Encoder, catalogue.Encoder);
        Assert.Same(files.PropertyNamingPolicy, catalogue.PropertyNamingPolicy);
        Assert.Equal(files.NumberHandling, catalogue.NumberHandling);
        Assert.Equal(files.Converters, catalogue.Converters);
    }

    [Fact]
    public void OutboxEntry_IsWhatReflectionWrote_AndReadsBack()
    {
        var outbox = new CatalogOutbox(_folder);
        CatalogEntry entry = FullEntry();
        OutboxItem item = outbox.Add(entry, new DateTimeOffset(2026, 11, 30, 13, 0, 1, TimeSpan.Zero));
        Assert.Equal(JsonSerializer.Serialize(entry, s_reflection), File.ReadAllText(item.Path));
        Assert.Equal(JsonSerializer.Serialize(item.State, s_reflection), File.ReadAllText(Path.Combine(_folder, item.Name + ".state")));

        CatalogEntry back = CatalogOutbox.Load(item)!;
        Assert.Equal(JsonSerializer.Serialize(entry, s_reflection), JsonSerializer.Serialize(back, CatalogJson.Options.TypeInfo<CatalogEntry>()));
        // And what the reflection contracts read from the same file.
        Assert.Equal(JsonSerializer.Serialize(JsonSerializer.Deserialize<CatalogEntry>(File.ReadAllText(item.Path), s_reflection), s_reflection),
            JsonSerializer.Serialize(back, s_reflection));
    }

    [Fact]
    public void OutboxState_IsWhatReflectionWrote_AndReadsBack()
    {
        var outbox = new CatalogOutbox(_folder);
        OutboxItem item = outbox.Add(FullEntry(), new DateTimeOffset(2026, 11, 30, 13, 0, 1, TimeSpan.Zero));
        outbox.RecordFailure(item, "connection refused: \"db\" <µ>", new DateTimeOffset(2026, 11, 30, 13, 1, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 30, 13, 2, 0, TimeSpan.FromHours(2)));
        string statePath = Path.Combine(_folder, item.Name + ".state");
        Assert.Equal(JsonSerializer.Serialize(item.State, s_reflection), File.ReadAllText(statePath));
        OutboxState read = Assert.Single(outbox.Pending()).State;
        Assert.Equal(File.ReadAllText(statePath), JsonSerializer.Serialize(read, s_reflection));

        outbox.MoveToConflicts(item, "different content stored", new DateTimeOffset(2026, 11, 30, 13, 3, 0, TimeSpan.Zero));
        OutboxItem conflict = Assert.Single(outbox.Conflicts());
        Assert.Equal("different content stored", conflict.State.LastError);
        Assert.Null(conflict.State.NextAttemptUtc);
        Assert.Equal(JsonSerializer.Serialize(conflict.State, s_reflection),
            File.ReadAllText(Path.Combine(_folder, CatalogOutbox.ConflictsFolder, item.Name + ".state")));
    }

    [Fact]
    public void JsonbValues_AreWhatReflectionWrote()
    {
        CatalogEntry entry = FullEntry();
        Assert.Equal(JsonSerializer.Serialize(entry.Streams, s_reflection), JsonSerializer.Serialize(entry.Streams, CatalogJson.Options.TypeInfo<IReadOnlyList<CatalogStream>>()));
        Assert.Equal(JsonSerializer.Serialize(entry.Quality, s_reflection), JsonSerializer.Serialize(entry.Quality, CatalogJson.Options.TypeInfo<CatalogQuality>()));
    }

    [Fact]
    public void StudyRows_AreWhatReflectionWrote()
    {
        IReadOnlyList<AlphaChangeRow> alpha = [new("(all)", true, "eeg", "real", "posterior", 6, 900, -18.25, null), new("hamburg", false, "eeg", "sham µ", "posterior", 1, 150, double.NaN, 0.5)];
        IReadOnlyList<EpochRow> epochs = [new("lyon", false, "eeg", "", 3, 447, 3)];
        IReadOnlyList<ErpGrandAverageRow> erp = [new("(all)", true, "eeg", "real", "Cz", 6, 894, [-0.2, 0, 0.8], [1.25, null, double.NegativeInfinity])];
        IReadOnlyList<SessionCountRow> sessions = [new("hamburg", "eeg-lab-1", 3, 2, new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 12, 1, 9, 30, 0, TimeSpan.FromHours(1)), 1)];
        Assert.Equal(JsonSerializer.Serialize(alpha, s_reflection), JsonSerializer.Serialize(alpha, CatalogJson.Options.TypeInfo<IReadOnlyList<AlphaChangeRow>>()));
        Assert.Equal(JsonSerializer.Serialize(epochs, s_reflection), JsonSerializer.Serialize(epochs, CatalogJson.Options.TypeInfo<IReadOnlyList<EpochRow>>()));
        Assert.Equal(JsonSerializer.Serialize(erp, s_reflection), JsonSerializer.Serialize(erp, CatalogJson.Options.TypeInfo<IReadOnlyList<ErpGrandAverageRow>>()));
        Assert.Equal(JsonSerializer.Serialize(sessions, s_reflection), JsonSerializer.Serialize(sessions, CatalogJson.Options.TypeInfo<IReadOnlyList<SessionCountRow>>()));
    }
}
