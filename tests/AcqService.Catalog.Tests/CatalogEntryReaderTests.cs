using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AcqService.Catalog.Tests;

/// <summary>Catalogue entries read from real session folders (no database needed).</summary>
[Collection(PostgresCollection.Name)]
public sealed class CatalogEntryReaderTests(SessionFolders sessions) : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "acq-catalog-tests", Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    [Fact]
    public void Read_SessionFolder_TakesLabelsCountsAndChecksumsFromItsFiles()
    {
        string folder = sessions.Folders[1];
        CatalogEntry entry = CatalogEntryReader.Read(folder, "trial", "hamburg", "eeg-lab-1");

        Assert.Equal(("trial", "hamburg", "eeg-lab-1", "session-02"), (entry.Study, entry.Site, entry.Station, entry.SessionId));
        Assert.Equal(("P002", "S01", "ST36-real-vs-sham"), (entry.Subject, entry.SessionLabel, entry.Protocol));
        Assert.Null(entry.ProtocolHash);
        Assert.Equal("fast", entry.Mode);
        Assert.Equal(60, entry.DurationSeconds);
        Assert.NotNull(entry.EndedUtc);
        Assert.True(entry.EndedUtc >= entry.StartedUtc);
        CatalogStream eeg = Assert.Single(entry.Streams, s => s.Key == "eeg");
        Assert.Equal((500.0, 32, 30000L), (eeg.NominalRateHz, eeg.Channels, eeg.Samples));

        // Every file, with its SHA-256; the content hash changes when any file does.
        string[] names = [.. Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
        Assert.Equal(names, entry.Files.Select(f => f.Name));
        foreach (CatalogFile f in entry.Files)
        {
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, f.Name)))), f.Sha256);
        }
        Assert.Equal(entry.ContentHash, CatalogEntryReader.Read(folder, "trial", "hamburg", "eeg-lab-1").ContentHash);

        // Epochs per condition: drop log "epoch" rows equal the summary and the ERP counts.
        using var summary = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "summary.json")));
        foreach (JsonProperty p in summary.RootElement.GetProperty("epochsPerCondition").EnumerateObject())
        {
            Assert.Equal(p.Value.GetInt32(), entry.Drops.Where(d => d.Condition == p.Name && d.Outcome == "epoch").Sum(d => d.Count));
            Assert.Equal(p.Value.GetInt32(), entry.Erp.Single(e => e.Condition == p.Name).Count);
        }
        // Dropped markers: as many as the summary counts over its reasons, grouped by the reason without its values.
        Assert.Equal(summary.RootElement.GetProperty("dropsByReason").EnumerateObject().Sum(p => p.Value.GetInt32()), entry.Drops.Where(d => d.Outcome == "dropped").Sum(d => d.Count));
        Assert.All(entry.Drops.Where(d => d.Outcome == "dropped"), d => Assert.DoesNotMatch(@"\d\.\d", d.Reason));
        Assert.Equal("peak-to-peak # µV on Fp1 exceeds # µV", CatalogEntryReader.ReasonKind("peak-to-peak 62.3 µV on Fp1 exceeds 45 µV"));
        Assert.Equal(File.ReadAllLines(Path.Combine(folder, "alpha_summary.csv")).Length - 1, entry.Alpha.Count);
    }

    [Fact]
    public void Read_SessionUnderALockedProtocol_CarriesItsHash()
    {
        CatalogEntry entry = CatalogEntryReader.Read(sessions.Folders[^1], "trial", "lyon", "eeg-lab-7");
        Assert.Equal(64, sessions.ProtocolHash.Length);
        Assert.Equal(sessions.ProtocolHash, entry.ProtocolHash);
    }

    [Fact]
    public void Read_ProtocolHashInSessionJson_IsCarried_AndLeftoversAreNotChecksummed()
    {
        string copy = sessions.CopyOf(0, _work);
        JsonNode metadata = JsonNode.Parse(File.ReadAllText(Path.Combine(copy, "session.json")))!;
        metadata["protocolHash"] = "ab12cd34";
        File.WriteAllText(Path.Combine(copy, "session.json"), metadata.ToJsonString());
        File.WriteAllText(Path.Combine(copy, "erp_averages.json.tmp"), "half a file");

        CatalogEntry entry = CatalogEntryReader.Read(copy, "trial", "lyon", "eeg-lab-7");

        Assert.Equal("ab12cd34", entry.ProtocolHash);
        Assert.DoesNotContain(entry.Files, f => f.Name.EndsWith(".tmp", StringComparison.Ordinal));
        Assert.NotEqual(CatalogEntryReader.Read(sessions.Folders[0], "trial", "lyon", "eeg-lab-7").ContentHash, entry.ContentHash);
    }

    [Fact]
    public void Read_FolderWithoutSessionJson_IsRefusedNamingIt()
    {
        Directory.CreateDirectory(_work);
        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => CatalogEntryReader.Read(_work, "trial", "lyon", "x"));
        Assert.Contains("session.json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SplitCsv_QuotedFields_AreUnquoted()
    {
        Assert.Equal(["a", "b,c", "say \"hi\"", ""], CatalogEntryReader.SplitCsv("a,\"b,c\",\"say \"\"hi\"\"\","));
    }

    [Fact]
    public void Migrations_AreNumberedFromOneWithoutGaps()
    {
        Assert.Equal(Enumerable.Range(1, CatalogSchema.Migrations.Count), CatalogSchema.Migrations.Select(m => m.Version));
        Assert.Equal("0001_initial.sql", CatalogSchema.Migrations[0].Name);
        Assert.All(CatalogSchema.Migrations, m => Assert.False(string.IsNullOrWhiteSpace(m.Sql)));
    }
}
