using System.Text.Json;
using AcqService.Sinks;
using AcqService.Sources.Drivers;
using AcqService.Sources.Profiles;

namespace AcqService.Sessions.Tests;

/// <summary>The one place that builds sessions: drivers check their own profile sections; one factory builds many sessions.</summary>
public sealed class SessionFactoryTests
{
    private static string Profile(string streams) => $$"""
        { "name": "t", "streams": [ {{streams}} ] }
        """;

    private const string Eeg = """{ "key": "eeg", "kind": "signal", "type": "EEG", "sampleRateHz": 250, "channels": [ { "label": "Cz", "unit": "uV", "type": "EEG" } ], "source": { "driver": "simulated-eeg" } }""";
    private const string Needle = """{ "key": "needle", "kind": "markers", "type": "Markers", "source": { "driver": "simulated-needle" } }""";

    [Fact]
    public void Profile_UnknownDriver_ListsTheRegisteredOnes()
    {
        var ex = Assert.Throws<ProfileException>(() => ProfileLoader.Parse(Profile(Eeg.Replace("simulated-eeg", "openbci-cyton-x")), "p.json"));
        string problem = Assert.Single(ex.Problems, p => p.StartsWith("$.streams[0].source.driver: unknown driver 'openbci-cyton-x' (known: ", StringComparison.Ordinal));
        Assert.All(SourceDriverRegistry.Default.Names, name => Assert.Contains(name, problem, StringComparison.Ordinal));
    }

    [Fact]
    public void Profile_SimulatedWithoutItsPair_IsRefusedOnceByTheSimulationDriver()
    {
        var ex = Assert.Throws<ProfileException>(() => ProfileLoader.Parse(Profile(Eeg), "p.json"));
        Assert.Equal(["$.streams: the simulated drivers come as a pair: one 'simulated-eeg' stream and one 'simulated-needle' stream"], ex.Problems);
    }

    [Fact]
    public void Profile_FieldOfAnotherDriver_IsNamedWithItsPath()
    {
        string eeg = Eeg.Replace("\"driver\": \"simulated-eeg\"", "\"driver\": \"simulated-eeg\", \"predicate\": \"type='EEG'\", \"baudRate\": 115200");
        var ex = Assert.Throws<ProfileException>(() => ProfileLoader.Parse(Profile(eeg + "," + Needle), "p.json"));
        Assert.Contains("$.streams[0].source.predicate: not a field of driver 'simulated-eeg'", ex.Problems);
        Assert.Contains("$.streams[0].source: unknown field 'baudRate' for driver 'simulated-eeg'", ex.Problems);
        Assert.Equal(2, ex.Problems.Count);
    }

    [Fact]
    public void Registry_ADriverAddedByTheHost_IsKnownToProfiles()
    {
        SourceDriverRegistry registry = SourceDriverRegistry.Default.With(new EchoDriver());
        DeviceProfile profile = ProfileLoader.Parse(Profile("""{ "key": "x", "kind": "markers", "type": "Markers", "source": { "driver": "echo", "text": "hi" } }"""), "p.json", registry);
        Assert.Equal("hi", profile.Streams[0].Source.Options!["text"].GetString());
        Assert.Throws<ProfileException>(() => ProfileLoader.Parse(Profile("""{ "key": "x", "kind": "markers", "type": "Markers", "source": { "driver": "echo" } }"""), "p.json"));
        Assert.Throws<ArgumentException>(() => registry.With(new EchoDriver()));
    }

    [Fact]
    public async Task Factory_BuildsSessionAfterSessionInOneProcess()
    {
        SessionFactory factory = Sessions.Factory();
        var summaries = new List<SessionSummary>();
        for (int i = 0; i < 3; i++)
        {
            await using Session session = await factory.CreateAsync(Sessions.Simulated(Sessions.NewFolder(), 20, record: i == 1));
            summaries.Add(await session.RunAsync(CancellationToken.None));
            Assert.True(File.Exists(Path.Combine(session.Folder, "summary.json")));
            Assert.Equal(i == 1, File.Exists(Path.Combine(session.Folder, "recording.xdf")));
        }
        Assert.All(summaries, s => Assert.Equal(SessionEndKind.Completed, s.Ended!.Kind));
        // Same seed, same data: the three sessions saw the same epochs.
        Assert.All(summaries, s => Assert.Equal(summaries[0].EpochsPerCondition, s.EpochsPerCondition));
        Assert.True(summaries[0].EpochsPerCondition.Values.Sum() >= 3);
    }

    [Fact]
    public async Task ManualMarkers_AreRecordedAndEpochedLikeAnyMarker_AndDoNotKeepAFinishedSessionOpen()
    {
        // A fixed session clock: the simulator's first sample is at 1000.05 (origin + 0.05 lead), so a marker entered
        // "at" 1010.0 lies 9.95 s into the data, away from the simulated needle events' epochs.
        const double now = 1000.0;
        var manual = new Sources.Manual.ManualMarkerSource(() => now + 10.0, "test-manual");
        Assert.True(manual.TryMark("needle/insert;site=ST36;kind=sham;source=manual", 7, out double stamped));
        Assert.Equal(1010.0, stamped);
        SessionRequest plain = Sessions.Simulated(Sessions.NewFolder(), 20);
        var request = new SessionRequest
        {
            Input = plain.Input, Settings = plain.Settings, OutputFolder = plain.OutputFolder, DurationSeconds = plain.DurationSeconds, Pace = plain.Pace,
            Clock = () => now, ManualMarkers = manual,
        };
        await using Session session = await Sessions.Factory().CreateAsync(request);
        session.Pipeline.Erp.PublishAverages = true;
        // The follower source must end when the simulator does; otherwise this run would never complete.
        SessionSummary summary = await session.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(SessionEndKind.Completed, summary.Ended!.Kind);
        Assert.Equal(1, summary.Markers["manual"]);
        string row = Assert.Single(File.ReadAllLines(Path.Combine(session.Folder, "drop_log.csv")), l => l.Contains("source=manual", StringComparison.Ordinal));
        Assert.StartsWith("1010.000000,", row);
        Assert.Contains(",7,insert/sham,epoch,", row);
        // Sample index of the marked epoch: first sample at or after 1010.0 with samples at 1000.05 + k/500.
        Assert.Contains(",4975,", row);
        Xdf.XdfFile xdf = Xdf.XdfFile.Load(Path.Combine(session.Folder, "recording.xdf"));
        Xdf.XdfStream stream = xdf.Streams.Single(s => s.Header.Name == "AcqService manual markers");
        Assert.Equal(["needle/insert;site=ST36;kind=sham;source=manual"], stream.StringValues!);
        Assert.False(manual.TryMark("late", null, out _));

        // The snapshots other threads read are exact copies of the analyzer's averages.
        Assert.Equal(session.Pipeline.Erp.Averages.Count, session.Pipeline.Erp.LatestAverages.Count);
        foreach (Core.Analysis.ConditionAverage average in session.Pipeline.Erp.Averages)
        {
            Core.Analysis.ErpAverageSnapshot copy = session.Pipeline.Erp.LatestAverages.Single(a => a.Condition == average.Condition && a.StreamKey == average.StreamKey);
            Assert.Equal(average.Count, copy.Count);
            Assert.Equal(average.Mean.ToArray(), copy.Mean);
            Assert.Equal(average.StandardError(3, 100), copy.StandardError[(3 * average.TimePoints) + 100]);
        }
    }

    [Fact]
    public async Task ManualMarkers_AProfileStreamNamedManual_IsRefused()
    {
        (var profile, string source, string json) = DefaultProfile.Load(null);
        profile.Streams[1].Key = "manual";
        SessionRequest plain = Sessions.Simulated(Sessions.NewFolder(), 5);
        var request = new SessionRequest
        {
            Input = new SessionInput.Devices(profile, source, json), Settings = plain.Settings, OutputFolder = plain.OutputFolder, DurationSeconds = 5,
            Pace = plain.Pace, ManualMarkers = new Sources.Manual.ManualMarkerSource(() => 0, "x"),
        };
        SessionSetupException ex = await Assert.ThrowsAsync<SessionSetupException>(() => Sessions.Factory().CreateAsync(request));
        Assert.Contains("'manual' is reserved", ex.Message);
    }

    [Fact]
    public async Task Factory_WrongSettingsOrUsedFolder_NothingStarts()
    {
        SessionFactory factory = Sessions.Factory();
        var bad = await Assert.ThrowsAsync<SessionSetupException>(() => factory.CreateAsync(Sessions.Simulated(Sessions.NewFolder(), 5, s => s.Epochs.TmaxSeconds = -1)));
        Assert.True(bad.IsUsageError);
        Assert.Contains("invalid settings", bad.Message);

        string folder = Sessions.NewFolder();
        await using (Session first = await factory.CreateAsync(Sessions.Simulated(folder, 5, record: false)))
        {
            await first.RunAsync(CancellationToken.None);
        }
        var again = await Assert.ThrowsAsync<SessionSetupException>(() => factory.CreateAsync(Sessions.Simulated(folder, 5)));
        Assert.Contains("already holds a session", again.Message);

        var fastOverLsl = Sessions.Simulated(Sessions.NewFolder(), 5);
        var lsl = new SessionRequest { Input = fastOverLsl.Input, Settings = fastOverLsl.Settings, OutputFolder = fastOverLsl.OutputFolder, DurationSeconds = 5, Pace = fastOverLsl.Pace, Transport = SimulatedTransport.Lsl };
        Assert.True((await Assert.ThrowsAsync<SessionSetupException>(() => factory.CreateAsync(lsl))).IsUsageError);
    }

    [Fact]
    public async Task Summary_DropsAreCountedByTypedReasonWithFullChannelNames()
    {
        string folder = Sessions.NewFolder();
        await using Session session = await Sessions.Factory().CreateAsync(Sessions.Simulated(folder, 90, s => s.Epochs.RejectPeakToPeakMicrovolts = 30, record: false));
        SessionSummary summary = await session.RunAsync(CancellationToken.None);

        // The drop log is the sentence per marker; the summary counts the same outcomes by category, never by re-reading it.
        string[][] rows = [.. File.ReadLines(Path.Combine(folder, DropLogWriter.FileName)).Skip(1).Select(l => l.Split(','))];
        var fromLog = rows.Where(r => r[6] == "dropped").GroupBy(r => r[7].StartsWith("peak-to-peak", StringComparison.Ordinal)
            ? "peak-to-peak over threshold on " + r[7].Split(" on ")[1].Split(' ')[0] : r[7]).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(fromLog.Keys.Count(k => k.StartsWith("peak-to-peak", StringComparison.Ordinal)) >= 2, string.Join("; ", fromLog.Keys));
        Assert.Equal(fromLog.OrderBy(k => k.Key), summary.DropsByReason.OrderBy(k => k.Key));
        // Labels with digits stay whole (O1, P7, CP1 …), unlike a regex fold to "O#".
        Assert.DoesNotContain(summary.DropsByReason.Keys, k => k.Contains('#', StringComparison.Ordinal));
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")));
        Assert.Equal(summary.DropsByReason.Values.Sum(), json.RootElement.GetProperty("dropsByReason").EnumerateObject().Sum(p => p.Value.GetInt32()));
    }

    /// <summary>A driver a host could register: one marker stream whose source needs a <c>text</c> field.</summary>
    private sealed class EchoDriver : SourceDriver
    {
        public override IReadOnlyList<string> Names { get; } = ["echo"];

        public override string Description => "test driver";

        public override IEnumerable<string> Validate(StreamProfile stream, string path)
        {
            foreach (string p in RejectForeignFields(stream, path, ["text"]))
            {
                yield return p;
            }
            if (stream.Source.Options?.ContainsKey("text") != true)
            {
                yield return $"{path}.source.text: required";
            }
        }

        public override Task<IReadOnlyList<Core.Pipeline.ISource>> CreateAsync(IReadOnlyList<StreamProfile> streams, SourceContext context, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<Core.Pipeline.ISource>>([]);
    }
}
